"""Saving the session's steps: each form posts here and gets its step back."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms import ModelForm
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from coachbook.coaching import agenda
from coachbook.coaching.audit import audit, snapshot
from coachbook.coaching.models import (
    Action,
    AgendaItem,
    DealReview,
    DevelopmentTopic,
    Disposition,
    Session,
    SessionRefused,
    SkillCoaching,
)
from coachbook.coaching.permissions import allowed
from coachbook.coaching.rules import earlier_open_actions
from coachbook.crm.models import Opportunity
from coachbook.web import forms
from coachbook.web.access import CoachbookRequest, get_session_for
from coachbook.web.views import rep_side
from coachbook.web.views.sessions import deal_rows, respond_step, session_context


def editable_session(request: CoachbookRequest, session_id: int) -> Session:
    session = get_session_for(request.user, session_id, "coaching.run_session")
    session.check_editable()
    return session


def session_for_topics(request: CoachbookRequest, session_id: int) -> Session:
    """The manager while the session can change; the rep before it starts."""
    session = get_session_for(request.user, session_id)
    if allowed(request.user, "coaching.run_session", session):
        session.check_editable()
    elif request.user.pk != session.rep_id:
        raise PermissionDenied("You can read this but not change it.")
    elif not allowed(request.user, "coaching.contribute_to_session", session):
        raise PermissionDenied(
            "Topics can be added until the session starts; raise it with your manager now."
        )
    return session


@login_required
@require_POST
@transaction.atomic
def save_step(request: CoachbookRequest, session_id: int, step: str) -> HttpResponse:
    session = editable_session(request, session_id)
    template = session.template

    if step == "open":
        opening = forms.OpenSessionForm(request.POST, instance=session)
        if not opening.is_valid():
            return respond_step(request, session, step, 400, open_form=opening)
        session.start(
            request.user,
            opening.cleaned_data["expected_outcomes"],
            opening.cleaned_data["duration_minutes"],
        )
        return respond_step(request, session, step)

    form: ModelForm
    if step == "pipeline":
        form = forms.PipelineForm(request.POST, instance=session)
        context_key = "pipeline_form"
    elif step == "skill":
        form = forms.SkillForm(
            request.POST,
            instance=session.skills.first() or SkillCoaching(session=session),
            catalogue=template.skill_catalogue,
        )
        context_key = "skill_form"
    elif step == "development":
        form = forms.DevelopmentForm(
            request.POST,
            instance=session.development.first() or DevelopmentTopic(session=session),
            catalogue=template.development_catalogue,
        )
        context_key = "development_form"
    elif step == "close":
        form = forms.CloseForm(request.POST, instance=session)
        context_key = "close_form"
    elif step == "notes":
        if not allowed(request.user, "coaching.view_private_notes", session):
            raise PermissionDenied("Private notes belong to the manager who runs it.")
        form = forms.PrivateNotesForm(request.POST, instance=session)
        context_key = "notes_form"
    else:
        raise Http404("No such step.")

    if not form.is_valid():
        return respond_step(request, session, step, 400, **{context_key: form})
    # Private notes stay out of the audit trail too: only their length is logged.
    fields = ["private_notes"] if step == "notes" else None
    before = _masked(snapshot(form.instance, fields), step)
    obj = form.save()
    after = _masked(snapshot(obj, fields), step)
    audit(request.user, session, f"saved {step}", obj, before, after)
    if step == "close" and "close" in request.POST:
        return close(request, session)

    return respond_step(request, session, step)


def _masked(values: dict | None, step: str) -> dict | None:
    if step != "notes" or values is None:
        return values
    return {"private_notes_characters": len(values.get("private_notes") or "")}


def close(request: CoachbookRequest, session: Session) -> HttpResponse:
    try:
        session.close(request.user)
    except SessionRefused as exc:
        return respond_step(request, session, "close", 400, problems=exc.problems)
    messages.success(
        request, "Session closed. Check the record below, then finalise it."
    )
    if request.htmx:
        # A redirect to the same page would only move to the anchor; reload it.
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    return redirect(reverse("web:session", args=[session.pk]) + "#step-record")


@login_required
@require_POST
@transaction.atomic
def add_urgent_topic(request: CoachbookRequest, session_id: int) -> HttpResponse:
    session = session_for_topics(request, session_id)
    form = forms.UrgentTopicForm(request.POST)
    if form.is_valid():
        try:
            item = agenda.add_urgent_topic(
                session,
                request.user,
                form.cleaned_data["title"],
                form.cleaned_data["minutes"],
            )
        except ValueError as exc:
            form.add_error("minutes", str(exc))
    if form.errors:
        if request.user.pk == session.rep_id:
            return rep_side.rep_session_page(request, session, 400, urgent_form=form)
        return respond_step(request, session, "agenda", 400, urgent_form=form)
    audit(request.user, session, "added urgent topic", item, after=snapshot(item))

    if request.user.pk == session.rep_id:
        messages.success(request, "Topic added to the agenda; your manager sees it.")
        return redirect("web:session", session.pk)
    return respond_step(request, session, "agenda")


@login_required
@require_POST
def delete_urgent_topic(
    request: CoachbookRequest, session_id: int, item_id: int
) -> HttpResponse:
    session = session_for_topics(request, session_id)
    item = get_object_or_404(
        AgendaItem, pk=item_id, session=session, kind=AgendaItem.Kind.URGENT
    )
    is_rep = request.user.pk == session.rep_id
    if is_rep and item.added_by_id != request.user.pk:
        raise PermissionDenied("You can remove only the topics you added.")
    audit(request.user, session, "removed urgent topic", item, snapshot(item), None)
    item.delete()
    agenda.rebalance(session)

    if is_rep:
        messages.success(request, "Topic removed from the agenda.")
        return redirect("web:session", session.pk)
    return respond_step(request, session, "agenda")


@login_required
@require_POST
def send_agenda(request: CoachbookRequest, session_id: int) -> HttpResponse:
    from django.utils import timezone

    session = editable_session(request, session_id)
    session.agenda_sent_at = timezone.now()
    session.save(update_fields=["agenda_sent_at"])
    audit(
        request.user,
        session,
        "shared agenda",
        session,
        after={"agenda_sent_at": session.agenda_sent_at.isoformat()},
    )

    return respond_step(request, session, "agenda")


@login_required
@require_POST
@transaction.atomic
def review_deal(
    request: CoachbookRequest, session_id: int, deal_id: int
) -> HttpResponse:
    session = editable_session(request, session_id)
    offered = {
        d["id"]: (rank, d)
        for rank, d in enumerate((session.brief or {}).get("open_deals", []), start=1)
    }
    if deal_id not in offered:
        raise Http404("That deal is not in this session's brief.")
    rank, deal = offered[deal_id]
    review = session.deal_reviews.filter(opportunity_id=deal_id).first() or DealReview(
        session=session,
        opportunity=get_object_or_404(Opportunity, pk=deal_id),
        risk_score=deal["risk_score"],
        risk_rank=rank,
        stage=deal["stage"],
    )
    before = snapshot(review)
    form = forms.DealReviewForm(
        request.POST,
        instance=review,
        prefix=f"deal-{deal_id}",
        extra_fields=session.template.deal_review_fields,
    )
    if not form.is_valid():
        return respond_step(
            request,
            session,
            "deals",
            400,
            deal_rows=deal_rows(session, {deal_id: form}),
        )
    review = form.save(commit=False)
    if review.pk is None:
        review.over_cap = session.deal_reviews.count() >= session.template.deal_cap
    review.save()
    audit(request.user, session, "reviewed deal", review, before, snapshot(review))

    return respond_step(request, session, "deals")


@login_required
@require_POST
@transaction.atomic
def save_action(
    request: CoachbookRequest, session_id: int, action_id: int | None = None
) -> HttpResponse:
    session = editable_session(request, session_id)
    if action_id is None:
        instance, prefix = Action(session=session, rep=session.rep), "new"
    else:
        instance, prefix = (
            get_object_or_404(Action, pk=action_id, session=session),
            f"action-{action_id}",
        )
    before = snapshot(instance)
    form = forms.ActionForm(
        request.POST, instance=instance, session=session, prefix=prefix
    )
    if not form.is_valid():
        if action_id is None:
            return respond_step(request, session, "actions", 400, new_action_form=form)
        rows = session_context(session)["actions"]
        for row in rows:
            if row["action"].pk == action_id:
                row["form"] = form
        return respond_step(request, session, "actions", 400, actions=rows)
    action = form.save()
    audit(request.user, session, "saved action", action, before, snapshot(action))

    return respond_step(request, session, "actions")


@login_required
@require_POST
def delete_action(
    request: CoachbookRequest, session_id: int, action_id: int
) -> HttpResponse:
    session = editable_session(request, session_id)
    action = get_object_or_404(Action, pk=action_id, session=session)
    before = snapshot(action)
    audit(request.user, session, "removed action", action, before, None)
    action.delete()

    return respond_step(request, session, "actions")


@login_required
@require_POST
@transaction.atomic
def dispose_action(
    request: CoachbookRequest, session_id: int, action_id: int
) -> HttpResponse:
    session = editable_session(request, session_id)
    action = get_object_or_404(earlier_open_actions(session), pk=action_id)
    instance = session.dispositions.filter(action=action).first() or Disposition(
        session=session, action=action
    )
    before = snapshot(instance)
    form = forms.DispositionForm(
        request.POST, instance=instance, prefix=f"disp-{action_id}", session=session
    )
    if not form.is_valid():
        context = session_context(session)
        for row in context["earlier_actions"]:
            if row["action"].pk == action_id:
                row["form"] = form
        return respond_step(
            request, session, "actions", 400, earlier_actions=context["earlier_actions"]
        )
    disposition = form.save()
    audit(
        request.user,
        session,
        "dispositioned action",
        disposition,
        before,
        snapshot(disposition),
    )

    return respond_step(request, session, "actions")
