"""Deal risk reasons, on hand-made deals whose answer is worked out by hand."""

from datetime import date

from coachbook.crm.models import Opportunity
from coachbook.pipeline.risk import RiskContext, deal_reasons

AS_OF = date(2017, 12, 31)


def deal(**fields) -> Opportunity:
    values = {
        "pk": 1,
        "stage": "Engaging",
        "stage_position": 2,
        "status": Opportunity.Status.OPEN,
        "account_id": 7,
        "next_step": None,
        "decision_process": None,
        "close_date": None,
    }
    values.update(fields)
    return Opportunity(**values)


def context(entered: date | None = None, **fields) -> RiskContext:
    values = {
        "as_of": AS_OF,
        "stage_p75_days": {"Engaging": 80.0},
        "stage_entered": {1: entered} if entered else {},
        "close_date_pushes": {},
        "amount_cut": {},
        "last_activity": None,
        "max_stage_position": 3,
    }
    values.update(fields)
    return RiskContext(**values)


def codes(opportunity: Opportunity, ctx: RiskContext) -> dict[str, int]:
    return {r.code: r.weight for r in deal_reasons(opportunity, opportunity.stage, ctx)}


def test_a_fresh_deal_with_an_account_has_no_risk():
    assert codes(deal(), context(entered=date(2017, 12, 1))) == {}


def test_a_deal_past_the_teams_75th_percentile_is_stalled():
    # 31 Dec - 81 days = 11 Oct; 81 > 80.
    assert codes(deal(), context(entered=date(2017, 10, 11))) == {
        "stalled_in_stage": 25
    }
    assert codes(deal(), context(entered=date(2017, 10, 12))) == {}


def test_a_deal_stuck_twice_as_long_scores_more():
    # 161 days > 2 × 80.
    reasons = codes(deal(account_id=None), context(entered=date(2017, 7, 23)))
    assert reasons == {
        "stalled_in_stage": 25,
        "stalled_twice_over": 10,
        "no_account": 5,
    }


def test_a_passed_close_date_and_an_empty_next_step_add_up():
    reasons = codes(deal(close_date=date(2017, 12, 1), next_step=""), context())
    assert reasons == {"close_date_passed": 30, "no_next_step": 10}


def test_reasons_the_data_cannot_support_are_never_given():
    # No next-step field, no decision process, no activity data at all: no such reasons.
    assert codes(deal(next_step=None, decision_process=None), context()) == {}


def test_a_quiet_deal_is_flagged_only_when_activities_exist():
    quiet = context(last_activity={1: date(2017, 11, 1)})
    assert codes(deal(), quiet) == {"no_recent_activity": 15}
    busy = context(last_activity={1: date(2017, 12, 20)})
    assert codes(deal(), busy) == {}


def test_an_early_deal_closing_soon_and_a_late_one_without_a_decision_process():
    early = deal(stage="Prospecting", stage_position=1, close_date=date(2018, 1, 5))
    assert codes(early, context()) == {"early_stage_closing_soon": 10}
    late = deal(decision_process="")
    assert codes(late, context()) == {"late_stage_no_decision_process": 15}


def test_pushed_close_dates_and_cut_amounts_count_from_history():
    ctx = context(close_date_pushes={1: 2}, amount_cut={1: True})
    assert codes(deal(), ctx) == {"close_date_pushed": 20, "amount_cut": 10}
    assert codes(deal(), context(close_date_pushes={1: 1})) == {}


def test_a_usual_longest_of_no_days_is_no_yardstick():
    # Every deal of the team moved on the day it came in: the 75th percentile
    # is 0 days, which would call a deal one day old stalled.
    ctx = context(entered=date(2017, 12, 30), stage_p75_days={"Engaging": 0.0})
    assert codes(deal(), ctx) == {}
