"""The prep brief: everything a manager reviews before a one-on-one (step 1).

It is computed as of a date against the previous session with the same rep,
and frozen into the session when the session is prepared, so the record shows
what the manager saw, not what the data says later.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q

from coachbook.coaching.models import Action, Session
from coachbook.crm.models import Activity, Opportunity, StageChange, Target
from coachbook.lib.periods import quarter_of
from coachbook.people.models import Organisation, Person
from coachbook.pipeline import figures
from coachbook.pipeline.risk import RiskContext, deal_reasons


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 2))


def previous_session(
    rep: Person, as_of: date, session: Session | None = None
) -> Session | None:
    """The rep's last closed session before this one (or on or before `as_of`).

    Sessions are compared by their own local date, not the server's UTC date,
    so an evening session in California still counts as that day's.
    """
    sessions = Session.objects.filter(
        rep=rep, state__in=[Session.State.CLOSED, Session.State.FINALISED]
    )
    if session is not None:
        return (
            sessions.exclude(pk=session.pk)
            .filter(scheduled_at__lt=session.scheduled_at)
            .order_by("-scheduled_at")
            .first()
        )
    # A day either side of UTC covers every time zone; the local date decides.
    candidates = sessions.filter(scheduled_at__date__lte=as_of + timedelta(days=1))

    return next(
        (s for s in candidates.order_by("-scheduled_at") if s.local_date <= as_of), None
    )


def team_of(rep: Person) -> list[int]:
    if not rep.team_id:
        return [rep.pk]

    return list(
        Person.objects.filter(team_id=rep.team_id, role=Person.Role.REP).values_list(
            "pk", flat=True
        )
    )


def build_brief(
    rep: Person, as_of: date, session: Session | None = None
) -> dict[str, Any]:
    org = Organisation.current()
    team = team_of(rep)
    previous = previous_session(rep, as_of, session)
    if previous:
        since = previous.local_date
        since_text = f"Changes since the previous session on {since:%-d %b %Y}."
    else:
        since = as_of - timedelta(days=rep.cadence_days)
        since_text = (
            f"First session with {rep}: changes over the last "
            f"{rep.cadence_days} days (their one-on-one cadence)."
        )

    brief: dict[str, Any] = {
        "rep": rep.full_name,
        "rep_id": rep.pk,
        "team": str(rep.team) if rep.team_id else None,
        "manager": str(rep.manager) if rep.manager else None,
        "as_of": as_of.isoformat(),
        "currency": org.currency,
        "previous_session": previous.pk if previous else None,
        "since": since.isoformat(),
        "since_text": since_text,
        "demo_targets": Target.objects.filter(rep=rep, is_demo=True).exists(),
    }
    brief.update(_deals(rep, team, as_of, org))
    brief.update(_results(rep, team, as_of, org))
    brief.update(_activity(rep, as_of))
    brief["changes_since_last_session"] = _changes(rep, since, as_of)
    brief["open_actions"] = _open_actions(rep, as_of, session)
    brief["notes"] = _data_notes(rep, as_of, org)

    return brief


def _data_notes(rep: Person, as_of: date, org: Organisation) -> list[str]:
    """What the reader should know about the data behind this brief."""
    notes = []
    if org.data_as_of and as_of > org.data_as_of:
        notes.append(
            f"The imported data ends on {org.data_as_of:%-d %b %Y}; "
            "nothing after that date is known."
        )
    if org.data_as_of and as_of < org.data_as_of:
        undated = Opportunity.objects.filter(
            owner=rep, status=Opportunity.Status.OPEN, created_on__isnull=True
        ).count()
        if undated:
            notes.append(
                f"{undated} open deals have no dates in the CRM; they count as open "
                f"only from {org.data_as_of:%-d %b %Y}, the date of the data."
            )

    return notes


def _deals(
    rep: Person, team: list[int], as_of: date, org: Organisation
) -> dict[str, Any]:
    deals = list(
        figures.open_deals([rep.pk], as_of, org.data_as_of).select_related("account")
    )
    history: dict[int, list[StageChange]] = defaultdict(list)
    for change in StageChange.objects.filter(
        opportunity__in=[d.pk for d in deals], changed_on__lte=as_of
    ).order_by("changed_on", "pk"):
        history[change.opportunity_id].append(change)

    durations = figures.stage_durations(team, as_of)
    p75 = {
        stage: figures.percentile([d for days in by_owner.values() for d in days], 0.75)
        for stage, by_owner in durations.items()
    }
    has_activity = Activity.objects.filter(rep=rep).exists()
    last_activity = None
    if has_activity:
        last_activity = {
            opp: when.date()
            for opp, when in Activity.objects.filter(
                opportunity__in=[d.pk for d in deals], occurred_at__date__lte=as_of
            )
            .values("opportunity")
            .annotate(last=Max("occurred_at"))
            .values_list("opportunity", "last")
        }
    max_position = max(
        Opportunity.objects.filter(owner__in=team).aggregate(m=Max("stage_position"))[
            "m"
        ]
        or 0,
        1,
    )

    stage_at, entered, pushes, cut = {}, {}, {}, {}
    for deal in deals:
        changes = history.get(deal.pk, [])
        stage_at[deal.pk] = changes[-1].to_stage if changes else deal.stage
        # The last real stage move: a close-date or amount change is not one.
        moves = [c for c in changes if c.from_stage != c.to_stage]
        entered[deal.pk] = moves[-1].changed_on if moves else deal.stage_entered_on
        close_dates = [c.close_date for c in changes if c.close_date]
        pushes[deal.pk] = sum(
            1 for a, b in zip(close_dates, close_dates[1:], strict=False) if b > a
        )
        amounts = [c.amount for c in changes if c.amount is not None]
        cut[deal.pk] = any(b < a for a, b in zip(amounts, amounts[1:], strict=False))

    ctx = RiskContext(
        as_of=as_of,
        stage_p75_days={s: v for s, v in p75.items() if v is not None},
        stage_entered=entered,
        close_date_pushes=pushes,
        amount_cut=cut,
        last_activity=last_activity,
        max_stage_position=max_position,
    )
    rows: list[dict[str, Any]] = []
    for deal in deals:
        reasons = deal_reasons(deal, stage_at[deal.pk], ctx)
        since = entered[deal.pk]
        rows.append(
            {
                "id": deal.pk,
                "external_id": deal.external_id,
                "name": deal.name,
                "account": deal.account.name if deal.account else None,
                "stage": stage_at[deal.pk],
                "amount": _money(deal.amount),
                "amount_is_list_price": deal.amount_is_list_price,
                "currency": deal.currency,
                "close_date": deal.close_date.isoformat()
                if deal.close_date and deal.status == Opportunity.Status.OPEN
                else None,
                "days_in_stage": (as_of - since).days if since else None,
                "next_step": deal.next_step,
                "risk_score": sum(r.weight for r in reasons),
                "risk_reasons": [r.as_dict() for r in reasons],
            }
        )
    # Highest risk first; among equals, the deal stuck longest, then the largest.
    rows.sort(
        key=lambda r: (
            -r["risk_score"],
            -(r["days_in_stage"] or 0),
            -(r["amount"] or 0),
            r["external_id"],
        )
    )

    velocity = []
    for stage, by_owner in sorted(durations.items()):
        mine = by_owner.get(rep.pk, [])
        every = [d for days in by_owner.values() for d in days]
        velocity.append(
            {
                "stage": stage,
                "rep_median_days": statistics.median(mine) if mine else None,
                "team_median_days": statistics.median(every) if every else None,
                "rep_deals": len(mine),
                "team_p75_days": p75.get(stage),
            }
        )

    return {
        "open_deals": rows,
        "open_deal_count": len(rows),
        "open_amount": _money(
            sum(
                (
                    Decimal(str(r["amount"]))
                    for r in rows
                    if r["amount"] is not None and r["currency"] == org.currency
                ),
                Decimal(0),
            )
        ),
        "stage_velocity": velocity,
        "stage_velocity_reason": None
        if velocity
        else "no stage history for this team in the last year",
    }


def _results(
    rep: Person, team: list[int], as_of: date, org: Organisation
) -> dict[str, Any]:
    current = quarter_of(as_of, org.fiscal_year_start_month)
    following = current.next(org.fiscal_year_start_month)
    open_qs = figures.open_deals([rep.pk], as_of, org.data_as_of)

    coverage = []
    for quarter in (current, following):
        c = figures.coverage_for(rep.pk, quarter, as_of, open_qs, org.currency)
        coverage.append(
            {
                "period": quarter.label,
                "start": quarter.start.isoformat(),
                "end": quarter.end.isoformat(),
                "quota": _money(c.quota),
                "won": _money(c.won),
                "remaining": _money(c.remaining),
                "open_amount": _money(c.open_amount),
                "coverage": c.coverage.value,
                "coverage_reason": c.coverage.reason,
                "target_ratio": float(c.target_ratio) if c.target_ratio else None,
                "undated_open_deals": c.undated_count,
                "undated_open_amount": _money(c.undated_amount),
                "demo_target": c.is_demo_target,
            }
        )

    rate, cycle = (
        figures.win_rate([rep.pk], as_of),
        figures.median_cycle_days([rep.pk], as_of),
    )
    if rep.team_id:
        team_rate = figures.win_rate(team, as_of)
        team_cycle = figures.median_cycle_days(team, as_of)
    else:  # the rep alone is no team to compare with
        team_rate = team_cycle = figures.Figure(None, f"{rep} is on no team")

    return {
        "quarter": current.label,
        "won_amount_quarter": coverage[0]["won"],
        "coverage": coverage,
        "win_rate_90d": rate.value,
        "win_rate_90d_reason": rate.reason,
        "team_win_rate_90d": team_rate.value,
        "team_win_rate_90d_reason": team_rate.reason,
        "median_cycle_days_90d": cycle.value,
        "median_cycle_days_90d_reason": cycle.reason,
        "team_median_cycle_days_90d": team_cycle.value,
        "team_median_cycle_days_90d_reason": team_cycle.reason,
    }


def _activity(rep: Person, as_of: date) -> dict[str, Any]:
    counts = figures.activity_counts(rep.pk, as_of)
    if counts is None:
        return {
            "activity_last_7d": None,
            "activity_last_7d_reason": "no calls, emails or meetings have been imported for this rep",
        }

    return {
        "activity_last_7d": counts,
        "activity_last_7d_reason": None,
        "activity_against_target": _against_target(rep, counts),
    }


def _against_target(rep: Person, counts: dict[str, int]) -> list[dict[str, Any]]:
    """Each kind with a weekly target: done in the last 7 days against it.

    A rep's own target wins over the target set for every rep.
    """
    from coachbook.crm.models import ActivityTarget

    targets: dict[str, int] = {}
    for target in ActivityTarget.objects.filter(
        Q(rep=rep) | Q(rep__isnull=True)
    ).order_by("rep_id"):
        if target.rep_id or target.kind not in targets:
            targets[target.kind] = target.per_week
    return [
        {
            "kind": kind,
            "done": counts.get(kind, 0),
            "target": per_week,
            "short_by": max(per_week - counts.get(kind, 0), 0),
        }
        for kind, per_week in sorted(targets.items())
    ]


def _deal_line(deal: Opportunity, on: date | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "external_id": deal.external_id,
        "name": deal.name,
        "amount": _money(deal.amount),
        "date": on.isoformat() if on else None,
        **extra,
    }


def _changes(rep: Person, since: date, as_of: date) -> dict[str, Any]:
    created = Opportunity.objects.filter(
        owner=rep, created_on__gt=since, created_on__lte=as_of
    )
    moves = StageChange.objects.filter(
        opportunity__owner=rep, changed_on__gt=since, changed_on__lte=as_of
    ).select_related("opportunity")

    result: dict[str, list] = {"created": [], "stage_moves": [], "won": [], "lost": []}
    # A deal created in the window but closed after `as_of` shows the stage it
    # had on `as_of`, not its later outcome.
    created_deals = list(created.order_by("created_on", "external_id"))
    later = [d.pk for d in created_deals if d.close_date and d.close_date > as_of]
    stage_then = dict(
        StageChange.objects.filter(opportunity__in=later, changed_on__lte=as_of)
        .order_by("opportunity_id", "changed_on", "pk")
        .values_list("opportunity_id", "to_stage")
    )
    for deal in created_deals:
        stage = stage_then.get(deal.pk, deal.stage) if deal.pk in later else deal.stage
        result["created"].append(_deal_line(deal, deal.created_on, stage=stage))
    moves = moves.order_by("changed_on", "pk")
    # Whether a stage is a win or a loss, from the rep's deals in it: a deal
    # won and later reopened still counts as won on the day it was won.
    status_of = dict(
        Opportunity.objects.filter(
            owner=rep, stage__in={change.to_stage for change in moves}
        )
        .values_list("stage", "status")
        .distinct()
    )
    for change in moves:
        deal = change.opportunity
        if not change.from_stage or change.from_stage == change.to_stage:
            continue  # the first stage (listed as created), or no stage move
        line = _deal_line(
            deal,
            change.changed_on,
            from_stage=change.from_stage,
            to_stage=change.to_stage,
        )
        status = (
            deal.status
            if change.to_stage == deal.stage
            else status_of.get(change.to_stage, Opportunity.Status.OPEN)
        )
        if status != Opportunity.Status.OPEN:
            result[status].append(line)
        else:
            result["stage_moves"].append(line)

    result.update(_pushes_and_cuts(rep, since, as_of))

    return {"since": since.isoformat(), "as_of": as_of.isoformat(), **result}


def _pushes_and_cuts(rep: Person, since: date, as_of: date) -> dict[str, list]:
    """Close dates pushed later and amounts changed in the window, row against row before."""
    pushed: list[dict[str, Any]] = []
    amounts: list[dict[str, Any]] = []
    last: dict[int, StageChange] = {}
    rows = (
        StageChange.objects.filter(opportunity__owner=rep, changed_on__lte=as_of)
        .select_related("opportunity")
        .order_by("opportunity_id", "changed_on", "pk")
    )
    for row in rows:
        before = last.get(row.opportunity_id)
        last[row.opportunity_id] = row
        if before is None or row.changed_on <= since:
            continue
        deal = row.opportunity
        if row.close_date and before.close_date and row.close_date > before.close_date:
            pushed.append(
                _deal_line(
                    deal,
                    row.changed_on,
                    from_date=before.close_date.isoformat(),
                    to_date=row.close_date.isoformat(),
                )
            )
        if (
            row.amount is not None
            and before.amount is not None
            and row.amount != before.amount
        ):
            amounts.append(
                _deal_line(
                    deal,
                    row.changed_on,
                    from_amount=_money(before.amount),
                    to_amount=_money(row.amount),
                )
            )
    return {"close_dates_pushed": pushed, "amounts_changed": amounts}


def _open_actions(
    rep: Person, as_of: date, session: Session | None
) -> list[dict[str, Any]]:
    """Actions still open from finalised sessions held before this one."""
    actions = (
        Action.objects.open()
        .filter(rep=rep, session__state=Session.State.FINALISED)
        .select_related("owner", "session")
    )
    if session is not None:
        actions = actions.exclude(session=session).filter(
            session__scheduled_at__lt=session.scheduled_at
        )
    else:
        actions = actions.filter(
            pk__in=[a.pk for a in actions if a.session.local_date <= as_of]
        )

    return [
        {
            "id": a.pk,
            "task": a.task,
            "owner": str(a.owner) if a.owner else None,
            "due_date": a.due_date.isoformat() if a.due_date else None,
            "overdue": bool(a.due_date and a.due_date < as_of),
            "expected_result": a.expected_result,
            "escalation_point": a.escalation_point,
            "from_session": a.session.local_date.isoformat(),
        }
        for a in actions
    ]
