"""The session page: the ten steps on one page, each saving on its own."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from coachbook.coaching.audit import audit, snapshot
from coachbook.coaching.findings import session_findings
from coachbook.coaching.models import (
    Session,
    SessionLocked,
)
from coachbook.coaching.permissions import allowed
from coachbook.coaching.rules import earlier_open_actions, required_checks
from coachbook.people.models import Person
from coachbook.web import forms
from coachbook.web.access import CoachbookRequest, get_rep_for, get_session_for
from coachbook.web.htmx import render_step

STEPS = [
    ("brief", "Review the context"),
    ("agenda", "Confirm the agenda"),
    ("open", "Open the session"),
    ("deals", "Review deals"),
    ("pipeline", "Pipeline and activity"),
    ("skill", "Coach one skill"),
    ("development", "Development topic"),
    ("actions", "Assign actions"),
    ("close", "Close"),
    ("record", "Record"),
]
MORE_DEALS = 5


def deal_rows(
    session: Session, bound: dict[int, Any] | None = None
) -> list[dict[str, Any]]:
    """The deals offered for review, highest risk first, with their review forms."""
    brief = session.brief or {}
    cap = session.template.deal_cap
    offered = brief.get("open_deals", [])[: cap + MORE_DEALS]
    reviews = {r.opportunity_id: r for r in session.deal_reviews.all()}
    rows = []
    for rank, deal in enumerate(offered, start=1):
        review = reviews.get(deal["id"])
        form = (bound or {}).get(deal["id"]) or forms.DealReviewForm(
            extra_fields=session.template.deal_review_fields,
            instance=review,
            prefix=f"deal-{deal['id']}",
        )
        rows.append(
            {
                "deal": deal,
                "rank": rank,
                "review": review,
                "form": form,
                "past_cap": rank > cap,
                "above_tolerance": deal["risk_score"] > session.template.risk_tolerance,
            }
        )

    return rows


def _progress(session, skill, topic, actions, earlier, dispositions) -> dict[str, bool]:
    """Which steps have what they need, for the ticks in the step list."""
    done = session.state in (Session.State.CLOSED, Session.State.FINALISED)
    return {
        "brief": session.brief is not None,
        "agenda": bool(session.agenda_sent_at or session.time_confirmed),
        "open": session.time_confirmed,
        # Done once the planned number of deals (or every open deal) is reviewed.
        "deals": session.deal_reviews.count()
        >= min(
            session.template.deal_cap, (session.brief or {}).get("open_deal_count", 0)
        ),
        "pipeline": any(
            getattr(session, f).strip() for f in forms.PipelineForm.Meta.fields
        ),
        "skill": bool(skill and skill.cites_evidence and skill.feedback.strip()),
        "development": topic is not None,
        "actions": bool(actions) and all(a.pk in dispositions for a in earlier),
        "close": done,
        "record": session.state == Session.State.FINALISED,
    }


def agenda_mail_link(session: Session) -> str:
    """A mailto: link that opens the manager's own mail program with the agenda in it."""
    from urllib.parse import quote

    lines = [
        f"Agenda for our one-on-one on {session.local_start:%A %-d %B %Y, %H:%M}:",
        "",
    ]
    lines += [f"- {item.title} ({item.minutes} min)" for item in session.agenda.all()]
    lines += ["", "Reply with any urgent topic you want to add."]
    subject = f"One-on-one agenda, {session.local_start:%-d %b}"

    return f"mailto:{session.rep.email}?subject={quote(subject)}&body={quote(chr(10).join(lines))}"


def session_context(
    session: Session, viewer: Person | None = None, **overrides: Any
) -> dict[str, Any]:
    """Everything the session page shows; read-only unless the viewer runs it."""
    can_run = viewer is not None and allowed(viewer, "coaching.run_session", session)
    skill = session.skills.first()
    topic = session.development.first()
    template = session.template
    brief = session.brief or {}
    earlier = list(earlier_open_actions(session))
    dispositions = {d.action_id: d for d in session.dispositions.all()}
    actions = list(session.actions.select_related("owner"))
    suggested = next(
        (
            i.title.split(": ", 1)[1]
            for i in session.agenda.all()
            if i.kind == "skill" and ": " in i.title
        ),
        None,
    )

    context: dict[str, Any] = {
        "session": session,
        "brief": brief,
        "steps": STEPS,
        "agenda": list(session.agenda.select_related("added_by")),
        "agenda_minutes": sum(i.minutes for i in session.agenda.all()),
        "urgent_form": forms.UrgentTopicForm(),
        "agenda_mail_link": agenda_mail_link(session),
        "open_form": forms.OpenSessionForm(instance=session),
        "deal_rows": deal_rows(session),
        "deal_cap": template.deal_cap,
        "reviewed_count": session.deal_reviews.count(),
        "pipeline_form": forms.PipelineForm(instance=session),
        "skill_form": forms.SkillForm(
            instance=skill,
            initial={"skill": suggested} if not skill else None,
            catalogue=template.skill_catalogue,
        ),
        "development_form": forms.DevelopmentForm(
            instance=topic, catalogue=template.development_catalogue
        ),
        "actions": [
            {
                "action": a,
                "form": forms.ActionForm(
                    instance=a, session=session, prefix=f"action-{a.pk}"
                ),
            }
            for a in actions
        ],
        "new_action_form": forms.ActionForm(session=session, prefix="new"),
        "earlier_actions": [
            {
                "action": a,
                "form": forms.DispositionForm(
                    instance=dispositions.get(a.pk),
                    prefix=f"disp-{a.pk}",
                    session=session,
                ),
                "disposition": dispositions.get(a.pk),
            }
            for a in earlier
        ],
        "close_form": forms.CloseForm(instance=session),
        "compliance_raised": sorted({t for t, _ in required_checks(session)}),
        "findings": session_findings(session),
        "progress": _progress(session, skill, topic, actions, earlier, dispositions),
        "problems": [],
        "editable": session.is_editable and can_run,
        "can_run": can_run,
        "deal_updates": {
            u.opportunity_id: u
            for u in session.deal_updates.select_related("author", "opportunity")
        },
        "notes_form": forms.PrivateNotesForm(instance=session)
        if viewer is not None
        and allowed(viewer, "coaching.view_private_notes", session)
        else None,
    }
    context.update(overrides)

    return context


def respond_step(
    request: CoachbookRequest,
    session: Session,
    step: str,
    status: int = 200,
    **overrides,
) -> HttpResponse:
    if not request.htmx and status == 200:
        messages.success(request, "Saved.")
        return redirect(reverse("web:session", args=[session.pk]) + f"#step-{step}")
    context = session_context(session, viewer=request.user, **overrides)
    context["saved"] = step if status == 200 else None
    context["oob_findings"] = bool(request.htmx)
    return render_step(
        request,
        f"web/partials/step_{step}.html",
        "web/session.html",
        context,
        status=200 if request.htmx else status,
    )


@login_required
def session_page(request: CoachbookRequest, session_id: int) -> HttpResponse:
    """The manager runs the session here; a leader reads it; the rep prepares."""
    session = get_session_for(request.user, session_id)
    if request.user.pk == session.rep_id:
        from coachbook.web.views.rep_side import rep_session_page

        return rep_session_page(request, session)

    return render_step(
        request,
        "web/session.html",
        "web/session.html",
        session_context(session, viewer=request.user),
    )


@login_required
@transaction.atomic
def plan_session(request: CoachbookRequest, rep_id: int) -> HttpResponse:
    rep = get_rep_for(request.user, rep_id, "coaching.plan_session")
    manager = rep.manager or request.user
    form = forms.PlanSessionForm(
        request.POST or None,
        initial={"date": _suggested_date(rep)},
        zone=manager.time_zone,
    )
    if request.method == "POST" and form.is_valid():
        session = Session.objects.plan(
            manager,
            rep,
            form.starts_at(),
            form.cleaned_data["duration_minutes"],
            form.cleaned_data["template"],
        )
        audit(
            request.user,
            session,
            "planned",
            session,
            after=snapshot(session, ["scheduled_at", "duration_minutes"]),
        )
        session.prepare(request.user)
        messages.success(
            request, f"Session with {rep} planned; the prep brief is ready."
        )
        return redirect("web:session", session.pk)

    from django.shortcuts import render

    return render(
        request,
        "web/plan_session.html",
        {"rep": rep, "form": form},
        status=400 if form.errors else 200,
    )


def _suggested_date(rep: Person) -> date:
    """The rep's next one-on-one by cadence, moved off a weekend."""
    last = Session.objects.filter(rep=rep).order_by("-scheduled_at").first()
    if last:
        day = (
            last.next_meeting_at or last.scheduled_at + timedelta(days=rep.cadence_days)
        ).date()
    else:
        day = rep.local_today()
    while day.weekday() >= 5:
        day += timedelta(days=1)

    return day


@login_required
@require_POST
def prepare(request: CoachbookRequest, session_id: int) -> HttpResponse:
    session = get_session_for(request.user, session_id, "coaching.run_session")
    try:
        session.prepare(request.user)
    except SessionLocked as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Brief refreshed as of {session.brief_as_of:%-d %b %Y}."
        )
    return redirect("web:session", session.pk)


@login_required
@require_POST
def finalise(request: CoachbookRequest, session_id: int) -> HttpResponse:
    session = get_session_for(request.user, session_id, "coaching.run_session")
    try:
        record = session.finalise(request.user)
    except SessionLocked as exc:
        messages.error(request, str(exc))
        return redirect("web:session", session.pk)
    messages.success(request, f"Record {record.number} for {session.rep} is finalised.")

    return redirect("web:record", record.pk)
