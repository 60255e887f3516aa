"""The frozen record of a session: its content, its hash chain and its exports."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from coachbook.coaching.findings import session_findings
from coachbook.coaching.models import Record, Session


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(
        content,
        cls=DjangoJSONEncoder,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def chain_hash(content: dict[str, Any], previous_hash: str) -> str:
    """The record's hash covers its content and the previous record's hash."""
    return hashlib.sha256(
        previous_hash.encode() + b"\n" + canonical(content)
    ).hexdigest()


def record_content(session: Session) -> dict[str, Any]:
    """Everything the session covered, in the order of the procedure."""
    person = lambda p: p.full_name if p else None  # noqa: E731
    return {
        "session_id": session.pk,
        "date": session.local_date.isoformat(),
        "starts_at": session.local_start.isoformat(),
        "time_zone": session.time_zone,
        "duration_minutes": session.duration_minutes,
        "manager": person(session.manager),
        "rep": person(session.rep),
        "template": session.template.name,
        "expected_outcomes": session.expected_outcomes,
        "agenda": [
            {
                "kind": i.kind,
                "title": i.title,
                "minutes": i.minutes,
                "detail": i.detail,
                "added_by": person(i.added_by),
            }
            for i in session.agenda.all()
        ],
        "deal_reviews": [
            {
                "deal": r.opportunity.name,
                "deal_id": r.opportunity.external_id,
                "risk_score": r.risk_score,
                "stage": r.stage,
                "next_step": r.next_step,
                "decision_process": r.decision_process,
                "blockers": r.blockers,
                "support_needed": r.support_needed,
                "close_confidence": r.get_close_confidence_display()
                if r.close_confidence
                else "",
                "escalate": r.escalate,
                "over_cap": r.over_cap,
                "extra": r.extra,
            }
            for r in session.deal_reviews.select_related("opportunity")
        ],
        "pipeline": {
            "new_opportunities": session.pipeline_new_opportunities,
            "activity": session.pipeline_activity,
            "velocity": session.pipeline_velocity,
            "coverage_gaps": session.pipeline_coverage_gaps,
            "forecast_concerns": session.pipeline_forecast_concerns,
        },
        "skill": [
            {
                "skill": s.skill,
                "evidence": {
                    "kind": s.get_evidence_kind_display() if s.evidence_kind else "",
                    "date": s.evidence_date.isoformat() if s.evidence_date else None,
                    "where": s.evidence_where,
                    "what": s.evidence_what,
                },
                "feedback": s.feedback,
                "practice_action": s.practice_action,
            }
            for s in session.skills.all()
        ],
        "development": [
            {"topic": t.topic, "goal": t.goal, "notes": t.notes}
            for t in session.development.all()
        ],
        "actions": [
            {
                "task": a.task,
                "owner": person(a.owner),
                "due_date": a.due_date.isoformat() if a.due_date else None,
                "expected_result": a.expected_result,
                "escalation_point": a.escalation_point,
            }
            for a in session.actions.select_related("owner")
        ],
        "earlier_actions": [
            {
                "task": d.action.task,
                "outcome": d.get_outcome_display(),
                "reason": d.reason,
                "new_due_date": d.new_due_date.isoformat() if d.new_due_date else None,
            }
            for d in session.dispositions.select_related("action")
        ],
        "summary": session.summary,
        "next_meeting_at": session.next_meeting_at.astimezone(
            ZoneInfo(session.time_zone)
        ).isoformat()
        if session.next_meeting_at
        else None,
        "top_follow_ups": session.top_follow_ups,
        "compliance_confirmed": session.compliance_confirmed,
        "findings": [f.as_dict() for f in session_findings(session)],
        "brief": session.brief,
    }


def as_json(record: Record) -> str:
    payload = {
        "record": record.number,
        "rep": record.rep.full_name,
        "content_hash": record.content_hash,
        "previous_hash": record.previous_hash,
        "created_at": record.created_at.isoformat(),
        "content": record.content,
        "amendments": [
            {
                "number": a.number,
                "author": a.author.full_name,
                "reason": a.reason,
                "text": a.text,
                "at": a.created_at.isoformat(),
                "content_hash": a.content_hash,
            }
            for a in record.amendments.select_related("author")
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)


def as_markdown(record: Record) -> str:
    return render_to_string(
        "coaching/record.md",
        {
            "record": record,
            "c": record.content,
            "amendments": record.amendments.select_related("author"),
        },
    )


def as_ics(record: Record) -> bytes | None:
    """A calendar invite for the next one-on-one agreed in this record, or None."""
    content = record.content
    if not content.get("next_meeting_at"):
        return None
    zone = ZoneInfo(content["time_zone"])
    starts = datetime.fromisoformat(content["next_meeting_at"]).astimezone(zone)
    follow_ups = "\n".join(f"- {item}" for item in content.get("top_follow_ups", []))

    event = icalendar.Event()
    event.add("uid", f"coachbook-record-{record.pk}-next-session")
    event.add("dtstamp", record.created_at)
    event.add("dtstart", starts)
    event.add("duration", timedelta(minutes=content["duration_minutes"]))
    event.add("summary", f"One-on-one: {content['manager']} and {content['rep']}")
    event.add("description", "Follow-ups from the last session:\n" + follow_ups)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//coachbook//coaching sessions//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    calendar.add_missing_timezones()

    return calendar.to_ical()
