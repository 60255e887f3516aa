"""The procedure's rules: what must be true before a session can close.

Each problem names the step it belongs to, so the page can put the message
next to the thing to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coachbook.coaching.models import Action, AgendaItem, Disposition, Session

# Topics that belong in another meeting (HR, compensation, formal review).
ELSEWHERE_TOPICS = {
    "compensation": r"\b(compensation|salary|salaries|pay rise|bonus(es)?|commissions?|pay cut|payout)\b",
    "discipline": r"\b(disciplinary|discipline|written warning|final warning|misconduct)\b",
    "formal performance review": r"\b(performance review|performance improvement plan|\bPIP\b|appraisal)\b",
}
# Topics that raise the template's compliance checklist.
REGULATED_TOPICS = {
    "product claims": r"\b(product claims?|guarantee[sd]?|certified|clinically|approved wording)\b",
    "hazardous products": r"\b(hazard(ous)?|chemical|flammable|toxic|msds|safety data sheet)\b",
    "site access": r"\b(site access|site visit|permit to work|permit-to-work|plant visit)\b",
}


@dataclass(frozen=True)
class Problem:
    step: str
    message: str


def session_text(session: Session) -> str:
    """Every free-text note in the session, for topic checks."""
    parts = [
        session.expected_outcomes,
        session.pipeline_new_opportunities,
        session.pipeline_activity,
        session.pipeline_velocity,
        session.pipeline_coverage_gaps,
        session.pipeline_forecast_concerns,
        session.summary,
        *session.top_follow_ups,
    ]
    for review in session.deal_reviews.all():
        parts += [
            review.next_step,
            review.decision_process,
            review.blockers,
            review.support_needed,
        ]
    for skill in session.skills.all():
        parts += [skill.evidence_what, skill.feedback, skill.practice_action]
    for topic in session.development.all():
        parts += [topic.goal, topic.notes]
    for action in session.actions.all():
        parts += [action.task, action.expected_result, action.escalation_point]
    parts += [item.title + " " + item.detail for item in session.agenda.all()]

    return "\n".join(p for p in parts if p)


def topics_found(text: str, topics: dict[str, str]) -> list[str]:
    return [
        name
        for name, pattern in topics.items()
        if re.search(pattern, text, re.IGNORECASE)
    ]


def earlier_open_actions(session: Session):
    return (
        Action.objects.open()
        .filter(rep=session.rep, session__state=Session.State.FINALISED)
        .exclude(session=session)
        .filter(session__scheduled_at__lt=session.scheduled_at)
        .select_related("owner", "session")
    )


def closing_problems(session: Session) -> list[Problem]:
    problems: list[Problem] = []
    add = lambda step, message: problems.append(Problem(step, message))  # noqa: E731
    session_date = session.local_date

    # Step 2: the agenda keeps its five required items.
    kinds = {item.kind for item in session.agenda.all()}
    for kind in AgendaItem.REQUIRED:
        if kind not in kinds:
            add("agenda", f"The agenda has no '{AgendaItem.Kind(kind).label}' item.")

    # Step 3: the session was opened with the time and outcomes confirmed.
    if not session.time_confirmed or not session.expected_outcomes.strip():
        add(
            "open",
            "Open the session: confirm the time available and state the expected outcomes.",
        )

    # Step 4: deals above the template's risk tolerance need an escalation decision.
    for review in session.deal_reviews.all():
        if (
            review.risk_score > session.template.risk_tolerance
            and review.escalate is None
        ):
            add(
                "deals",
                f"{review.opportunity.name} ({review.opportunity.external_id}) has risk "
                f"{review.risk_score}, above the tolerance of {session.template.risk_tolerance}: "
                "decide whether to escalate it.",
            )

    # Step 6: exactly one skill, with evidence.
    skills = list(session.skills.all())
    if not skills:
        add("skill", "No skill was coached. Coach exactly one skill before closing.")
    elif len(skills) > 1:
        add("skill", f"{len(skills)} skills were coached. Keep exactly one.")
    for skill in skills:
        if not skill.cites_evidence:
            add(
                "skill",
                f"Feedback on {skill.skill or 'the skill'} cites no evidence: say what was "
                "observed (call, email, meeting or CRM note), when or where to find it, and what happened.",
            )
        if not skill.feedback.strip():
            add("skill", "Write the specific feedback given on the skill.")
        if not skill.practice_action.strip():
            add("skill", "Agree one practice action for the skill.")

    # Step 7: one development topic.
    topics = list(session.development.all())
    if len(topics) != 1:
        add(
            "development",
            "Discuss exactly one development topic from the rep's growth plan.",
        )

    # Step 8: actions complete and dated; earlier actions dispositioned.
    for number, action in enumerate(session.actions.all(), start=1):
        missing = action.missing_fields()
        if missing:
            add("actions", f"Action {number} has no {', '.join(missing)}.")
        if action.due_date and action.due_date < session_date:
            add(
                "actions",
                f"Action {number} is due on {action.due_date}, before the session "
                f"({session_date}). Give it a date on or after the session.",
            )
    decided = {d.action_id: d for d in session.dispositions.all()}
    for action in earlier_open_actions(session):
        disposition = decided.get(action.pk)
        if disposition is None:
            add(
                "actions",
                f"Decide what happens to the open action '{action.task}': done, carried forward or dropped.",
            )
        elif (
            disposition.outcome == Disposition.Outcome.DROPPED
            and not disposition.reason.strip()
        ):
            add("actions", f"Say why the action '{action.task}' is dropped.")

    # Step 9: close.
    if not session.summary.strip():
        add("close", "Summarise the decisions made.")
    if session.next_meeting_at is None:
        add("close", "Set the next meeting date.")
    elif session.next_meeting_at <= session.scheduled_at:
        add("close", "The next meeting must come after this one.")
    follow_ups = [f for f in session.top_follow_ups if f.strip()]
    if not follow_ups:
        add("close", "Restate at least one top follow-up.")
    if len(follow_ups) > 3:
        add(
            "close",
            f"{len(follow_ups)} top follow-ups were listed; keep the three that matter most.",
        )

    # Compliance: each regulated topic that came up raises its own checks.
    for topic, check in required_checks(session):
        if check not in session.compliance_confirmed:
            add("close", f"{topic.capitalize()} came up: confirm '{check}'.")

    return problems


def required_checks(session: Session) -> list[tuple[str, str]]:
    """(topic, check) for each checklist item whose topic came up in the notes.

    An item with no topic applies whenever any regulated topic comes up.
    """
    raised = topics_found(session_text(session), REGULATED_TOPICS)
    if not raised:
        return []
    checks = []
    for item in session.template.compliance_checklist:
        if isinstance(item, str):  # a plain check applies to every topic
            item = {"topic": "", "check": item}
        topic = item.get("topic", "")
        if not topic or topic in raised:
            checks.append((topic or raised[0], item["check"]))

    return checks
