"""Deal risk: a score that is the sum of named, weighted reasons.

Only reasons the imported data can support are checked: a source with no
close-date history cannot show a pushed close date, and one with no activities
cannot show a quiet deal. Every score carries its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from coachbook.crm.models import Opportunity

WEIGHTS = {
    "close_date_passed": 30,
    "stalled_in_stage": 25,
    "stalled_twice_over": 10,
    "close_date_pushed": 20,
    "no_recent_activity": 15,
    "late_stage_no_decision_process": 15,
    "no_next_step": 10,
    "amount_cut": 10,
    "early_stage_closing_soon": 10,
    "no_account": 5,
}
QUIET_DAYS = 21
CLOSING_SOON_DAYS = 14
LATE_STAGE_SHARE = 0.6


@dataclass(frozen=True)
class Reason:
    code: str
    weight: int
    text: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "weight": self.weight, "text": self.text}


@dataclass
class RiskContext:
    """What the scoring needs beyond the deal itself."""

    as_of: date
    stage_p75_days: dict[str, float]
    stage_entered: dict[int, date | None]
    close_date_pushes: dict[int, int]
    amount_cut: dict[int, bool]
    last_activity: dict[int, date] | None
    max_stage_position: int


def deal_reasons(deal: Opportunity, stage: str, ctx: RiskContext) -> list[Reason]:
    reasons: list[Reason] = []

    def add(code: str, text: str) -> None:
        reasons.append(Reason(code, WEIGHTS[code], text))

    # Close date.
    if deal.close_date and deal.status == Opportunity.Status.OPEN:
        if deal.close_date < ctx.as_of:
            add(
                "close_date_passed",
                f"close date {deal.close_date} has passed and it is still open",
            )
        elif (
            _is_early(deal, ctx)
            and (deal.close_date - ctx.as_of).days <= CLOSING_SOON_DAYS
        ):
            add(
                "early_stage_closing_soon",
                f"still in {stage} but due to close on {deal.close_date}",
            )
    pushes = ctx.close_date_pushes.get(deal.pk, 0)
    if pushes >= 2:
        add("close_date_pushed", f"close date pushed {pushes} times")

    # Time in stage against the team.
    entered = ctx.stage_entered.get(deal.pk)
    limit = ctx.stage_p75_days.get(stage)
    # A usual longest of 0 days (deals that all moved on the day they came
    # in) is no yardstick: it would call every deal stalled.
    if entered and limit:
        days = (ctx.as_of - entered).days
        if days > limit:
            add(
                "stalled_in_stage",
                f"{days} days in {stage}; the team's usual longest is {limit:.0f} (75th percentile)",
            )
        if days > 2 * limit:
            add(
                "stalled_twice_over",
                f"more than twice as long as the team's usual longest in {stage}",
            )

    # Activity, next step, decision process, amount.
    if ctx.last_activity is not None:
        last = ctx.last_activity.get(deal.pk)
        if last is None or (ctx.as_of - last).days > QUIET_DAYS:
            add("no_recent_activity", f"no activity in the last {QUIET_DAYS} days")
    if deal.next_step == "":
        add("no_next_step", "no next step recorded")
    if deal.decision_process == "" and not _is_early(deal, ctx):
        add(
            "late_stage_no_decision_process",
            f"in {stage} with no known decision process",
        )
    if ctx.amount_cut.get(deal.pk):
        add("amount_cut", "amount has been cut")
    if deal.account_id is None:
        add("no_account", "no customer account recorded")

    return reasons


def _is_early(deal: Opportunity, ctx: RiskContext) -> bool:
    if not ctx.max_stage_position:
        return False

    return deal.stage_position / ctx.max_stage_position < LATE_STAGE_SHARE
