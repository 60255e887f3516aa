"""Fetching things for the person asking, checked against the rules.

Something a person may not see is a 404, so a guessed URL reveals nothing.
Something they may see but not change is a 403 with a plain reason.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from coachbook.coaching.models import Action, Record, Session
from coachbook.coaching.permissions import allowed
from coachbook.people.models import Person


class CoachbookRequest(HttpRequest):
    """A request behind the login: its user is a Person, and htmx says how it came."""

    user: Person
    htmx: HtmxDetails


def _check(user: Person, view: str, perm: str | None, obj, missing: str) -> None:
    if not allowed(user, view, obj):
        raise Http404(missing)
    if perm and not allowed(user, perm, obj):
        raise PermissionDenied("You can read this but not change it.")


def get_rep_for(user: Person, rep_id: int, perm: str | None = None) -> Person:
    rep = get_object_or_404(
        Person.objects.select_related("team"), pk=rep_id, role=Person.Role.REP
    )
    _check(user, "coaching.view_rep", perm, rep, "No such rep on your teams.")

    return rep


def get_session_for(user: Person, session_id: int, perm: str | None = None) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("rep__team", "manager", "template"),
        pk=session_id,
    )
    _check(user, "coaching.view_session", perm, session, "No such session.")

    return session


def get_record_for(user: Person, record_id: int, perm: str | None = None) -> Record:
    record = get_object_or_404(
        Record.objects.select_related("session", "rep__team"), pk=record_id
    )
    _check(user, "coaching.view_record", perm, record, "No such record.")

    return record


def get_action_for(user: Person, action_id: int, perm: str) -> Action:
    """An action from a finalised session, for the rep or their manager."""
    action = get_object_or_404(
        Action.objects.select_related("rep__team", "session", "owner"),
        pk=action_id,
        session__state=Session.State.FINALISED,
    )
    _check(user, "coaching.view_record", None, action, "No such action.")
    own_part = (
        "coaching.report_action"
        if user.pk == action.rep_id
        else "coaching.verify_action"
    )
    manager_id = action.rep.team.manager_id if action.rep.team else None
    if perm != own_part or user.pk not in (action.rep_id, manager_id):
        raise PermissionDenied("You can read this but not change it.")
    if not allowed(user, perm, action):
        raise PermissionDenied(
            "This action can't take that step now: it may already be settled."
        )

    return action
