"""The agenda: time boxes that sum exactly, a focus that names its signal, urgent topics."""

from __future__ import annotations

from math import floor

import pytest

from coachbook.coaching.agenda import rebalance, scale_time_boxes, suggest_focus
from coachbook.coaching.models import AgendaItem, Session, Template
from coaching_helpers import DAY, REP, person, planned_session

# The default template's boxes, as the migration writes them.
BOXES = {
    "opening": 3,
    "deals": 15,
    "pipeline": 7,
    "skill": 10,
    "development": 5,
    "actions": 5,
}
CATALOGUE = [
    "Discovery questioning",
    "Objection handling",
    "Mutual action planning",
    "Next-step commitment setting",
    "Executive communication",
    "Pipeline generation",
]


# Time boxes.


def test_the_default_template_has_these_boxes(db):
    template = Template.default()
    assert template.time_boxes == BOXES
    assert template.duration_minutes == sum(BOXES.values()) == 45


def test_the_boxes_fit_the_template_duration_unchanged():
    assert scale_time_boxes(BOXES, 45) == BOXES


def test_45_minutes_of_boxes_scale_down_to_30():
    scaled = scale_time_boxes(BOXES, 30)

    # Exact shares 2, 10, 4.67, 6.67, 3.33, 3.33: the two largest remainders round up.
    assert scaled == {
        "opening": 2,
        "deals": 10,
        "pipeline": 5,
        "skill": 7,
        "development": 3,
        "actions": 3,
    }
    assert sum(scaled.values()) == 30


def test_45_minutes_of_boxes_scale_up_to_50():
    scaled = scale_time_boxes(BOXES, 50)

    assert sum(scaled.values()) == 50
    assert list(scaled) == list(BOXES)
    for key, minutes in scaled.items():
        exact = BOXES[key] * 50 / 45
        assert minutes in (floor(exact), floor(exact) + 1)
    assert scaled["deals"] == 17  # 16.67
    assert scaled["skill"] == 11  # 11.11


def test_boxes_scale_down_to_seven_minutes():
    scaled = scale_time_boxes(BOXES, 7)

    assert scaled == {
        "opening": 0,
        "deals": 2,
        "pipeline": 1,
        "skill": 2,
        "development": 1,
        "actions": 1,
    }
    assert sum(scaled.values()) == 7


@pytest.mark.parametrize("minutes", range(0, 121))
def test_scaled_boxes_always_sum_exactly(minutes):
    scaled = scale_time_boxes(BOXES, minutes)

    assert sum(scaled.values()) == minutes
    for key, value in scaled.items():
        exact = BOXES[key] * minutes / 45
        assert floor(exact) <= value <= floor(exact) + 1


def test_empty_boxes_share_the_time_evenly():
    scaled = scale_time_boxes({"a": 0, "b": 0, "c": 0}, 10)

    assert scaled == {"a": 4, "b": 3, "c": 3}


# The suggested focus.


def brief(**overrides) -> dict:
    """A brief with no signal in it, to add one to."""
    values = {
        "open_deals": [],
        "coverage": [],
        "win_rate_90d": 0.50,
        "team_win_rate_90d": 0.50,
        "median_cycle_days_90d": 20.0,
        "team_median_cycle_days_90d": 20.0,
    }
    values.update(overrides)
    return values


def stalled_deal(n: int) -> dict:
    return {
        "id": n,
        "risk_reasons": [{"code": "stalled_in_stage", "weight": 25, "text": "stalled"}],
    }


TEMPLATE = Template(name="Test", skill_catalogue=CATALOGUE)


def test_a_low_win_rate_points_at_discovery():
    focus = suggest_focus(brief(win_rate_90d=0.30), TEMPLATE)

    assert focus.skill == "Discovery questioning"
    assert focus.signal == "win rate 30% over the last 90 days against the team's 50%"


def test_a_win_rate_within_five_points_is_no_signal():
    focus = suggest_focus(brief(win_rate_90d=0.46), TEMPLATE)

    assert focus.skill == CATALOGUE[0]
    assert "no signal" in focus.signal


def test_stalled_deals_point_at_next_steps():
    focus = suggest_focus(
        brief(open_deals=[stalled_deal(n) for n in range(3)]), TEMPLATE
    )

    assert focus.skill == "Next-step commitment setting"
    assert focus.signal.startswith("3 open deals have sat in their stage")


def test_two_stalled_deals_are_no_signal():
    focus = suggest_focus(
        brief(open_deals=[stalled_deal(n) for n in range(2)]), TEMPLATE
    )

    assert "no signal" in focus.signal


def test_a_long_cycle_points_at_mutual_action_planning():
    focus = suggest_focus(brief(median_cycle_days_90d=30.0), TEMPLATE)

    assert focus.skill == "Mutual action planning"
    assert focus.signal == "median 30 days from engaging to close against the team's 20"


def test_thin_coverage_points_at_pipeline_generation():
    coverage = [
        {"period": "FY2017 Q4", "coverage": None, "target_ratio": 3.0},
        {"period": "FY2018 Q1", "coverage": 1.5, "target_ratio": 3.0},
    ]
    focus = suggest_focus(brief(coverage=coverage), TEMPLATE)

    assert focus.skill == "Pipeline generation"
    assert focus.signal == "coverage 1.5× for FY2018 Q1 against a goal of 3.0×"


def test_the_win_rate_comes_before_the_other_signals():
    focus = suggest_focus(
        brief(
            win_rate_90d=0.30,
            open_deals=[stalled_deal(n) for n in range(3)],
            median_cycle_days_90d=30.0,
        ),
        TEMPLATE,
    )

    assert focus.skill == "Discovery questioning"
    assert "win rate" in focus.signal


def test_missing_figures_are_no_signal():
    focus = suggest_focus(
        brief(win_rate_90d=None, team_median_cycle_days_90d=None), TEMPLATE
    )

    assert focus.skill == CATALOGUE[0]
    assert focus.signal == "no signal in the brief stood out; choose from the catalogue"


def test_a_skill_outside_the_catalogue_falls_back_to_its_first_entry():
    template = Template(name="Narrow", skill_catalogue=["Objection handling"])

    focus = suggest_focus(brief(win_rate_90d=0.30), template)

    assert focus.skill == "Objection handling"
    assert "win rate 30%" in focus.signal


# The agenda of a prepared session.


@pytest.fixture
def session(db) -> Session:
    session = planned_session(person(REP), DAY)
    session.prepare(session.manager)
    return session


def total(session: Session) -> int:
    return sum(session.agenda.values_list("minutes", flat=True))


def test_the_agenda_fills_the_session(session):
    minutes = dict(session.agenda.values_list("kind", "minutes"))

    assert minutes == BOXES
    assert total(session) == session.duration_minutes == 45


def test_the_skill_item_names_the_focus_and_its_signal(session):
    focus = suggest_focus(session.brief, session.template)
    item = session.agenda.get(kind=AgendaItem.Kind.SKILL)

    assert item.title == f"Skill coaching: {focus.skill}"
    assert focus.signal in item.detail


def test_the_deal_item_lists_the_riskiest_deals_up_to_the_cap(session):
    item = session.agenda.get(kind=AgendaItem.Kind.DEALS)
    deals = session.brief["open_deals"]

    assert item.title == f"Deal review (3 of {len(deals)} open deals)"
    for deal in deals[:3]:
        assert deal["external_id"] in item.detail
    assert deals[3]["external_id"] not in item.detail


def test_a_shorter_session_scales_the_agenda(db):
    session = planned_session(person(REP), DAY, duration_minutes=30)
    session.prepare(session.manager)

    assert total(session) == 30


def test_an_urgent_topic_from_the_rep_keeps_the_total(session):
    rep = session.rep
    urgent = AgendaItem.objects.create(
        session=session,
        kind=AgendaItem.Kind.URGENT,
        title="A customer wants to renegotiate",
        minutes=5,
        added_by=rep,
        position=15,
    )

    rebalance(session)

    assert total(session) == session.duration_minutes == 45
    urgent.refresh_from_db()
    assert urgent.minutes == 5
    generated = session.agenda.exclude(kind=AgendaItem.Kind.URGENT)
    assert sum(generated.values_list("minutes", flat=True)) == 40


def test_an_urgent_topic_survives_a_new_brief(session):
    AgendaItem.objects.create(
        session=session,
        kind="urgent",
        title="Pricing question",
        minutes=5,
        added_by=session.rep,
    )

    session.prepare(session.manager)

    assert session.agenda.filter(kind="urgent").count() == 1
    assert session.agenda.count() == 7
    assert total(session) == 45


def test_starting_with_less_time_rebalances_around_the_urgent_topic(session):
    AgendaItem.objects.create(
        session=session,
        kind="urgent",
        title="Pricing question",
        minutes=5,
        added_by=session.rep,
    )

    session.start(session.manager, "Settle the pricing question first.", 30)

    assert total(session) == 30
    assert session.agenda.get(kind="urgent").minutes == 5
