"""The rep's side: preparing for a session, and following through after it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from coachbook.coaching.audit import audit, snapshot
from coachbook.coaching.models import Action, DealUpdate, Session
from coachbook.coaching.permissions import allowed
from coachbook.crm.models import Opportunity
from coachbook.web import forms
from coachbook.web.access import CoachbookRequest, get_action_for, get_session_for

MORE_DEALS = 5


def offered_deals(session: Session) -> list[dict[str, Any]]:
    """The deals the brief puts up for review, highest risk first."""
    brief = session.brief or {}
    return brief.get("open_deals", [])[: session.template.deal_cap + MORE_DEALS]


def rep_session_page(
    request: CoachbookRequest, session: Session, status: int = 200, **overrides: Any
) -> HttpResponse:
    """What the rep sees of their own session: agenda, deals, open actions."""
    can_contribute = allowed(request.user, "coaching.contribute_to_session", session)
    updates = {u.opportunity_id: u for u in session.deal_updates.all()}
    bound = overrides.pop("bound_updates", {})
    deals = [
        {
            "deal": deal,
            "update": updates.get(deal["id"]),
            "form": bound.get(deal["id"])
            or forms.DealUpdateForm(
                instance=updates.get(deal["id"]), prefix=f"deal-{deal['id']}"
            ),
        }
        for deal in offered_deals(session)
    ]
    context: dict[str, Any] = {
        "session": session,
        "brief": session.brief or {},
        "agenda": list(session.agenda.select_related("added_by")),
        "urgent_form": forms.UrgentTopicForm(),
        "deals": deals,
        "can_contribute": can_contribute and session.brief is not None,
        "record": getattr(session, "record", None)
        if session.state == Session.State.FINALISED
        else None,
    }
    context.update(overrides)

    return render(request, "web/session_rep.html", context, status=status)


@login_required
@require_POST
@transaction.atomic
def update_deal(
    request: CoachbookRequest, session_id: int, deal_id: int
) -> HttpResponse:
    session = get_session_for(
        request.user, session_id, "coaching.contribute_to_session"
    )
    if deal_id not in {d["id"] for d in offered_deals(session)}:
        raise Http404("That deal is not up for review in this session.")
    instance = session.deal_updates.filter(opportunity_id=deal_id).first()
    if instance is None:
        instance = DealUpdate(
            session=session,
            opportunity=Opportunity.objects.get(pk=deal_id),
            author=request.user,
        )
    before = snapshot(instance)
    form = forms.DealUpdateForm(
        request.POST, instance=instance, prefix=f"deal-{deal_id}"
    )
    if not form.is_valid():
        return rep_session_page(request, session, 400, bound_updates={deal_id: form})
    update = form.save()
    audit(request.user, session, "updated deal", update, before, snapshot(update))
    messages.success(
        request, f"Update on {update.opportunity.name} saved; your manager sees it."
    )

    return redirect("web:session", session.pk)


@login_required
@require_POST
@transaction.atomic
def report_action(request: CoachbookRequest, action_id: int) -> HttpResponse:
    action = get_action_for(request.user, action_id, "coaching.report_action")
    form = forms.ReportDoneForm(request.POST, prefix=f"report-{action.pk}")
    if not form.is_valid():
        from coachbook.web.views.home import rep_home

        return rep_home(request, status=400, report_forms={action.pk: form})
    before = snapshot(action)
    action.reported_done_at = timezone.now()
    action.report_note = form.cleaned_data["note"].strip()
    action.sent_back_note = ""
    action.save(update_fields=["reported_done_at", "report_note", "sent_back_note"])
    audit(
        request.user,
        action.session,
        "reported action done",
        action,
        before,
        snapshot(action),
    )
    messages.success(request, "Marked done. Your manager will check it and confirm.")

    return redirect("web:home")


@login_required
@require_POST
@transaction.atomic
def verify_action(request: CoachbookRequest, action_id: int) -> HttpResponse:
    action = get_action_for(request.user, action_id, "coaching.verify_action")
    form = forms.VerifyActionForm(request.POST, prefix=f"verify-{action.pk}")
    if not form.is_valid():
        from coachbook.web.views.home import rep_page

        return rep_page(
            request, action.rep_id, status=400, verify_forms={action.pk: form}
        )
    before = snapshot(action)
    if form.cleaned_data["decision"] == "verify":
        action.status = Action.Status.DONE
        action.closed_on = action.rep.local_today()
        action.verified_by = request.user
        action.verified_at = timezone.now()
        fields = ["status", "closed_on", "verified_by", "verified_at"]
        event, message = "verified action", "Action verified as done."
    else:
        action.reported_done_at = None
        action.sent_back_note = form.cleaned_data["note"].strip()
        fields = ["reported_done_at", "sent_back_note"]
        event, message = (
            "sent action back",
            f"Sent back to {action.rep} with your note.",
        )
    action.save(update_fields=fields)
    audit(request.user, action.session, event, action, before, snapshot(action))
    messages.success(request, message)

    return redirect("web:rep", action.rep_id)
