"""The figures a prep brief is made of, each computed as of a date.

Definitions are those in the product design: an open deal was created on or
before `as_of` and not won or lost by then; coverage is open amount closing in
a period over the quota still to reach; a ratio with nothing to divide by is
"not available" with the reason, never 0.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from coachbook.crm.models import Activity, Opportunity, StageChange, Target
from coachbook.lib.periods import Quarter

TRAILING_DAYS = 90
# Stage durations need more history than a quarter to be stable.
VELOCITY_WINDOW_DAYS = 365


@dataclass(frozen=True)
class Figure:
    """A number, or the plain reason it cannot be given."""

    value: float | None
    reason: str | None = None

    @classmethod
    def missing(cls, reason: str) -> Figure:
        return cls(None, reason)


def ratio(numerator: float, denominator: float, reason_if_zero: str) -> Figure:
    if not denominator:
        return Figure.missing(reason_if_zero)

    return Figure(round(numerator / denominator, 4))


def open_q(as_of: date, data_as_of: date | None) -> Q:
    """Deals open on `as_of`.

    A deal with no creation date (the source has none) is known to exist only
    from the date of the data, so it counts from then.
    """
    created = Q(created_on__lte=as_of)
    if data_as_of and as_of >= data_as_of:
        created |= Q(created_on__isnull=True)
    # A deal closed now was still open on `as_of` if it closed later: by its
    # close date, unless its history shows it entered the closed stage by
    # then, or an export taken by then already showed it closed (a deal marked
    # won ahead of its close date).
    closed_later = (
        Q(close_date__gt=as_of)
        & (Q(stage_entered_on__isnull=True) | Q(stage_entered_on__gt=as_of))
        & (Q(snapshot_on__isnull=True) | Q(snapshot_on__gt=as_of))
    )
    still_open = Q(status=Opportunity.Status.OPEN) | closed_later

    return created & still_open


def open_deals(
    owners: Iterable[int], as_of: date, data_as_of: date | None
) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(
        open_q(as_of, data_as_of), owner_id__in=list(owners)
    )


def closed_between(
    owners: Iterable[int], start: date, end: date
) -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(
        owner_id__in=list(owners),
        status__in=[Opportunity.Status.WON, Opportunity.Status.LOST],
        close_date__gt=start,
        close_date__lte=end,
    )


def win_rate(owners: Iterable[int], as_of: date, days: int = TRAILING_DAYS) -> Figure:
    counts: defaultdict[str, int] = defaultdict(int)
    for status in closed_between(
        owners, as_of - timedelta(days=days), as_of
    ).values_list("status", flat=True):
        counts[status] += 1
    won, lost = counts[Opportunity.Status.WON], counts[Opportunity.Status.LOST]

    return ratio(
        won, won + lost, f"no deals were won or lost in the {days} days to {as_of}"
    )


def median_cycle_days(
    owners: Iterable[int], as_of: date, days: int = TRAILING_DAYS
) -> Figure:
    """Median days from a deal's start (engaging) to its close, for deals closed in the window."""
    spans = [
        (closed - started).days
        for started, closed in closed_between(
            owners, as_of - timedelta(days=days), as_of
        )
        .exclude(created_on__isnull=True)
        .values_list("created_on", "close_date")
        # A deal created in the CRM after it closed (a bulk load) has no cycle.
        if started and closed and closed >= started
    ]
    if not spans:
        return Figure.missing(
            f"no deals with a start date closed in the {days} days to {as_of}"
        )

    return Figure(float(statistics.median(spans)))


def won_amount(owners: Iterable[int], start: date, end: date, currency: str) -> Decimal:
    total = Opportunity.objects.filter(
        owner_id__in=list(owners),
        status=Opportunity.Status.WON,
        close_date__gte=start,
        close_date__lte=end,
        currency=currency,
    ).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@dataclass
class Coverage:
    """Pipeline coverage for one quarter, against the quota still to reach."""

    quarter: Quarter
    quota: Decimal | None
    won: Decimal
    open_amount: Decimal
    undated_count: int
    undated_amount: Decimal
    target_ratio: Decimal | None
    is_demo_target: bool
    coverage: Figure = field(init=False)

    def __post_init__(self) -> None:
        self.coverage = self._compute()

    @property
    def remaining(self) -> Decimal | None:
        return None if self.quota is None else max(self.quota - self.won, Decimal(0))

    def _compute(self) -> Figure:
        if self.quota is None:
            return Figure.missing(f"no quota is set for {self.quarter.label}")
        if self.won >= self.quota:
            return Figure.missing(f"quota for {self.quarter.label} is already met")
        if not self.open_amount and self.undated_count:
            return Figure.missing(
                f"{self.undated_count} open deals have no expected close date, "
                "so none can be placed in a quarter"
            )

        left = self.quota - self.won

        return ratio(float(self.open_amount), float(left), "nothing left to reach")


def coverage_for(
    rep_id: int,
    quarter: Quarter,
    as_of: date,
    open_qs: QuerySet[Opportunity],
    currency: str,
) -> Coverage:
    target = Target.objects.filter(rep_id=rep_id, period_start=quarter.start).first()
    # A deal that closed after `as_of` was open then, but the date it closed on
    # was not known then; only a still-open deal's close date is an expectation.
    expected = Q(status=Opportunity.Status.OPEN, close_date__isnull=False)
    in_quarter = open_qs.filter(
        expected,
        currency=currency,
        close_date__gte=quarter.start,
        close_date__lte=quarter.end,
    ).aggregate(total=Sum("amount"))["total"]
    undated = open_qs.exclude(expected)

    return Coverage(
        quarter=quarter,
        quota=target.quota if target else None,
        won=won_amount([rep_id], quarter.start, min(as_of, quarter.end), currency),
        open_amount=in_quarter or Decimal(0),
        undated_count=undated.count(),
        undated_amount=undated.aggregate(total=Sum("amount"))["total"] or Decimal(0),
        target_ratio=target.coverage_ratio if target else None,
        is_demo_target=bool(target and target.is_demo),
    )


def stage_durations(
    owners: Iterable[int], as_of: date, days: int = VELOCITY_WINDOW_DAYS
) -> dict[str, dict[int, list[int]]]:
    """Days each deal spent in each stage, for stays that ended in the window.

    Returns stage -> owner id -> list of days. A stay ends when the deal's next
    stage change happens.
    """
    start = as_of - timedelta(days=days)
    rows = (
        StageChange.objects.filter(
            opportunity__owner_id__in=list(owners), changed_on__lte=as_of
        )
        .order_by("opportunity_id", "changed_on", "pk")
        .values_list(
            "opportunity_id", "opportunity__owner_id", "to_stage", "changed_on"
        )
    )
    durations: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    previous = None
    for opp_id, owner_id, stage, changed_on in rows:
        if previous and previous[0] == opp_id and changed_on > start:
            durations[previous[1]][owner_id].append((changed_on - previous[2]).days)
        previous = (opp_id, stage, changed_on)

    return durations


def percentile(values: list[int], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = (len(ordered) - 1) * pct
    low = int(index)
    high = min(low + 1, len(ordered) - 1)

    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def activity_counts(rep_id: int, as_of: date, days: int = 7) -> dict[str, int] | None:
    """Activities per kind in the days to `as_of`; None when none were ever imported."""
    if not Activity.objects.filter(rep_id=rep_id).exists():
        return None
    counts = {kind: 0 for kind in Activity.Kind.values}
    for kind in Activity.objects.filter(
        rep_id=rep_id,
        occurred_at__date__gt=as_of - timedelta(days=days),
        occurred_at__date__lte=as_of,
    ).values_list("kind", flat=True):
        counts[kind] += 1

    return counts
