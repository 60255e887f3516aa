"""The agenda (step 2): the five required items, time boxes, and a coaching focus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coachbook.coaching.models import AgendaItem, Session, Template

SECTIONS = [
    AgendaItem.Kind.OPENING,
    AgendaItem.Kind.DEALS,
    AgendaItem.Kind.PIPELINE,
    AgendaItem.Kind.SKILL,
    AgendaItem.Kind.DEVELOPMENT,
    AgendaItem.Kind.ACTIONS,
]


@dataclass(frozen=True)
class Focus:
    skill: str
    signal: str


def scale_time_boxes(boxes: dict[str, int], minutes: int) -> dict[str, int]:
    """Scale the template's time boxes to the time available, summing exactly.

    Largest-remainder rounding: each box gets its floor, and the minutes left
    go to the boxes that lost most in rounding.
    """
    total = sum(boxes.values())
    if not total:
        share = {k: minutes // len(boxes) for k in boxes}
        share[next(iter(boxes))] += minutes - sum(share.values())
        return share

    exact = {k: v * minutes / total for k, v in boxes.items()}
    scaled = {k: int(v) for k, v in exact.items()}
    leftover = minutes - sum(scaled.values())
    for key in sorted(exact, key=lambda k: exact[k] - scaled[k], reverse=True)[
        :leftover
    ]:
        scaled[key] += 1

    return scaled


def suggest_focus(brief: dict[str, Any], template: Template) -> Focus:
    """Pick the skill the brief's strongest signal points at, and say which signal."""
    catalogue = template.skill_catalogue or ["Discovery questioning"]

    def pick(preferred: str) -> str:
        return preferred if preferred in catalogue else catalogue[0]

    stalled = [
        d
        for d in brief["open_deals"]
        if any(r["code"] == "stalled_in_stage" for r in d["risk_reasons"])
    ]
    rate, team_rate = brief.get("win_rate_90d"), brief.get("team_win_rate_90d")
    cycle, team_cycle = (
        brief.get("median_cycle_days_90d"),
        brief.get("team_median_cycle_days_90d"),
    )
    uncovered = [
        c
        for c in brief["coverage"]
        if c["coverage"] is not None
        and c["target_ratio"]
        and c["coverage"] < c["target_ratio"]
    ]

    if rate is not None and team_rate is not None and rate + 0.05 < team_rate:
        return Focus(
            pick("Discovery questioning"),
            f"win rate {rate:.0%} over the last 90 days against the team's {team_rate:.0%}",
        )
    if len(stalled) >= 3:
        return Focus(
            pick("Next-step commitment setting"),
            f"{len(stalled)} open deals have sat in their stage longer than the team's 75th percentile",
        )
    if cycle is not None and team_cycle is not None and cycle > team_cycle * 1.2:
        return Focus(
            pick("Mutual action planning"),
            f"median {cycle:.0f} days from engaging to close against the team's {team_cycle:.0f}",
        )
    if uncovered:
        c = uncovered[0]
        return Focus(
            pick("Pipeline generation"),
            f"coverage {c['coverage']:.1f}× for {c['period']} against a goal of {c['target_ratio']:.1f}×",
        )

    return Focus(
        catalogue[0], "no signal in the brief stood out; choose from the catalogue"
    )


def build_agenda(session: Session) -> list[AgendaItem]:
    """Replace the session's generated agenda; urgent topics the rep added stay."""
    brief = session.brief or {}
    template = session.template
    focus = suggest_focus(brief, template)
    deals = brief.get("open_deals", [])[: template.deal_cap]
    actions = brief.get("open_actions", [])

    details = {
        AgendaItem.Kind.OPENING: "Confirm the time available and the outcomes for today; place urgent topics.",
        AgendaItem.Kind.DEALS: "Highest risk first: "
        + (
            "; ".join(
                f"{d['external_id']} {d['name']} (risk {d['risk_score']})"
                for d in deals
            )
            or "no open deals"
        ),
        AgendaItem.Kind.PIPELINE: "New deals since last time, activity against target, stage velocity, coverage gaps, forecast concerns.",
        AgendaItem.Kind.SKILL: f"Suggested focus: {focus.skill}. Signal: {focus.signal}.",
        AgendaItem.Kind.DEVELOPMENT: "One topic from the growth plan, kept apart from deal coaching.",
        AgendaItem.Kind.ACTIONS: f"New actions with owner and due date; {len(actions)} open from earlier sessions to settle.",
    }
    titles = {
        AgendaItem.Kind.DEALS: f"Deal review ({len(deals)} of {brief.get('open_deal_count', 0)} open deals)",
        AgendaItem.Kind.SKILL: f"Skill coaching: {focus.skill}",
    }

    session.agenda.filter(added_by__isnull=True).delete()
    items = [
        AgendaItem(
            session=session,
            kind=kind,
            title=titles.get(kind, AgendaItem.Kind(kind).label),
            detail=details[kind],
            position=(index + 1) * 10,
        )
        for index, kind in enumerate(SECTIONS)
    ]
    AgendaItem.objects.bulk_create(items)
    rebalance(session)

    return items


# The required sections keep at least this share of the session.
REQUIRED_SHARE = 0.5


def add_urgent_topic(
    session: Session, added_by, title: str, minutes: int
) -> AgendaItem:
    """Place a rep's or manager's urgent topic, taking its time from the other sections.

    Raises ValueError when the urgent topics would leave the five required
    items less than half the session.
    """
    session.check_editable()
    urgent = sum(
        session.agenda.filter(kind=AgendaItem.Kind.URGENT).values_list(
            "minutes", flat=True
        )
    )
    room = int(session.duration_minutes * (1 - REQUIRED_SHARE)) - urgent
    if minutes > room:
        raise ValueError(
            f"Only {max(room, 0)} minutes are left for urgent topics; the five required "
            "items keep at least half the session."
        )
    item = AgendaItem.objects.create(
        session=session,
        kind=AgendaItem.Kind.URGENT,
        title=title,
        minutes=minutes,
        position=15,
        added_by=added_by,
    )
    rebalance(session)

    return item


def rebalance(session: Session) -> None:
    """Fit the generated sections into the time that urgent topics leave."""
    items = list(session.agenda.all())
    urgent = sum(i.minutes for i in items if i.kind == AgendaItem.Kind.URGENT)
    left = max(session.duration_minutes - urgent, 0)
    boxes = scale_time_boxes(
        {k: int(session.template.time_boxes.get(k, 0)) for k in SECTIONS}, left
    )
    for item in items:
        if item.kind in boxes and item.minutes != boxes[item.kind]:
            item.minutes = boxes[item.kind]
            item.save(update_fields=["minutes"])
