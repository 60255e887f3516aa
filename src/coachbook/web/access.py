"""Fetching things for the person asking, or a 404 when it is not theirs to see."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from coachbook.coaching.models import Record, Session
from coachbook.people.access import can_coach
from coachbook.people.models import Person


class CoachbookRequest(HttpRequest):
    """A request behind the login: its user is a Person, and htmx says how it came."""

    user: Person
    htmx: HtmxDetails


def get_rep_for(user: Person, rep_id: int) -> Person:
    rep = get_object_or_404(
        Person.objects.select_related("team"), pk=rep_id, role=Person.Role.REP
    )
    if not (user.is_superuser or can_coach(user, rep)):
        raise Http404("No such rep on your team.")

    return rep


def get_session_for(user: Person, session_id: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("rep__team", "manager", "template"),
        pk=session_id,
    )
    if not (
        user.is_superuser
        or session.manager_id == user.pk
        or can_coach(user, session.rep)
    ):
        raise Http404("No such session.")

    return session


def get_record_for(user: Person, record_id: int) -> Record:
    record = get_object_or_404(
        Record.objects.select_related("session", "rep__team"), pk=record_id
    )
    get_session_for(user, record.session_id)

    return record
