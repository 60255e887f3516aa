"""Frozen records: the hash chain, tamper evidence, amendments and exports."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from coachbook.coaching import records
from coachbook.coaching.models import Amendment, Record, SessionLocked
from coaching_helpers import (
    DAY,
    FIRST_DAY,
    MANAGER,
    OTHER_REP,
    REP,
    SKILL,
    SUMMARY,
    finalised_session,
    person,
    recompute_hash,
    stored_record,
)

guards = importlib.import_module("coachbook.coaching.migrations.0005_immutable_records")


@pytest.fixture
def record(db) -> Record:
    return finalised_session(day=FIRST_DAY, actions=2)[1]


# The content and its hash.


def test_the_first_record_starts_the_reps_chain(record):
    assert record.number == 1
    assert record.previous is None
    assert record.previous_hash == ""


def test_the_content_hash_covers_the_stored_content(record):
    stored = stored_record(record)

    assert len(stored.content_hash) == 64
    assert recompute_hash(stored.content, "") == stored.content_hash


def test_the_content_is_what_the_session_covered(record):
    content = stored_record(record).content
    session = record.session

    assert content["session_id"] == session.pk
    assert content["date"] == "2017-12-01"
    assert (content["rep"], content["manager"]) == (REP, MANAGER)
    assert content["template"] == "General B2B"
    assert content["summary"] == SUMMARY
    assert [s["skill"] for s in content["skill"]] == [SKILL]
    assert [a["task"] for a in content["actions"]] == list(
        session.actions.order_by("due_date", "pk").values_list("task", flat=True)
    )
    assert {a["owner"] for a in content["actions"]} == {REP}
    assert [d["deal_id"] for d in content["deal_reviews"]] == [
        session.brief["open_deals"][0]["external_id"]
    ]
    assert content["brief"] == session.brief
    assert content["findings"] == []
    # The next meeting is written in the session's own time zone, not UTC.
    local = session.next_meeting_at.astimezone(ZoneInfo(session.time_zone))
    assert content["next_meeting_at"] == local.isoformat()
    assert content["next_meeting_at"].endswith(
        local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    )


def test_a_second_record_links_to_the_first(record):
    session, second = finalised_session(day=DAY)
    stored = stored_record(second)

    assert stored.number == 2
    assert stored.previous == record
    assert stored.previous_hash == record.content_hash
    assert recompute_hash(stored.content, record.content_hash) == stored.content_hash
    # The same content without the link would hash differently.
    assert recompute_hash(stored.content, "") != stored.content_hash
    assert record.next_record == stored


def test_each_rep_has_a_chain_of_their_own(record):
    _, other = finalised_session(rep=person(OTHER_REP), day=FIRST_DAY)

    assert (other.number, other.previous, other.previous_hash) == (1, None, "")
    assert other.rep.full_name == OTHER_REP


def test_a_third_record_continues_the_chain(record):
    _, second = finalised_session(day=DAY)
    _, third = finalised_session(day=DAY + timedelta(days=14))

    chain = list(Record.objects.filter(rep=record.rep).order_by("number"))
    assert [r.number for r in chain] == [1, 2, 3]
    assert chain[2].previous == second
    previous_hash = ""
    for r in chain:
        assert r.previous_hash == previous_hash
        assert recompute_hash(r.content, previous_hash) == r.content_hash
        previous_hash = r.content_hash


# Tamper evidence.


def test_the_database_refuses_to_change_a_finalised_record(record):
    content = stored_record(record).content
    content["summary"] = "Nothing was agreed."

    with pytest.raises(IntegrityError), transaction.atomic():
        Record.objects.filter(pk=record.pk).update(content=content)
    assert stored_record(record).content["summary"] == SUMMARY


def test_a_changed_record_no_longer_matches_its_hash(record):
    content = stored_record(record).content
    content["summary"] = "Nothing was agreed."
    # Someone with direct database access takes the guards off first.
    guards.drop_guards(connection)
    Record.objects.filter(pk=record.pk).update(content=content)

    tampered = stored_record(record)
    assert tampered.content["summary"] == "Nothing was agreed."
    assert (
        recompute_hash(tampered.content, tampered.previous_hash)
        != tampered.content_hash
    )


def test_a_changed_record_breaks_the_next_link(record):
    _, second = finalised_session(day=DAY)
    content = stored_record(record).content
    content["actions"] = []
    guards.drop_guards(connection)
    Record.objects.filter(pk=record.pk).update(content=content)

    first = stored_record(record)
    # The next record still points at the hash the untampered first record had.
    assert recompute_hash(first.content, "") != stored_record(second).previous_hash


def test_a_record_cannot_be_saved_again(record):
    record.content = {"summary": "rewritten"}

    with pytest.raises(SessionLocked):
        record.save()
    assert stored_record(record).content["summary"] == SUMMARY


# Amendments.


def test_amendments_are_numbered_and_chained(record):
    manager = person(MANAGER)

    first = record.amend(manager, "Wrong due date", "Action 2 is due on 12 Dec.")
    second = record.amend(manager, " Typo in the summary ", " Read 'next steps'. ")

    assert [a.number for a in record.amendments.all()] == [1, 2]
    assert (first.author, first.reason, first.text) == (
        manager,
        "Wrong due date",
        "Action 2 is due on 12 Dec.",
    )
    assert (second.reason, second.text) == ("Typo in the summary", "Read 'next steps'.")
    assert first.content_hash == recompute_hash(
        {"reason": first.reason, "text": first.text}, record.content_hash
    )
    assert second.content_hash == recompute_hash(
        {"reason": second.reason, "text": second.text}, first.content_hash
    )


def test_an_amendment_leaves_the_record_unchanged(record):
    before = stored_record(record)

    record.amend(person(MANAGER), "Wrong due date", "Action 2 is due on 12 Dec.")

    after = stored_record(record)
    assert (after.content, after.content_hash) == (before.content, before.content_hash)
    assert recompute_hash(after.content, "") == after.content_hash


@pytest.mark.parametrize(
    "reason, text",
    [("", "A correction."), ("   ", "A correction."), ("A reason.", " ")],
    ids=["empty-reason", "blank-reason", "blank-text"],
)
def test_an_amendment_needs_a_reason_and_a_text(record, reason, text):
    with pytest.raises(ValueError):
        record.amend(person(MANAGER), reason, text)

    assert not Amendment.objects.filter(record=record).exists()


def test_amending_is_audited(record):
    amendment = record.amend(person(MANAGER), "Wrong due date", "Due 12 Dec.")

    event = record.session.audit.get(action="amended")
    assert event.object_id == str(amendment.pk)
    assert event.after == {"reason": "Wrong due date"}


# Exports.


def test_the_json_export_carries_content_hash_and_amendments(record):
    record.amend(person(MANAGER), "Wrong due date", "Action 2 is due on 12 Dec.")
    stored = stored_record(record)

    exported = json.loads(records.as_json(stored))

    assert exported["record"] == 1
    assert exported["rep"] == REP
    assert exported["content"] == stored.content
    assert exported["content_hash"] == stored.content_hash
    assert exported["previous_hash"] == ""
    assert (
        recompute_hash(exported["content"], exported["previous_hash"])
        == exported["content_hash"]
    )
    [amendment] = exported["amendments"]
    assert amendment["number"] == 1
    assert amendment["author"] == MANAGER
    assert amendment["reason"] == "Wrong due date"
    assert amendment["text"] == "Action 2 is due on 12 Dec."


def test_the_markdown_export_reads_as_the_record(record):
    record.amend(person(MANAGER), "Wrong due date", "Action 2 is due on 12 Dec.")
    stored = stored_record(record)

    text = records.as_markdown(stored)

    assert f"# Coaching record: {REP}, 1 Dec 2017" in text
    assert SKILL in text
    for action in record.session.actions.all():
        assert action.task in text
    assert stored.content_hash in text
    assert SUMMARY in text
    assert "Action 2 is due on 12 Dec." in text
    assert "Reason: Wrong due date" in text


def test_the_next_session_downloads_as_a_calendar_invite(db, client):
    import icalendar

    session, record = finalised_session()
    client.force_login(session.manager)

    response = client.get(f"/records/{record.pk}/download.ics")

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    starts = event.decoded("dtstart")
    assert starts == session.next_meeting_at
    assert str(starts.tzinfo) == session.time_zone
    assert event.decoded("duration") == timedelta(minutes=session.duration_minutes)
    assert (
        event["summary"]
        == f"One-on-one: {session.manager.full_name} and {session.rep.full_name}"
    )
