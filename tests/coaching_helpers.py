"""Builders for the coaching tests.

`complete_session` builds a session in progress that meets every closing rule,
so a rule test can break exactly one thing and expect exactly one problem.
The text is chosen to mention no regulated topic and no topic that belongs
elsewhere, so a complete session has no findings either.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.serializers.json import DjangoJSONEncoder

from coachbook.coaching.models import (
    Action,
    DealReview,
    DevelopmentTopic,
    Disposition,
    Record,
    Session,
    SessionRefused,
    SkillCoaching,
)
from coachbook.crm.models import Opportunity
from coachbook.people.models import Person

MANAGER = "Melvin Marxen"
REP = "Darcel Schlecht"  # on Melvin Marxen's team
OTHER_REP = "Anna Snelling"  # on Dustin Brinkmann's team

FIRST_DAY = date(2017, 12, 1)
DAY = date(2017, 12, 15)  # two weeks (Darcel's cadence) after FIRST_DAY

SKILL = "Next-step commitment setting"
OUTCOMES = "Agree next steps on the riskiest deals and one skill to practise."
SUMMARY = (
    "Next steps agreed on the riskiest deals; practise asking for dated next steps."
)
FOLLOW_UPS = ["Book dated next steps on Engaging deals", "Practise the next-step ask"]


def person(name: str) -> Person:
    return Person.objects.get(full_name=name)


def at(day: date, hour: int = 10, minute: int = 0, zone: str = "UTC") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def planned_session(
    rep: Person | None = None,
    day: date = DAY,
    hour: int = 10,
    manager: Person | None = None,
    **kwargs,
) -> Session:
    rep = rep or person(REP)
    manager = manager or rep.manager
    return Session.objects.plan(
        manager, rep, at(day, hour, zone=manager.time_zone), **kwargs
    )


def add_deal_review(session: Session, deal: dict, rank: int, **fields) -> DealReview:
    """Review one deal from the frozen brief, fully discussed, with a decision."""
    values = {
        "risk_score": deal["risk_score"],
        "risk_rank": rank,
        "stage": deal["stage"],
        "next_step": "Call the buyer to agree a dated next meeting.",
        "decision_process": "Buyer and finance sign off together.",
        "blockers": "No named buyer recorded on the deal.",
        "support_needed": "Manager joins the next call.",
        "close_confidence": DealReview.Confidence.MEDIUM,
        "escalate": False,
    }
    values.update(fields)
    return DealReview.objects.create(
        session=session, opportunity=Opportunity.objects.get(pk=deal["id"]), **values
    )


def add_skill(session: Session, **fields) -> SkillCoaching:
    values = {
        "skill": SKILL,
        "evidence_kind": SkillCoaching.Evidence.CRM_NOTE,
        "evidence_date": session.local_date - timedelta(days=3),
        "evidence_where": "CRM notes on the Engaging deals",
        "evidence_what": "Three deals were left in Engaging with no agreed next meeting.",
        "feedback": "End each customer call with a dated next step the buyer agrees to, and log it the same day.",
        "practice_action": "Role-play asking for a dated next step before the next one-on-one.",
    }
    values.update(fields)
    return SkillCoaching.objects.create(session=session, **values)


def add_development(session: Session, **fields) -> DevelopmentTopic:
    values = {
        "topic": "Time management",
        "goal": "Protect two prospecting blocks a week.",
        "notes": "Blocks booked for Tuesday and Thursday mornings.",
    }
    values.update(fields)
    return DevelopmentTopic.objects.create(session=session, **values)


def add_action(session: Session, task: str, **fields) -> Action:
    values = {
        "task": task,
        "owner": session.rep,
        "due_date": session.local_date + timedelta(days=7),
        "expected_result": "Each deal shows a dated next step in the CRM.",
        "escalation_point": f"{session.manager.full_name}, if a buyer cannot be reached within a week",
    }
    values.update(fields)
    return Action.objects.create(session=session, rep=session.rep, **values)


def earlier_actions(session: Session) -> list[Action]:
    """Open actions from this rep's earlier finalised sessions (found independently of rules.py)."""
    return list(
        Action.objects.filter(
            rep=session.rep,
            status=Action.Status.OPEN,
            session__state=Session.State.FINALISED,
            session__scheduled_at__lt=session.scheduled_at,
        ).order_by("pk")
    )


def complete_session(
    rep: Person | None = None,
    day: date = DAY,
    *,
    hour: int = 10,
    deals: int = 1,
    actions: int = 1,
    start: bool = True,
) -> Session:
    """A prepared and opened session that meets every closing rule.

    Earlier open actions of the rep are carried forward, with a reason.
    With start=False the session is left prepared (not opened) but otherwise complete.
    """
    session = planned_session(rep, day, hour)
    manager = session.manager
    session.prepare(manager)
    if start:
        session.start(manager, OUTCOMES, 45)

    for rank, deal in enumerate(session.brief["open_deals"][:deals], start=1):
        add_deal_review(session, deal, rank)
    add_skill(session)
    add_development(session)
    for number in range(1, actions + 1):
        add_action(session, f"Book dated next steps on Engaging deal batch {number}")
    for action in earlier_actions(session):
        Disposition.objects.create(
            session=session,
            action=action,
            outcome=Disposition.Outcome.CARRIED,
            reason="Not finished yet; keep it for the next session.",
        )

    session.pipeline_new_opportunities = "Two new deals since the last session."
    session.pipeline_activity = "Calls are on plan for the month."
    session.pipeline_velocity = "Engaging deals sit longer than the team's usual."
    session.summary = SUMMARY
    session.next_meeting_at = session.default_next_meeting()
    session.top_follow_ups = list(FOLLOW_UPS)
    session.save()

    return session


def finalised_session(rep: Person | None = None, day: date = FIRST_DAY, **kwargs):
    """A complete session, closed and finalised: returns (session, record)."""
    session = complete_session(rep, day, **kwargs)
    session.close(session.manager)
    record = session.finalise(session.manager)

    return session, record


def refusal(session: Session) -> list[tuple[str, str]]:
    """Try to close; return the (step, message) pairs it was refused with."""
    with pytest.raises(SessionRefused) as refused:
        session.close(session.manager)

    return [(p.step, p.message) for p in refused.value.problems]


def assert_state(session: Session, state: str) -> None:
    """The state in memory and in the database."""
    assert session.state == state
    session.refresh_from_db()
    assert session.state == state


def recompute_hash(content, previous_hash: str) -> str:
    """The record chain hash, computed here rather than by records.chain_hash."""
    canonical = json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
    ).encode()
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical).hexdigest()


def stored_record(record: Record) -> Record:
    return Record.objects.get(pk=record.pk)
