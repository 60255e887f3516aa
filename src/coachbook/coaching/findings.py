"""Findings: the procedure's known failure modes, flagged but never blocking."""

from __future__ import annotations

from dataclasses import dataclass

from coachbook.coaching.models import Session
from coachbook.coaching.rules import (
    ELSEWHERE_TOPICS,
    REGULATED_TOPICS,
    session_text,
    topics_found,
)

COACHING_WORDS = 25


@dataclass(frozen=True)
class Finding:
    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


def session_findings(session: Session) -> list[Finding]:
    findings: list[Finding] = []
    reviews = list(session.deal_reviews.select_related("opportunity"))
    skills = list(session.skills.all())
    cap = session.template.deal_cap
    # Judge the shape of the session only once it has reached the coaching part.
    reached_coaching = bool(skills) or session.state in (
        Session.State.CLOSED,
        Session.State.FINALISED,
    )

    if len(reviews) > cap:
        findings.append(
            Finding(
                "too_many_deals",
                f"{len(reviews)} deals were reviewed against a plan of {cap}. That is "
                "allowed; check the skill and development topics still got their time.",
            )
        )
    feedback_words = sum(
        len(s.feedback.split()) + len(s.practice_action.split()) for s in skills
    )
    coached_deals = [
        r for r in reviews if r.support_needed.strip() or r.blockers.strip()
    ]
    if (
        reached_coaching
        and reviews
        and not coached_deals
        and feedback_words < COACHING_WORDS
    ):
        findings.append(
            Finding(
                "status_meeting",
                "This reads like a status update: deals were walked through, but no "
                "blockers, support or real skill feedback were recorded.",
            )
        )
    for number, action in enumerate(session.actions.all(), start=1):
        missing = [f for f in action.missing_fields() if f in ("owner", "due date")]
        if missing:
            findings.append(
                Finding(
                    "action_without_owner",
                    f"Action {number} has no {' or '.join(missing)}.",
                )
            )
    for review in reviews:
        if review.escalate and not review.blockers.strip():
            findings.append(
                Finding(
                    "escalation_without_risk",
                    f"{review.opportunity.name} is escalated without a stated risk or blocker.",
                )
            )

    open_deals = (session.brief or {}).get("open_deal_count", 0)
    if reached_coaching and open_deals and not reviews:
        findings.append(
            Finding(
                "no_deal_review",
                f"No deal was reviewed, though the rep has {open_deals} open deals.",
            )
        )
    if session.state in (Session.State.CLOSED, Session.State.FINALISED) and not any(
        True for _ in session.actions.all()
    ):
        findings.append(
            Finding(
                "no_actions", "No new actions were agreed; nothing will be followed up."
            )
        )

    text = session_text(session)
    for topic in topics_found(text, ELSEWHERE_TOPICS):
        findings.append(
            Finding(
                "topic_elsewhere",
                f"Notes mention {topic}, which belongs in a separate conversation, not a coaching one-on-one.",
            )
        )
    for topic in topics_found(text, REGULATED_TOPICS):
        findings.append(
            Finding(
                "regulated_topic",
                f"Notes mention {topic}: the compliance checklist applies to this session.",
            )
        )

    return findings
