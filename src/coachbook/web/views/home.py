"""Home and rep pages: who to coach next, and one rep's picture as of today."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Max, Min, Q
from django.http import HttpResponse
from django.shortcuts import render

from coachbook.coaching.brief import build_brief
from coachbook.coaching.models import Action, Record, Session
from coachbook.coaching.permissions import allowed
from coachbook.people.access import reps_coached_by
from coachbook.people.models import Organisation, Person, Team
from coachbook.web import forms
from coachbook.web.access import CoachbookRequest


def last_session() -> Max:
    """When a rep last had a finalised one-on-one, as a rep annotation."""
    return Max(
        "sessions__scheduled_at", filter=Q(sessions__state=Session.State.FINALISED)
    )


def overdue_actions(today) -> Count:
    """How many of a rep's agreed actions are open past their due date."""
    return Count(
        "coaching_actions",
        filter=Q(
            coaching_actions__status=Action.Status.OPEN,
            coaching_actions__due_date__lt=today,
            coaching_actions__session__state=Session.State.FINALISED,
        ),
        distinct=True,
    )


@login_required
def home(request: CoachbookRequest) -> HttpResponse:
    """Each role lands on its own picture: reps, their coaching; leaders, their teams."""
    role = request.user.role
    if role == Person.Role.REP:
        return rep_home(request)
    if role == Person.Role.SECOND_LINE:
        return leader_home(request)
    if role == Person.Role.ADMIN:
        return ops_home(request)

    return manager_home(request)


def manager_home(request: CoachbookRequest) -> HttpResponse:
    today = Organisation.current().today()
    reps = reps_coached_by(request.user).annotate(
        last_session=last_session(),
        next_session=Min(
            "sessions__scheduled_at",
            filter=~Q(
                sessions__state__in=[Session.State.CLOSED, Session.State.FINALISED]
            ),
        ),
        overdue_actions=overdue_actions(today),
        open_deals=Count("deals", filter=Q(deals__status="open"), distinct=True),
    )
    upcoming = list(
        Session.objects.filter(rep__team__manager=request.user)
        .not_finished()
        .select_related("rep")
        .order_by("scheduled_at")
    )
    next_by_rep: dict[int, Session] = {}
    for session in upcoming:
        next_by_rep.setdefault(session.rep_id, session)
    rows: list[dict[str, Any]] = []
    for rep in reps:
        due = (
            rep.last_session.date() + timedelta(days=rep.cadence_days)
            if rep.last_session
            else None
        )
        rows.append(
            {
                "rep": rep,
                "due": due,
                "off_cadence": bool(due and due < today and not rep.next_session),
                "next_session": next_by_rep.get(rep.pk),
            }
        )

    return render(
        request,
        "web/home.html",
        {
            "rows": rows,
            "upcoming": upcoming,
            "never_met": sum(1 for r in rows if not r["rep"].last_session),
        },
    )


def rep_home(
    request: CoachbookRequest,
    status: int = 200,
    report_forms: dict[int, forms.ReportDoneForm] | None = None,
) -> HttpResponse:
    """The rep's own page: the next one-on-one, actions to follow through, records."""
    rep = request.user
    actions = list(
        Action.objects.filter(rep=rep, session__state=Session.State.FINALISED)
        .select_related("owner", "session", "verified_by")
        .order_by("status", "due_date", "pk")
    )
    bound = report_forms or {}
    rows = [
        {
            "action": a,
            "form": bound.get(a.pk) or forms.ReportDoneForm(prefix=f"report-{a.pk}"),
            "can_report": allowed(rep, "coaching.report_action", a)
            and not a.awaiting_verification,
        }
        for a in actions
    ]

    return render(
        request,
        "web/home_rep.html",
        {
            "upcoming": Session.objects.filter(rep=rep)
            .not_finished()
            .select_related("manager")
            .order_by("scheduled_at"),
            "actions": rows,
            "today": rep.local_today(),
            "records": Record.objects.filter(rep=rep)
            .select_related("session__manager")
            .order_by("-number"),
        },
        status=status,
    )


def leader_home(request: CoachbookRequest) -> HttpResponse:
    """A second-line manager's read-only view of every team below them."""
    from coachbook.coaching.models import SkillCoaching
    from coachbook.coaching.permissions import led_team_ids

    today = Organisation.current().today()
    window = today - timedelta(days=90)
    teams = (
        Team.objects.filter(pk__in=led_team_ids(request.user), kind=Team.Kind.TEAM)
        .select_related("manager", "parent")
        .order_by("parent__name", "name")
    )
    reps = (
        Person.objects.filter(role=Person.Role.REP, is_active=True, team__in=teams)
        .annotate(
            last_session=last_session(),
            actions_done=Count(
                "coaching_actions",
                filter=Q(coaching_actions__status=Action.Status.DONE),
                distinct=True,
            ),
            actions_settled=Count(
                "coaching_actions",
                filter=~Q(coaching_actions__status=Action.Status.OPEN),
                distinct=True,
            ),
            overdue_actions=overdue_actions(today),
        )
        .order_by("full_name")
    )
    by_team: dict[int, list[Person]] = {}
    for rep in reps:
        by_team.setdefault(rep.team_id or 0, []).append(rep)
    skills = (
        SkillCoaching.objects.filter(
            session__state=Session.State.FINALISED,
            session__rep__team__in=teams,
            session__scheduled_at__date__gt=window,
        )
        .values("skill")
        .annotate(times=Count("pk"))
        .order_by("-times", "skill")
    )
    rows = []
    for team in teams:
        members = by_team.get(team.pk, [])
        met = [getattr(r, "last_session", None) for r in members]
        on_cadence = len(
            [
                r
                for r, last in zip(members, met, strict=True)
                if last and (today - last.date()).days <= r.cadence_days
            ]
        )
        rows.append({"team": team, "reps": members, "on_cadence": on_cadence})

    return render(
        request,
        "web/home_leader.html",
        {"rows": rows, "skills": list(skills), "window_start": window},
    )


def ops_home(request: CoachbookRequest) -> HttpResponse:
    """Sales ops: the data, the teams, and the audited way to a record."""
    from coachbook.crm.models import ImportRun

    return render(
        request,
        "web/home_ops.html",
        {
            "imports": ImportRun.objects.order_by("-pk")[:10],
            "people": Person.objects.filter(is_active=True).count(),
            "records": Record.objects.count(),
        },
    )


@login_required
def rep_page(
    request: CoachbookRequest,
    rep_id: int,
    status: int = 200,
    verify_forms: dict[int, forms.VerifyActionForm] | None = None,
) -> HttpResponse:
    from coachbook.web.access import get_rep_for

    rep = get_rep_for(request.user, rep_id)
    today = Organisation.current().today()
    brief = build_brief(rep, today)
    actions = (
        Action.objects.filter(rep=rep, session__state=Session.State.FINALISED)
        .select_related("owner", "session", "verified_by")
        .order_by("status", "due_date")
    )
    bound = verify_forms or {}
    can_verify = allowed(request.user, "coaching.run_session", rep)

    return render(
        request,
        "web/rep.html",
        {
            "rep": rep,
            "brief": brief,
            "sessions": Session.objects.filter(rep=rep).select_related(
                "manager", "record"
            ),
            "records": Record.objects.filter(rep=rep).order_by("-number"),
            "actions": [
                {
                    "action": a,
                    "form": bound.get(a.pk)
                    or forms.VerifyActionForm(prefix=f"verify-{a.pk}"),
                    "can_verify": can_verify and a.awaiting_verification,
                }
                for a in actions
            ],
            "can_plan": allowed(request.user, "coaching.plan_session", rep),
        },
        status=status,
    )


@login_required
def rep_deals_csv(request: CoachbookRequest, rep_id: int) -> HttpResponse:
    """The rep's open deals as of today, highest risk first, for a spreadsheet."""
    from coachbook.lib.csvfiles import write_rows
    from coachbook.web.access import get_rep_for

    rep = get_rep_for(request.user, rep_id)
    today = Organisation.current().today()
    deals = build_brief(rep, today)["open_deals"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"open-deals-{rep.username}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    write_rows(
        response,
        [
            "Deal ID",
            "Deal",
            "Account",
            "Stage",
            "Amount",
            "Currency",
            "Expected close",
            "Days in stage",
            "Risk score",
            "Risk reasons",
        ],
        (
            [
                d["external_id"],
                d["name"],
                d["account"] or "",
                d["stage"],
                d["amount"],
                d["currency"],
                d["close_date"] or "",
                d["days_in_stage"] if d["days_in_stage"] is not None else "",
                d["risk_score"],
                "; ".join(r["text"] for r in d["risk_reasons"]),
            ]
            for d in deals
        ),
    )

    return response
