"""The closing rules, one test per way each rule can be broken, and the findings.

Every rule test starts from a complete session (coaching_helpers.complete_session),
breaks exactly one thing, and expects exactly that problem, with the session
left in the state it was in.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from coachbook.coaching.findings import session_findings
from coachbook.coaching.models import (
    AgendaItem,
    DealReview,
    Disposition,
    Session,
    SkillCoaching,
    Template,
)
from coaching_helpers import (
    DAY,
    OTHER_REP,
    add_action,
    add_deal_review,
    add_development,
    add_skill,
    assert_state,
    complete_session,
    finalised_session,
    person,
    refusal,
)

IN_PROGRESS = Session.State.IN_PROGRESS


@pytest.fixture
def session(db) -> Session:
    return complete_session()


@pytest.fixture
def template(db) -> Template:
    return Template.objects.get(name="General B2B")


def refused_with(session: Session, *expected: tuple[str, str]) -> None:
    """Closing is refused with exactly these problems, and the state is unchanged."""
    state = session.state
    assert refusal(session) == list(expected)
    assert_state(session, state)
    assert session.closed_at is None


# A complete session closes.


def test_a_complete_session_closes(session):
    session.close(session.manager)

    assert_state(session, Session.State.CLOSED)
    assert session.closed_at is not None


def test_the_default_template_is_general_b2b_with_its_tolerance_and_cap(
    session, template
):
    assert session.template == template
    assert (template.risk_tolerance, template.deal_cap) == (25, 3)


# Step 2: the agenda keeps its five required items.


@pytest.mark.parametrize(
    "kind, label",
    [
        ("deals", "Deal review"),
        ("pipeline", "Pipeline and activity review"),
        ("skill", "Skill coaching"),
        ("development", "Development topic"),
        ("actions", "Follow-up commitments"),
    ],
)
def test_it_refuses_to_close_without_a_required_agenda_item(session, kind, label):
    session.agenda.filter(kind=kind).delete()

    refused_with(session, ("agenda", f"The agenda has no '{label}' item."))


def test_the_opening_item_is_not_required_to_close(session):
    session.agenda.filter(kind=AgendaItem.Kind.OPENING).delete()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


# Step 3: the session was opened.

OPEN_MESSAGE = (
    "open",
    "Open the session: confirm the time available and state the expected outcomes.",
)


def test_it_refuses_to_close_a_session_that_was_never_opened(db):
    session = complete_session(start=False)
    assert session.state == Session.State.PREPARED

    refused_with(session, OPEN_MESSAGE)


def test_it_refuses_to_close_when_the_time_was_not_confirmed(session):
    session.time_confirmed = False
    session.save()

    refused_with(session, OPEN_MESSAGE)


def test_it_refuses_to_close_without_expected_outcomes(session):
    session.expected_outcomes = "   "
    session.save()

    refused_with(session, OPEN_MESSAGE)


# Step 4: deals above the risk tolerance need an escalation decision.


def test_it_refuses_a_risky_deal_without_an_escalation_decision(session, template):
    review = session.deal_reviews.get()
    assert review.risk_score > template.risk_tolerance  # 30 in the real data
    review.escalate = None
    review.save()

    deal = review.opportunity
    refused_with(
        session,
        (
            "deals",
            f"{deal.name} ({deal.external_id}) has risk {review.risk_score}, above the "
            "tolerance of 25: decide whether to escalate it.",
        ),
    )


@pytest.mark.parametrize("decision", [True, False])
def test_either_escalation_decision_lets_a_risky_deal_close(session, decision):
    session.deal_reviews.update(escalate=decision)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_a_deal_at_the_tolerance_needs_no_escalation_decision(session, template):
    session.deal_reviews.update(escalate=None, risk_score=template.risk_tolerance)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_refuses_every_undecided_risky_deal(db):
    session = complete_session(deals=2)
    session.deal_reviews.update(escalate=None)

    problems = refusal(session)
    assert [step for step, _ in problems] == ["deals", "deals"]
    for review in session.deal_reviews.select_related("opportunity"):
        assert any(review.opportunity.external_id in m for _, m in problems)
    assert_state(session, IN_PROGRESS)


# Step 6: exactly one skill, with evidence, feedback and a practice action.


def test_it_refuses_to_close_without_a_skill(session):
    session.skills.all().delete()

    refused_with(
        session,
        ("skill", "No skill was coached. Coach exactly one skill before closing."),
    )


def test_it_refuses_to_close_with_two_skills(session):
    add_skill(session, skill="Objection handling")

    refused_with(session, ("skill", "2 skills were coached. Keep exactly one."))


def no_evidence(skill: str) -> tuple[str, str]:
    return (
        "skill",
        f"Feedback on {skill} cites no evidence: say what was observed (call, email, "
        "meeting or CRM note), when or where to find it, and what happened.",
    )


def test_it_refuses_skill_feedback_without_evidence(session):
    session.skills.update(
        evidence_kind="", evidence_date=None, evidence_where="", evidence_what=""
    )

    refused_with(session, no_evidence("Next-step commitment setting"))


def test_it_refuses_evidence_without_its_kind(session):
    session.skills.update(evidence_kind="")

    refused_with(session, no_evidence("Next-step commitment setting"))


def test_it_refuses_evidence_that_does_not_say_what_happened(session):
    session.skills.update(evidence_what="  ")

    refused_with(session, no_evidence("Next-step commitment setting"))


def test_it_refuses_evidence_with_neither_date_nor_place(session):
    session.skills.update(evidence_date=None, evidence_where=" ")

    refused_with(session, no_evidence("Next-step commitment setting"))


@pytest.mark.parametrize(
    "change",
    [{"evidence_date": None}, {"evidence_where": ""}],
    ids=["where-without-date", "date-without-where"],
)
def test_evidence_needs_a_date_or_a_place_not_both(session, change):
    session.skills.update(**change)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


@pytest.mark.parametrize("kind", [k for k, _ in SkillCoaching.Evidence.choices])
def test_every_kind_of_evidence_counts(session, kind):
    session.skills.update(evidence_kind=kind)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_refuses_a_skill_without_feedback(session):
    session.skills.update(feedback=" ")

    refused_with(session, ("skill", "Write the specific feedback given on the skill."))


def test_it_refuses_a_skill_without_a_practice_action(session):
    session.skills.update(practice_action="")

    refused_with(session, ("skill", "Agree one practice action for the skill."))


# Step 7: exactly one development topic.

DEVELOPMENT_MESSAGE = (
    "development",
    "Discuss exactly one development topic from the rep's growth plan.",
)


def test_it_refuses_to_close_without_a_development_topic(session):
    session.development.all().delete()

    refused_with(session, DEVELOPMENT_MESSAGE)


def test_it_refuses_to_close_with_two_development_topics(session):
    add_development(session, topic="Presentation skills")

    refused_with(session, DEVELOPMENT_MESSAGE)


# Step 8: actions complete and dated.


@pytest.mark.parametrize(
    "field, blank, name",
    [
        ("task", "  ", "task"),
        ("owner", None, "owner"),
        ("due_date", None, "due date"),
        ("expected_result", "", "expected result"),
        ("escalation_point", " ", "escalation point"),
    ],
    ids=["task", "owner", "due-date", "expected-result", "escalation-point"],
)
def test_it_refuses_to_close_an_action_without_each_field(session, field, blank, name):
    session.actions.update(**{field: blank})

    refused_with(session, ("actions", f"Action 1 has no {name}."))


def test_it_refuses_to_close_an_action_without_an_owner(session):
    session.actions.update(owner=None)

    refused_with(session, ("actions", "Action 1 has no owner."))


def test_it_lists_every_missing_field_of_an_action(session):
    session.actions.update(owner=None, due_date=None, escalation_point="")

    refused_with(
        session, ("actions", "Action 1 has no owner, due date, escalation point.")
    )


def test_it_numbers_the_action_that_is_incomplete(db):
    session = complete_session(actions=2)
    second = session.actions.order_by("pk").last()
    second.expected_result = ""
    second.save()

    refused_with(session, ("actions", "Action 2 has no expected result."))


def test_it_refuses_a_due_date_before_the_session(session):
    session.actions.update(due_date=DAY - timedelta(days=1))

    refused_with(
        session,
        (
            "actions",
            "Action 1 is due on 2017-12-14, before the session (2017-12-15). "
            "Give it a date on or after the session.",
        ),
    )


def test_an_action_due_on_the_session_day_is_accepted(session):
    session.actions.update(due_date=DAY)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_the_due_date_is_checked_against_the_session_local_date(db):
    """20:00 in Chicago on 15 Dec is 16 Dec in UTC: due on the 15th is still fine."""
    manager = person("Melvin Marxen")
    manager.time_zone = "America/Chicago"
    manager.save()
    session = complete_session(hour=20)
    assert session.scheduled_at.astimezone(UTC).date() == DAY + timedelta(days=1)
    assert session.local_date == DAY
    session.actions.update(due_date=DAY)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_a_session_without_new_actions_can_close(session):
    session.actions.all().delete()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


# Step 8: earlier open actions are dispositioned.


@pytest.fixture
def second_session(db) -> Session:
    """Session 2 with the rep's earlier finalised session (one open action) carried forward."""
    finalised_session()

    return complete_session()


def test_it_refuses_an_undispositioned_earlier_action(second_session):
    disposition = second_session.dispositions.get()
    task = disposition.action.task
    disposition.delete()

    refused_with(
        second_session,
        (
            "actions",
            f"Decide what happens to the open action '{task}': done, carried forward or dropped.",
        ),
    )


def test_it_refuses_a_dropped_action_without_reason(second_session):
    second_session.dispositions.update(outcome=Disposition.Outcome.DROPPED, reason=" ")
    task = second_session.dispositions.get().action.task

    refused_with(
        second_session, ("actions", f"Say why the action '{task}' is dropped.")
    )


@pytest.mark.parametrize(
    "outcome, reason",
    [("done", ""), ("carried", ""), ("dropped", "The buyer left the company.")],
)
def test_each_disposition_settles_an_earlier_action(second_session, outcome, reason):
    second_session.dispositions.update(outcome=outcome, reason=reason)

    second_session.close(second_session.manager)
    assert_state(second_session, Session.State.CLOSED)


def test_it_asks_about_every_earlier_open_action(db):
    finalised_session(actions=2)
    session = complete_session()
    session.dispositions.all().delete()

    problems = refusal(session)
    assert [step for step, _ in problems] == ["actions", "actions"]
    assert_state(session, IN_PROGRESS)


def test_it_does_not_ask_about_another_reps_actions(db):
    finalised_session(rep=person(OTHER_REP))
    session = complete_session()
    assert not session.dispositions.exists()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_does_not_ask_about_actions_of_a_session_not_yet_finalised(db):
    earlier = complete_session(day=DAY - timedelta(days=14))
    earlier.close(earlier.manager)  # closed, but no record yet
    session = complete_session()
    assert not session.dispositions.exists()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_does_not_ask_again_about_actions_already_settled(db):
    finalised_session(day=DAY - timedelta(days=28))
    middle = complete_session(day=DAY - timedelta(days=14))
    middle.dispositions.update(outcome=Disposition.Outcome.DONE)
    middle.close(middle.manager)
    middle.finalise(middle.manager)
    session = complete_session()

    # Only the middle session's own action is still open.
    assert [d.action.session_id for d in session.dispositions.all()] == [middle.pk]
    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


# Step 9: close.


def test_it_refuses_to_close_without_a_summary(session):
    session.summary = "  "
    session.save()

    refused_with(session, ("close", "Summarise the decisions made."))


def test_it_refuses_to_close_without_a_next_meeting(session):
    session.next_meeting_at = None
    session.save()

    refused_with(session, ("close", "Set the next meeting date."))


@pytest.mark.parametrize(
    "offset", [timedelta(0), timedelta(days=-1)], ids=["same-time", "before"]
)
def test_it_refuses_a_next_meeting_that_is_not_after_this_one(session, offset):
    session.next_meeting_at = session.scheduled_at + offset
    session.save()

    refused_with(session, ("close", "The next meeting must come after this one."))


@pytest.mark.parametrize("follow_ups", [[], ["", "   "]], ids=["none", "blank"])
def test_it_refuses_to_close_without_a_follow_up(session, follow_ups):
    session.top_follow_ups = follow_ups
    session.save()

    refused_with(session, ("close", "Restate at least one top follow-up."))


def test_it_refuses_more_than_three_follow_ups(session):
    session.top_follow_ups = ["One", "Two", "Three", "Four"]
    session.save()

    refused_with(
        session,
        ("close", "4 top follow-ups were listed; keep the three that matter most."),
    )


@pytest.mark.parametrize(
    "follow_ups", [["One"], ["One", "Two", "Three"], ["One", "Two", "Three", " "]]
)
def test_one_to_three_follow_ups_are_accepted(session, follow_ups):
    session.top_follow_ups = follow_ups
    session.save()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


# Compliance: a regulated topic raises the template's checklist.


def checks_for(template, topic: str) -> list[str]:
    return [c["check"] for c in template.compliance_checklist if c["topic"] == topic]


@pytest.mark.parametrize(
    "where, text, topic",
    [
        (
            "pipeline_forecast_concerns",
            "The buyer asked about hazardous goods handling.",
            "hazardous products",
        ),
        (
            "summary",
            "Plan the site access for the demo at the buyer's plant.",
            "site access",
        ),
        ("deal", "Product claims in the proposal need checking.", "product claims"),
    ],
    ids=["hazardous", "site-access", "product-claims"],
)
def test_it_refuses_a_regulated_topic_without_its_compliance_check(
    session, template, where, text, topic
):
    if where == "deal":
        session.deal_reviews.update(next_step=text)
    else:
        setattr(session, where, text)
        session.save()

    (check,) = checks_for(template, topic)
    refused_with(
        session, ("close", f"{topic.capitalize()} came up: confirm '{check}'.")
    )


def test_it_asks_only_for_the_checks_of_the_topics_that_came_up(session, template):
    session.pipeline_forecast_concerns = (
        "Hazardous goods handling, and a site visit next week."
    )
    session.compliance_confirmed = checks_for(template, "hazardous products")
    session.save()

    (check,) = checks_for(template, "site access")
    refused_with(session, ("close", f"Site access came up: confirm '{check}'."))


def test_a_regulated_topic_closes_once_its_check_is_confirmed(session, template):
    session.pipeline_forecast_concerns = (
        "The buyer asked about hazardous goods handling."
    )
    session.compliance_confirmed = checks_for(template, "hazardous products")
    session.save()

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


# Findings: flagged, never blocking.


def codes(session: Session) -> list[str]:
    return [f.code for f in session_findings(session)]


def test_a_complete_session_has_no_findings(session):
    assert session_findings(session) == []


def test_it_flags_more_deals_than_the_cap(db):
    session = complete_session(deals=4)

    findings = session_findings(session)
    assert [f.code for f in findings] == ["too_many_deals"]
    assert findings[0].text.startswith("4 deals were reviewed against a plan of 3")


def test_deals_up_to_the_cap_are_not_flagged(db):
    assert codes(complete_session(deals=3)) == []


def test_too_many_deals_does_not_block_closing(db):
    session = complete_session(deals=4)

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_flags_a_status_meeting(session):
    session.deal_reviews.update(blockers="", support_needed="")
    session.skills.update(feedback="Good.", practice_action="Keep going.")

    assert codes(session) == ["status_meeting"]


def test_real_skill_feedback_is_not_a_status_meeting(session):
    session.deal_reviews.update(blockers="", support_needed="")

    assert codes(session) == []


def test_a_session_without_deals_is_not_a_status_meeting_but_is_flagged(session):
    session.deal_reviews.all().delete()
    session.skills.update(feedback="Good.", practice_action="Keep going.")

    assert codes(session) == ["no_deal_review"]


def test_a_closed_session_without_new_actions_is_flagged(session):
    session.actions.all().delete()
    session.close(session.manager)

    assert codes(session) == ["no_actions"]


def test_the_shape_of_a_session_is_not_judged_before_its_coaching_part(session):
    session.skills.all().delete()
    session.deal_reviews.update(blockers="", support_needed="")

    assert "status_meeting" not in codes(session)


@pytest.mark.parametrize(
    "change, text",
    [
        ({"owner": None}, "Action 1 has no owner."),
        ({"due_date": None}, "Action 1 has no due date."),
        ({"owner": None, "due_date": None}, "Action 1 has no owner or due date."),
    ],
)
def test_it_flags_an_action_without_owner_or_due_date(session, change, text):
    session.actions.update(**change)

    findings = session_findings(session)
    assert [(f.code, f.text) for f in findings] == [("action_without_owner", text)]


def test_an_action_missing_other_fields_is_not_flagged_as_ownerless(session):
    session.actions.update(expected_result="")

    assert codes(session) == []


def test_it_flags_an_escalation_without_a_risk(session):
    session.deal_reviews.update(escalate=True, blockers=" ")
    deal = session.deal_reviews.get().opportunity

    findings = session_findings(session)
    assert [(f.code, f.text) for f in findings] == [
        (
            "escalation_without_risk",
            f"{deal.name} is escalated without a stated risk or blocker.",
        )
    ]


def test_an_escalation_with_a_blocker_is_not_flagged(session):
    session.deal_reviews.update(escalate=True)

    assert codes(session) == []


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Darcel asked about the year-end bonus.", "compensation"),
        ("A disciplinary matter came up.", "discipline"),
        ("Prepare for the performance review in January.", "formal performance review"),
    ],
)
def test_it_flags_a_topic_that_belongs_elsewhere(session, text, topic):
    session.summary = text
    session.save()

    findings = session_findings(session)
    assert [f.code for f in findings] == ["topic_elsewhere"]
    assert f"Notes mention {topic}" in findings[0].text


def test_a_topic_that_belongs_elsewhere_does_not_block_closing(session):
    add_action(session, "Raise the bonus question with HR")
    assert codes(session) == ["topic_elsewhere"]

    session.close(session.manager)
    assert_state(session, Session.State.CLOSED)


def test_it_flags_a_regulated_topic(session):
    session.development.update(notes="Shadow a site visit with the field engineer.")

    findings = session_findings(session)
    assert [f.code for f in findings] == ["regulated_topic"]
    assert "site access" in findings[0].text


def test_findings_read_urgent_agenda_items_too(session):
    AgendaItem.objects.create(
        session=session,
        kind=AgendaItem.Kind.URGENT,
        title="Safety data sheet for the new product",
        minutes=5,
        added_by=session.rep,
    )

    assert codes(session) == ["regulated_topic"]


def test_a_deal_review_can_be_added_from_the_brief(session):
    """Sanity check of the helper: reviews keep the frozen brief's risk."""
    deal = session.brief["open_deals"][1]
    review = add_deal_review(session, deal, 2)

    assert isinstance(review, DealReview)
    assert review.risk_score == deal["risk_score"]
