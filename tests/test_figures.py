"""Brief figures, each checked against an independent computation.

Expected values come from the CSV files (csv module, statistics module) or
from plain SQL on the tables, never from the function under test.
"""

from __future__ import annotations

import csv
import json
import statistics
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from math import floor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from coachbook.coaching.brief import build_brief
from coachbook.crm.models import Opportunity, Target
from coachbook.lib.periods import parse_quarter_key, quarter_of
from coachbook.people.models import Organisation, Person, Team
from coachbook.pipeline import figures

REPO = Path(__file__).resolve().parent.parent
MAVEN = REPO / "data" / "maven-crm"
TARGETS = REPO / "data" / "targets.csv"

END = date(2017, 12, 31)  # the last date in the data
MID = date(2017, 6, 30)
REP = "Darcel Schlecht"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


PIPELINE = read_csv(MAVEN / "sales_pipeline.csv")
TEAMS = {r["sales_agent"]: r for r in read_csv(MAVEN / "sales_teams.csv")}
PRICES = {
    r["product"]: Decimal(r["sales_price"]) for r in read_csv(MAVEN / "products.csv")
}
QUOTAS = {(r["rep"], r["period"]): Decimal(r["quota"]) for r in read_csv(TARGETS)}


def d(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def team_names(rep: str) -> list[str]:
    manager = TEAMS[rep]["manager"]
    return [name for name, r in TEAMS.items() if r["manager"] == manager]


def rows_of(names: list[str]) -> list[dict[str, str]]:
    return [r for r in PIPELINE if r["sales_agent"] in names]


def ids_of(names: list[str]) -> list[int]:
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(
            "SELECT id FROM people_person "
            f"WHERE role = 'rep' AND full_name IN ({marks})",
            names,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    assert len(ids) == len(names)
    return ids


# Independent computations from the CSV --------------------------------------------


def csv_closed_in_window(
    names: list[str], as_of: date, days: int = 90
) -> list[dict[str, str]]:
    start = as_of - timedelta(days=days)
    return [
        r
        for r in rows_of(names)
        if r["deal_stage"] in ("Won", "Lost") and start < d(r["close_date"]) <= as_of
    ]


def csv_win_rate(names: list[str], as_of: date) -> float | None:
    closed = csv_closed_in_window(names, as_of)
    won = sum(1 for r in closed if r["deal_stage"] == "Won")
    return round(won / len(closed), 4) if closed else None


def csv_median_cycle(names: list[str], as_of: date) -> float | None:
    spans = [
        (d(r["close_date"]) - d(r["engage_date"])).days
        for r in csv_closed_in_window(names, as_of)
    ]
    return float(statistics.median(spans)) if spans else None


def csv_won(names: list[str], start: date, end: date) -> Decimal:
    return sum(
        (
            Decimal(r["close_value"])
            for r in rows_of(names)
            if r["deal_stage"] == "Won" and start <= d(r["close_date"]) <= end
        ),
        Decimal(0),
    )


def csv_open(names: list[str], as_of: date) -> list[dict[str, str]]:
    """Open on as_of: engaged by then (undated Prospecting only from the data's
    last date), and not yet won or lost."""
    result = []
    for r in rows_of(names):
        engaged, closed = d(r["engage_date"]), d(r["close_date"])
        created = engaged <= as_of if engaged else as_of >= END
        if created and (closed is None or closed > as_of):
            result.append(r)
    return result


def csv_engaging_p75(names: list[str], as_of: date) -> float:
    """75th percentile (linear interpolation) of days spent Engaging, for stays
    that ended in the year to as_of."""
    start = as_of - timedelta(days=365)
    stays = [
        (d(r["close_date"]) - d(r["engage_date"])).days
        for r in rows_of(names)
        if r["close_date"] and start < d(r["close_date"]) <= as_of
    ]
    return statistics.quantiles(stays, n=4, method="inclusive")[2]


def list_price(product: str) -> Decimal:
    return PRICES["GTX Pro" if product == "GTXPro" else product]


# Win rate, cycle, won amount --------------------------------------------------------


def sql_win_rate(owner_ids: list[int], as_of: date) -> float | None:
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(owner_ids))
        cursor.execute(
            "SELECT SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), COUNT(*) "
            "FROM crm_opportunity WHERE status IN ('won', 'lost') "
            f"AND close_date > %s AND close_date <= %s AND owner_id IN ({marks})",
            [(as_of - timedelta(days=90)).isoformat(), as_of.isoformat(), *owner_ids],
        )
        won, total = cursor.fetchone()
    return round(won / total, 4) if total else None


def test_win_rate_90d_for_a_rep_matches_plain_sql(db):
    [rep_id] = ids_of([REP])
    expected = sql_win_rate([rep_id], END)

    rate = figures.win_rate([rep_id], END)

    assert expected is not None and 0 < expected < 1
    assert rate.value == expected == csv_win_rate([REP], END)
    assert rate.reason is None


def test_win_rate_90d_for_the_team_matches_plain_sql(db):
    team = team_names(REP)
    assert len(team) == 6
    expected = sql_win_rate(ids_of(team), END)

    rate = figures.win_rate(ids_of(team), END)

    assert rate.value == expected == csv_win_rate(team, END)
    assert rate.value != figures.win_rate(ids_of([REP]), END).value


def test_win_rate_is_missing_with_a_reason_when_nothing_closed(db):
    rate = figures.win_rate(ids_of([REP]), date(2016, 10, 1))

    assert rate.value is None
    assert rate.reason == "no deals were won or lost in the 90 days to 2016-10-01"


def test_median_cycle_for_a_rep_and_team_matches_the_file(db):
    for names in ([REP], team_names(REP)):
        expected = csv_median_cycle(names, END)
        assert expected is not None
        assert figures.median_cycle_days(ids_of(names), END).value == expected


def test_median_cycle_on_an_even_count_takes_the_midpoint(db):
    # Find a rep and date whose window holds an even number of closed deals.
    for name in sorted({r["sales_agent"] for r in PIPELINE}):
        spans = [
            (d(r["close_date"]) - d(r["engage_date"])).days
            for r in csv_closed_in_window([name], MID)
        ]
        if spans and len(spans) % 2 == 0:
            break
    ordered = sorted(spans)
    middle = len(ordered) // 2
    expected = (ordered[middle - 1] + ordered[middle]) / 2

    assert figures.median_cycle_days(ids_of([name]), MID).value == expected


def test_won_amount_in_fy2017_q4_matches_the_file(db):
    q4 = quarter_of(END, 1)
    assert (q4.start, q4.end) == (date(2017, 10, 1), date(2017, 12, 31))
    everyone = list(TEAMS)

    assert figures.won_amount(ids_of([REP]), q4.start, q4.end, "USD") == csv_won(
        [REP], q4.start, q4.end
    )
    assert figures.won_amount(ids_of(everyone), q4.start, q4.end, "USD") == csv_won(
        everyone, q4.start, q4.end
    )
    assert csv_won([REP], q4.start, q4.end) > 0
    assert figures.won_amount(ids_of([REP]), q4.start, q4.end, "EUR") == 0


# Open deals -------------------------------------------------------------------------


def test_data_as_of_is_the_last_date_in_the_file(db):
    assert Organisation.current().data_as_of == END


@pytest.mark.parametrize("names", [[REP], list(TEAMS)], ids=["rep", "everyone"])
@pytest.mark.parametrize("as_of", [END, MID], ids=str)
def test_open_deals_match_the_file(db, names, as_of):
    expected = csv_open(names, as_of)

    deals = figures.open_deals(ids_of(names), as_of, Organisation.current().data_as_of)

    assert deals.count() == len(expected)
    assert set(deals.values_list("external_id", flat=True)) == {
        r["opportunity_id"] for r in expected
    }
    prospecting = sum(1 for r in expected if r["deal_stage"] == "Prospecting")
    if as_of == END:
        assert (
            prospecting
            == sum(1 for r in rows_of(names) if r["deal_stage"] == "Prospecting")
            > 0
        )
    else:
        # Undated Prospecting deals only exist from the data's last date on.
        assert prospecting == 0


def test_open_deals_for_everyone_at_the_end_are_engaging_plus_prospecting(db):
    count = figures.open_deals(ids_of(list(TEAMS)), END, END).count()
    assert count == 1589 + 500


# Quarters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, start_month, fy, number, start, end",
    [
        # Calendar fiscal year.
        (date(2017, 12, 31), 1, 2017, 4, date(2017, 10, 1), date(2017, 12, 31)),
        (date(2017, 1, 1), 1, 2017, 1, date(2017, 1, 1), date(2017, 3, 31)),
        (date(2016, 2, 29), 1, 2016, 1, date(2016, 1, 1), date(2016, 3, 31)),
        # February start: FY2018 runs 1 Feb 2017 - 31 Jan 2018.
        (date(2017, 12, 31), 2, 2018, 4, date(2017, 11, 1), date(2018, 1, 31)),
        (date(2018, 1, 31), 2, 2018, 4, date(2017, 11, 1), date(2018, 1, 31)),
        (date(2017, 2, 1), 2, 2018, 1, date(2017, 2, 1), date(2017, 4, 30)),
        (date(2017, 1, 31), 2, 2017, 4, date(2016, 11, 1), date(2017, 1, 31)),
        (date(2017, 6, 15), 2, 2018, 2, date(2017, 5, 1), date(2017, 7, 31)),
        # November start: FY2018 runs 1 Nov 2017 - 31 Oct 2018.
        (date(2017, 12, 31), 11, 2018, 1, date(2017, 11, 1), date(2018, 1, 31)),
        (date(2017, 10, 31), 11, 2017, 4, date(2017, 8, 1), date(2017, 10, 31)),
        (date(2018, 2, 28), 11, 2018, 2, date(2018, 2, 1), date(2018, 4, 30)),
        (date(2016, 3, 1), 11, 2016, 2, date(2016, 2, 1), date(2016, 4, 30)),
        (date(2017, 11, 1), 11, 2018, 1, date(2017, 11, 1), date(2018, 1, 31)),
    ],
)
def test_quarter_of_follows_the_fiscal_year(day, start_month, fy, number, start, end):
    quarter = quarter_of(day, start_month)

    assert (quarter.fiscal_year, quarter.number, quarter.start, quarter.end) == (
        fy,
        number,
        start,
        end,
    )
    assert quarter.label == f"FY{fy} Q{number}"
    assert quarter.contains(day)
    assert parse_quarter_key(f"FY{fy}-Q{number}", start_month) == quarter
    assert parse_quarter_key(quarter.label, start_month) == quarter


def test_quarter_next_crosses_the_fiscal_year():
    assert quarter_of(date(2018, 1, 15), 2).next(2) == quarter_of(date(2018, 2, 1), 2)
    assert quarter_of(date(2018, 1, 15), 2).next(2).label == "FY2019 Q1"
    assert quarter_of(date(2017, 12, 31), 1).next(1).label == "FY2018 Q1"


@pytest.mark.parametrize(
    "key", ["FY2017-Q5", "FY2017-Q0", "FY2017Q4", "fourth quarter"]
)
def test_parse_quarter_key_refuses_what_is_not_a_quarter(key):
    with pytest.raises(ValueError):
        parse_quarter_key(key, 1)


# Coverage on a hand-made set of deals ----------------------------------------------

AS_OF = date(2017, 11, 15)


@pytest.fixture
def lone_rep(db) -> Person:
    rep = Person.objects.create(
        username="cover.rep", full_name="Cover Rep", role=Person.Role.REP
    )
    deals = [
        # name, status, created, closes, amount, currency
        ("won-in-q", "won", date(2017, 8, 1), date(2017, 10, 20), 20000, "USD"),
        ("won-last-q", "won", date(2017, 6, 1), date(2017, 9, 30), 50000, "USD"),
        ("won-after-as-of", "won", date(2017, 9, 1), date(2017, 11, 20), 10000, "USD"),
        ("open-in-q", "open", date(2017, 9, 15), date(2017, 12, 10), 30000, "USD"),
        ("open-next-q", "open", date(2017, 9, 15), date(2018, 1, 15), 40000, "USD"),
        ("open-undated", "open", date(2017, 10, 1), None, 5000, "USD"),
        ("lost-before", "lost", date(2017, 8, 1), date(2017, 11, 1), 8000, "USD"),
        (
            "not-yet-created",
            "open",
            date(2017, 11, 20),
            date(2017, 12, 20),
            7000,
            "USD",
        ),
        ("open-in-euros", "open", date(2017, 10, 1), date(2017, 12, 1), 9000, "EUR"),
    ]
    for name, status, created, closes, amount, currency in deals:
        Opportunity.objects.create(
            external_id=f"cover:{name}",
            source="test",
            name=name,
            owner=rep,
            stage={"won": "Won", "lost": "Lost"}.get(status, "Engaging"),
            status=status,
            amount=Decimal(amount),
            currency=currency,
            created_on=created,
            close_date=closes,
        )
    return rep


def coverage(rep: Person, quarter):
    open_qs = figures.open_deals([rep.pk], AS_OF, Organisation.current().data_as_of)
    return figures.coverage_for(rep.pk, quarter, AS_OF, open_qs, "USD")


def set_quota(rep: Person, quarter, quota: int) -> None:
    Target.objects.create(
        rep=rep,
        period=quarter.key,
        period_start=quarter.start,
        period_end=quarter.end,
        quota=Decimal(quota),
        coverage_ratio=Decimal(3),
    )


def test_coverage_is_open_pipeline_in_the_quarter_over_quota_left(lone_rep):
    q4 = quarter_of(AS_OF, 1)
    set_quota(lone_rep, q4, 100000)

    c = coverage(lone_rep, q4)

    # Won in Q4 by 15 Nov: 20,000. Open on 15 Nov with an expected close in Q4:
    # 30,000. The 10,000 deal won on 20 Nov was open on the day, but the date it
    # would close was not known then, so it counts as undated with the 5,000
    # deal. Left to reach: 80,000; 30,000 / 80,000 = 0.375.
    assert c.won == Decimal(20000)
    assert c.open_amount == Decimal(30000)
    assert c.remaining == Decimal(80000)
    assert c.coverage.value == 0.375
    assert c.coverage.reason is None
    assert (c.undated_count, c.undated_amount) == (2, Decimal(15000))


def test_coverage_says_when_the_quota_is_already_met(lone_rep):
    q4 = quarter_of(AS_OF, 1)
    set_quota(lone_rep, q4, 20000)

    c = coverage(lone_rep, q4)

    assert c.remaining == 0
    assert c.coverage.value is None
    assert c.coverage.reason == "quota for FY2017 Q4 is already met"


def test_coverage_says_when_there_is_no_quota(lone_rep):
    q1 = quarter_of(date(2018, 1, 1), 1)

    c = coverage(lone_rep, q1)

    assert c.open_amount == Decimal(40000)
    assert c.quota is None and c.remaining is None
    assert c.coverage.value is None
    assert c.coverage.reason == "no quota is set for FY2018 Q1"


# The prep brief --------------------------------------------------------------------


@pytest.fixture
def prep_json(db) -> dict:
    out = StringIO()
    call_command("prep", REP, "--as-of", END.isoformat(), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_prep_json_has_the_brief_keys(prep_json):
    for key in (
        "open_deals",
        "open_deal_count",
        "won_amount_quarter",
        "coverage",
        "win_rate_90d",
        "team_win_rate_90d",
        "median_cycle_days_90d",
        "team_median_cycle_days_90d",
        "changes_since_last_session",
        "open_actions",
    ):
        assert key in prep_json, key
    assert prep_json["rep"] == REP
    assert prep_json["as_of"] == "2017-12-31"
    for deal in prep_json["open_deals"]:
        assert {
            "id",
            "external_id",
            "stage",
            "amount",
            "risk_score",
            "risk_reasons",
        } <= set(deal)
        for reason in deal["risk_reasons"]:
            assert set(reason) == {"code", "weight", "text"}
    assert set(prep_json["changes_since_last_session"]) >= {
        "since",
        "created",
        "stage_moves",
        "won",
        "lost",
    }


def test_prep_json_open_deals_match_the_file(prep_json):
    expected = {r["opportunity_id"]: r for r in csv_open([REP], END)}

    assert prep_json["open_deal_count"] == len(expected) == len(prep_json["open_deals"])
    assert {x["external_id"] for x in prep_json["open_deals"]} == set(expected)
    for deal in prep_json["open_deals"]:
        row = expected[deal["external_id"]]
        assert deal["stage"] == row["deal_stage"]
        assert Decimal(str(deal["amount"])) == list_price(row["product"])


def test_prep_json_results_match_the_file(prep_json):
    q4_start, q4_end = date(2017, 10, 1), END
    won = csv_won([REP], q4_start, q4_end)
    quota = QUOTAS[(REP, "FY2017-Q4")]
    team = team_names(REP)

    assert Decimal(str(prep_json["won_amount_quarter"])) == won
    current, following = prep_json["coverage"]
    assert (current["period"], current["start"], current["end"]) == (
        "FY2017 Q4",
        "2017-10-01",
        "2017-12-31",
    )
    assert Decimal(str(current["quota"])) == quota
    assert Decimal(str(current["won"])) == won
    assert Decimal(str(current["remaining"])) == max(quota - won, 0)
    assert won > quota  # a fact of the file: the top seller beat the demo quota
    assert current["coverage"] is None
    assert current["coverage_reason"] == "quota for FY2017 Q4 is already met"
    assert current["demo_target"] is True

    # Next quarter: nothing won yet, and no open deal has a close date to place it.
    undated = len(csv_open([REP], END))
    assert following["period"] == "FY2018 Q1"
    assert Decimal(str(following["quota"])) == QUOTAS[(REP, "FY2018-Q1")]
    assert following["won"] == 0
    assert Decimal(str(following["remaining"])) == QUOTAS[(REP, "FY2018-Q1")]
    assert following["coverage"] is None
    assert following["coverage_reason"].startswith(
        f"{undated} open deals have no expected close date"
    )

    assert prep_json["win_rate_90d"] == csv_win_rate([REP], END)
    assert prep_json["team_win_rate_90d"] == csv_win_rate(team, END)
    assert prep_json["median_cycle_days_90d"] == csv_median_cycle([REP], END)
    assert prep_json["team_median_cycle_days_90d"] == csv_median_cycle(team, END)


def test_prep_json_changes_are_those_of_the_last_cadence(prep_json):
    # No earlier session: the window is the rep's 14-day cadence.
    since = END - timedelta(days=14)
    changes = prep_json["changes_since_last_session"]
    mine = rows_of([REP])

    def ids(items):
        return sorted(x["external_id"] for x in items)

    def in_window(value: str) -> bool:
        return bool(value) and since < d(value) <= END

    assert changes["since"] == since.isoformat()
    assert ids(changes["created"]) == sorted(
        r["opportunity_id"] for r in mine if in_window(r["engage_date"])
    )
    assert ids(changes["won"]) == sorted(
        r["opportunity_id"]
        for r in mine
        if r["deal_stage"] == "Won" and in_window(r["close_date"])
    )
    assert ids(changes["lost"]) == sorted(
        r["opportunity_id"]
        for r in mine
        if r["deal_stage"] == "Lost" and in_window(r["close_date"])
    )
    assert changes["won"] or changes["lost"]
    # Derived history only has Engaging -> Won/Lost moves besides the first stage.
    assert changes["stage_moves"] == []
    assert prep_json["open_actions"] == []


# Risk: stalled in stage -------------------------------------------------------------


def reasons_by_deal(brief: dict) -> dict[str, set[str]]:
    return {
        x["external_id"]: {r["code"] for r in x["risk_reasons"]}
        for x in brief["open_deals"]
    }


@pytest.mark.parametrize("as_of", [END, date(2017, 9, 30)], ids=str)
def test_engaging_deals_past_the_team_p75_are_stalled(db, as_of):
    rep = Person.objects.get(full_name=REP, role=Person.Role.REP)
    p75 = csv_engaging_p75(team_names(REP), as_of)

    brief = build_brief(rep, as_of)

    codes = reasons_by_deal(brief)
    scores = {x["external_id"]: x["risk_score"] for x in brief["open_deals"]}
    for row in csv_open([REP], as_of):
        ext = row["opportunity_id"]
        # On as_of every open dated deal is (still) Engaging, since its engage date.
        stalled = (
            bool(row["engage_date"]) and (as_of - d(row["engage_date"])).days > p75
        )
        assert ("stalled_in_stage" in codes[ext]) == stalled, ext
        # The Maven data supports only two reasons: stalled (25) and no account (5).
        assert scores[ext] == 25 * stalled + 5 * (not row["account"]), ext
    stalled_count = sum("stalled_in_stage" in c for c in codes.values())
    if as_of == END:
        # The data ends with every Engaging deal well past the team's usual time.
        assert (
            stalled_count
            == sum(1 for r in csv_open([REP], END) if r["deal_stage"] == "Engaging")
            > 0
        )
    else:
        assert stalled_count == 0 and len(codes) > 0


def test_a_deal_one_day_past_the_team_p75_is_stalled_and_one_at_it_is_not(db):
    rep = Person.objects.get(full_name=REP, role=Person.Role.REP)
    as_of = date(2017, 9, 30)
    p75 = csv_engaging_p75(team_names(REP), as_of)
    at, past = floor(p75), floor(p75) + 1
    for name, days in (("at-p75", at), ("past-p75", past)):
        entered = as_of - timedelta(days=days)
        Opportunity.objects.create(
            external_id=f"risk:{name}",
            source="test",
            name=name,
            owner=rep,
            stage="Engaging",
            stage_position=2,
            status="open",
            amount=Decimal(1000),
            created_on=entered,
            stage_entered_on=entered,
        )

    brief = build_brief(rep, as_of)

    deals = {x["external_id"]: x for x in brief["open_deals"]}
    stalled = [
        r
        for r in deals["risk:past-p75"]["risk_reasons"]
        if r["code"] == "stalled_in_stage"
    ]
    assert stalled and stalled[0]["weight"] == 25
    assert f"{past} days in Engaging" in stalled[0]["text"]
    assert f"{p75:.0f} (75th percentile)" in stalled[0]["text"]
    assert "stalled_in_stage" not in {
        r["code"] for r in deals["risk:at-p75"]["risk_reasons"]
    }
    assert deals["risk:past-p75"]["days_in_stage"] == past


def test_a_new_rep_in_the_team_is_judged_against_the_team(db):
    # The percentile is the team's: a rep with no history of their own still gets one.
    darcel = Person.objects.get(full_name=REP, role=Person.Role.REP)
    newcomer = Person.objects.create(
        username="new.rep", full_name="New Rep", role=Person.Role.REP, team=darcel.team
    )
    assert Team.objects.get(pk=darcel.team_id).kind == Team.Kind.TEAM
    p75 = csv_engaging_p75(team_names(REP), END)
    entered = END - timedelta(days=floor(p75) + 1)
    Opportunity.objects.create(
        external_id="risk:newcomer",
        source="test",
        name="n",
        owner=newcomer,
        stage="Engaging",
        stage_position=2,
        status="open",
        amount=Decimal(1000),
        created_on=entered,
        stage_entered_on=entered,
    )

    brief = build_brief(newcomer, END)

    [deal] = brief["open_deals"]
    assert {r["code"] for r in deal["risk_reasons"]} == {
        "stalled_in_stage",
        "no_account",
    }
    assert deal["risk_score"] == 30


def test_a_brief_knows_nothing_from_after_its_date(db):
    """On 29 Dec, deals that closed on 30 Dec were open, undated and still engaging."""
    rep = Person.objects.get(full_name="Darcel Schlecht")
    as_of = date(2017, 12, 29)
    rows = [
        r
        for r in read_csv(MAVEN / "sales_pipeline.csv")
        if r["sales_agent"] == rep.full_name
    ]
    closed_later = {
        r["opportunity_id"]
        for r in rows
        if r["close_date"]
        and r["engage_date"]
        and r["engage_date"] <= "2017-12-29" < r["close_date"]
    }
    open_then = {
        r["opportunity_id"]
        for r in rows
        if r["engage_date"]
        and r["engage_date"] <= "2017-12-29"
        and (not r["close_date"] or r["close_date"] > "2017-12-29")
    }

    brief = build_brief(rep, as_of)

    assert closed_later, "the data should have deals closed after 29 Dec"
    assert {d["external_id"] for d in brief["open_deals"]} == open_then
    assert all(c["open_amount"] == 0 for c in brief["coverage"])
    assert {c["undated_open_deals"] for c in brief["coverage"]} == {len(open_then)}
    created = brief["changes_since_last_session"]["created"]
    assert {d["stage"] for d in created if d["external_id"] in closed_later} <= {
        "Engaging"
    }
    assert all(
        d["close_date"] is None
        for d in brief["open_deals"]
        if d["external_id"] in closed_later
    )
