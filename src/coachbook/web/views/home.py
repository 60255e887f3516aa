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
from coachbook.people.access import reps_coached_by
from coachbook.people.models import Organisation
from coachbook.web.access import CoachbookRequest


@login_required
def home(request: CoachbookRequest) -> HttpResponse:
    today = Organisation.current().today()
    reps = reps_coached_by(request.user).annotate(
        last_session=Max(
            "sessions__scheduled_at", filter=Q(sessions__state=Session.State.FINALISED)
        ),
        next_session=Min(
            "sessions__scheduled_at",
            filter=~Q(
                sessions__state__in=[Session.State.CLOSED, Session.State.FINALISED]
            ),
        ),
        overdue_actions=Count(
            "coaching_actions",
            filter=Q(
                coaching_actions__status=Action.Status.OPEN,
                coaching_actions__due_date__lt=today,
                coaching_actions__session__state=Session.State.FINALISED,
            ),
            distinct=True,
        ),
        open_deals=Count("deals", filter=Q(deals__status="open"), distinct=True),
    )
    upcoming = list(
        Session.objects.filter(manager=request.user)
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


@login_required
def rep_page(request: CoachbookRequest, rep_id: int) -> HttpResponse:
    from coachbook.web.access import get_rep_for

    rep = get_rep_for(request.user, rep_id)
    today = Organisation.current().today()
    brief = build_brief(rep, today)

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
            "actions": Action.objects.filter(
                rep=rep, session__state=Session.State.FINALISED
            )
            .select_related("owner", "session")
            .order_by("status", "due_date"),
        },
    )
