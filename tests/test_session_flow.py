"""A session's life: plan, prepare, start, close, finalise; and what carries to the next one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from coachbook.coaching.models import (
    Action,
    AuditEvent,
    Disposition,
    Record,
    Session,
    SessionLocked,
    Template,
)
from coaching_helpers import (
    DAY,
    FIRST_DAY,
    MANAGER,
    OTHER_REP,
    OUTCOMES,
    REP,
    assert_state,
    at,
    complete_session,
    finalised_session,
    person,
    planned_session,
)

CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def manager(db):
    return person(MANAGER)


@pytest.fixture
def rep(db):
    return person(REP)


# Plan, prepare, start.


def test_plan_puts_the_session_in_the_managers_time_zone(manager, rep):
    manager.time_zone = "America/Chicago"
    manager.save()

    session = Session.objects.plan(
        manager, rep, datetime(2017, 12, 15, 10, tzinfo=CHICAGO)
    )

    assert session.state == Session.State.PLANNED
    assert session.time_zone == "America/Chicago"
    assert session.template == Template.objects.get(name="General B2B")
    assert session.duration_minutes == 45  # the template's
    assert session.local_start == datetime(2017, 12, 15, 10, tzinfo=CHICAGO)
    assert session.local_date == date(2017, 12, 15)


def test_plan_keeps_a_chosen_duration(manager, rep):
    session = Session.objects.plan(manager, rep, at(DAY), duration_minutes=30)

    assert session.duration_minutes == 30


def test_prepare_freezes_the_brief_as_of_the_session_date(manager, rep):
    session = planned_session(rep)
    assert not session.is_editable

    session.prepare(manager)

    assert_state(session, Session.State.PREPARED)
    assert session.brief_as_of == DAY
    assert session.brief["as_of"] == "2017-12-15"
    assert session.brief["rep"] == REP
    assert session.brief["open_actions"] == []
    assert session.brief["previous_session"] is None
    assert session.is_editable
    kinds = list(session.agenda.values_list("kind", flat=True))
    assert kinds == ["opening", "deals", "pipeline", "skill", "development", "actions"]


def test_the_frozen_brief_does_not_follow_later_data(manager, rep):
    session = planned_session(rep)
    session.prepare(manager)
    frozen = session.brief
    top = frozen["open_deals"][0]

    rep.deals.filter(pk=top["id"]).update(name="Renamed later")
    session.refresh_from_db()

    assert session.brief == frozen
    assert session.brief["open_deals"][0]["name"] != "Renamed later"


def test_start_opens_the_session(manager, rep):
    session = planned_session(rep)
    session.prepare(manager)

    session.start(manager, OUTCOMES, 30)

    assert_state(session, Session.State.IN_PROGRESS)
    assert session.time_confirmed
    assert session.expected_outcomes == OUTCOMES
    assert session.duration_minutes == 30


def test_a_planned_session_cannot_start(manager, rep):
    session = planned_session(rep)

    with pytest.raises(SessionLocked):
        session.start(manager, OUTCOMES, 45)
    assert_state(session, Session.State.PLANNED)


def test_the_brief_cannot_be_refrozen_once_started(manager, rep):
    session = complete_session()
    frozen = session.brief

    with pytest.raises(SessionLocked):
        session.prepare(manager)
    session.refresh_from_db()
    assert session.brief == frozen
    assert session.state == Session.State.IN_PROGRESS


def test_a_prepared_session_can_be_prepared_again(manager, rep):
    session = planned_session(rep)
    session.prepare(manager)
    session.prepare(manager)

    assert_state(session, Session.State.PREPARED)
    assert session.agenda.count() == 6


# Close and finalise.


def test_finalise_needs_a_closed_session(db):
    session = complete_session()

    with pytest.raises(SessionLocked):
        session.finalise(session.manager)
    assert_state(session, Session.State.IN_PROGRESS)
    assert not Record.objects.filter(session=session).exists()


def test_finalise_writes_the_record_and_locks_the_session(db):
    session = complete_session()
    session.close(session.manager)

    record = session.finalise(session.manager)

    assert_state(session, Session.State.FINALISED)
    assert session.finalised_at is not None
    assert record.session == session
    assert record.rep == session.rep
    assert record.created_by == session.manager
    assert (record.number, record.previous, record.previous_hash) == (1, None, "")


def test_a_closed_session_can_no_longer_be_edited(db):
    session = complete_session()
    session.close(session.manager)

    assert not session.is_editable
    with pytest.raises(SessionLocked, match="closed"):
        session.check_editable()


def test_a_finalised_session_cannot_be_edited(db):
    session, _ = finalised_session(day=DAY)
    manager = session.manager

    with pytest.raises(SessionLocked, match="finalised"):
        session.check_editable()
    with pytest.raises(SessionLocked):
        session.prepare(manager)
    with pytest.raises(SessionLocked):
        session.start(manager, "Something else", 30)
    with pytest.raises(SessionLocked):
        session.close(manager)
    with pytest.raises(SessionLocked):
        session.finalise(manager)

    assert_state(session, Session.State.FINALISED)
    assert session.expected_outcomes == OUTCOMES
    assert session.duration_minutes == 45
    assert Record.objects.filter(session=session).count() == 1


def test_the_audit_trail_names_each_step_and_its_actor(db):
    session, record = finalised_session(day=DAY)

    events = list(AuditEvent.objects.filter(session=session).order_by("pk"))
    assert [e.action for e in events] == ["prepared", "opened", "closed", "finalised"]
    assert {e.actor for e in events} == {session.manager}
    assert events[1].before["state"] == "prepared"
    assert events[1].after["state"] == "in_progress"
    assert events[-1].after == {"content_hash": record.content_hash}


# Earlier actions: the next brief lists them, finalising settles them.


def test_the_next_brief_lists_the_open_actions_of_the_last_session(db):
    first, _ = finalised_session(day=FIRST_DAY, actions=2)
    first_actions = list(first.actions.order_by("pk"))

    second = planned_session(day=FIRST_DAY + timedelta(days=14))
    second.prepare(second.manager)

    brief = second.brief
    listed = sorted(brief["open_actions"], key=lambda a: a["id"])
    assert [a["id"] for a in listed] == [a.pk for a in first_actions]
    assert [a["task"] for a in listed] == [a.task for a in first_actions]
    assert {a["from_session"] for a in listed} == {"2017-12-01"}
    assert {a["owner"] for a in listed} == {REP}
    assert brief["previous_session"] == first.pk
    assert brief["since"] == "2017-12-01"
    assert brief["changes_since_last_session"]["since"] == first.local_date.isoformat()
    assert brief["changes_since_last_session"]["as_of"] == "2017-12-15"
    actions_item = second.agenda.get(kind="actions")
    assert "2 open from earlier sessions" in actions_item.detail


def test_an_action_past_its_due_date_is_overdue_in_the_next_brief(db):
    finalised_session(day=FIRST_DAY)  # the action is due a week later, 8 Dec
    second = planned_session(day=DAY)
    second.prepare(second.manager)

    assert [a["overdue"] for a in second.brief["open_actions"]] == [True]
    assert second.brief["open_actions"][0]["due_date"] == "2017-12-08"


def test_the_next_brief_does_not_list_another_reps_actions(db):
    finalised_session(rep=person(OTHER_REP), day=FIRST_DAY)
    second = planned_session(day=DAY)
    second.prepare(second.manager)

    assert second.brief["open_actions"] == []
    assert second.brief["previous_session"] is None


def test_actions_of_an_unfinalised_session_are_not_yet_open_actions(db):
    first = complete_session(day=FIRST_DAY)
    first.close(first.manager)

    second = planned_session(day=DAY)
    second.prepare(second.manager)

    assert second.brief["open_actions"] == []
    # The closed session is the previous one for the changes, though.
    assert second.brief["changes_since_last_session"]["since"] == "2017-12-01"


def settle(session: Session, outcomes: dict[int, tuple[str, str]]) -> None:
    for action_id, (outcome, reason) in outcomes.items():
        Disposition.objects.filter(session=session, action_id=action_id).update(
            outcome=outcome, reason=reason
        )


def test_finalise_settles_the_dispositions(db):
    first, _ = finalised_session(day=FIRST_DAY, actions=3)
    done, carried, dropped = first.actions.order_by("pk")
    second = complete_session(day=DAY)
    settle(
        second,
        {
            done.pk: ("done", ""),
            carried.pk: ("carried", "Half the deals still need a next step."),
            dropped.pk: ("dropped", "The deals in that batch were lost."),
        },
    )
    second.close(second.manager)

    # Closing decides; only finalising changes the actions.
    assert set(
        Action.objects.filter(session=first).values_list("status", flat=True)
    ) == {"open"}

    second.finalise(second.manager)

    for action in (done, carried, dropped):
        action.refresh_from_db()
    assert (done.status, done.closed_on) == ("done", DAY)
    assert (carried.status, carried.closed_on) == ("open", None)
    assert (dropped.status, dropped.closed_on) == ("dropped", DAY)


def test_a_carried_action_comes_back_and_a_settled_one_does_not(db):
    first, _ = finalised_session(day=FIRST_DAY, actions=2)
    done, carried = first.actions.order_by("pk")
    second = complete_session(day=DAY)
    settle(second, {done.pk: ("done", "")})
    second.close(second.manager)
    second.finalise(second.manager)

    third = planned_session(day=DAY + timedelta(days=14))
    third.prepare(third.manager)

    listed = {a["id"] for a in third.brief["open_actions"]}
    assert carried.pk in listed
    assert done.pk not in listed
    assert listed == {carried.pk, *second.actions.values_list("pk", flat=True)}


def test_the_record_keeps_the_dispositions(db):
    first, _ = finalised_session(day=FIRST_DAY)
    action = first.actions.get()
    second = complete_session(day=DAY)
    settle(second, {action.pk: ("dropped", "The buyer left the company.")})
    second.close(second.manager)

    record = second.finalise(second.manager)

    assert record.content["earlier_actions"] == [
        {
            "task": action.task,
            "outcome": "Dropped",
            "reason": "The buyer left the company.",
            "new_due_date": None,
        }
    ]


# The next meeting.


def test_the_default_next_meeting_follows_the_reps_cadence(db):
    rep = person(REP)
    rep.cadence_days = 7
    rep.save()
    session = planned_session(rep, day=DAY, hour=9)

    assert session.default_next_meeting() == datetime(2017, 12, 22, 9, tzinfo=UTC)


def test_the_default_next_meeting_keeps_the_local_time_across_dst(manager, rep):
    manager.time_zone = "America/Chicago"
    manager.save()
    assert rep.cadence_days == 14
    session = Session.objects.plan(
        manager, rep, datetime(2017, 10, 30, 10, tzinfo=CHICAGO)
    )
    session.refresh_from_db()  # scheduled_at comes back from the database in UTC

    following = session.default_next_meeting()

    local = following.astimezone(CHICAGO)
    assert (local.date(), local.hour, local.minute) == (date(2017, 11, 13), 10, 0)
    assert session.local_start.utcoffset() == timedelta(hours=-5)
    assert local.utcoffset() == timedelta(hours=-6)
    assert following == datetime(2017, 11, 13, 16, tzinfo=UTC)
    assert following - session.scheduled_at == timedelta(days=14, hours=1)


def test_the_default_next_meeting_is_accepted_by_the_closing_rules(manager, rep):
    manager.time_zone = "America/Chicago"
    manager.save()
    session = complete_session(day=date(2017, 10, 30))

    assert session.next_meeting_at.astimezone(CHICAGO) == datetime(
        2017, 11, 13, 10, tzinfo=CHICAGO
    )
    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_the_brief_and_rules_use_the_session_local_date(manager, rep):
    """Late evening in Chicago is already the next day in UTC."""
    manager.time_zone = "America/Chicago"
    manager.save()
    session = planned_session(rep, day=DAY, hour=20)
    assert session.scheduled_at.astimezone(UTC).date() == DAY + timedelta(days=1)

    session.prepare(manager)

    assert session.brief_as_of == DAY
    assert session.brief["as_of"] == DAY.isoformat()
