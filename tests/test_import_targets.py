"""Import of quotas, checked against data/targets.csv and hand-worked quarters."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coachbook.crm.importers.targets import import_targets
from coachbook.lib.csvfiles import FileProblem

REPO = Path(__file__).resolve().parent.parent
TARGETS = REPO / "data" / "targets.csv"
TEAMS = REPO / "data" / "maven-crm" / "sales_teams.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def sql(query: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def targets_table() -> list[tuple]:
    return sql(
        "SELECT t.id, p.full_name, t.period, t.period_start, t.period_end, t.quota, "
        "t.currency, t.coverage_ratio, t.is_demo FROM crm_target t "
        "JOIN people_person p ON p.id = t.rep_id ORDER BY t.id"
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Hand-worked calendar quarters (the organisation's fiscal year starts in January).
QUARTERS = {
    "FY2017-Q1": (date(2017, 1, 1), date(2017, 3, 31)),
    "FY2017-Q2": (date(2017, 4, 1), date(2017, 6, 30)),
    "FY2017-Q3": (date(2017, 7, 1), date(2017, 9, 30)),
    "FY2017-Q4": (date(2017, 10, 1), date(2017, 12, 31)),
    "FY2018-Q1": (date(2018, 1, 1), date(2018, 3, 31)),
    "FY2018-Q2": (date(2018, 4, 1), date(2018, 6, 30)),
}


def test_the_demo_targets_are_imported_as_in_the_file(db):
    rows = read_csv(TARGETS)
    assert len(rows) == 35 * 6
    assert {r["rep"] for r in rows} == {r["sales_agent"] for r in read_csv(TEAMS)}

    stored = {
        (name, period): (
            start,
            end,
            Decimal(str(quota)),
            currency,
            Decimal(str(ratio)),
            demo,
        )
        for _, name, period, start, end, quota, currency, ratio, demo in targets_table()
    }
    assert len(stored) == len(rows)
    for r in rows:
        start, end = QUARTERS[r["period"]]
        assert stored[(r["rep"], r["period"])] == (
            start,
            end,
            Decimal(r["quota"]),
            r["currency"],
            Decimal(r["coverage_ratio"]),
            True,
        )
    assert sql("SELECT targets_are_demo FROM people_organisation")[0][0]


def test_importing_the_same_file_again_changes_nothing(db):
    before = targets_table()

    report = import_targets(TARGETS, demo=True)

    assert report.applied
    assert dict(report.counts["targets"]) == {"read": 210, "unchanged": 210}
    assert targets_table() == before


def test_it_creates_then_updates_then_leaves_a_target(db, tmp_path):
    path = write(
        tmp_path / "q.csv",
        "rep,period,quota,currency,coverage_ratio\n"
        "Darcel Schlecht,FY2018-Q3,120000,usd,4\n",
    )

    report = import_targets(path)
    assert report.applied
    assert report.counts["targets"]["created"] == 1
    row = sql(
        "SELECT t.period, t.period_start, t.period_end, t.quota, t.currency, "
        "t.coverage_ratio, t.is_demo FROM crm_target t "
        "JOIN people_person p ON p.id = t.rep_id "
        "WHERE p.full_name = 'Darcel Schlecht' AND t.period = 'FY2018-Q3'"
    )
    period, start, end, quota, currency, ratio, demo = row[0]
    assert (period, start, end) == ("FY2018-Q3", date(2018, 7, 1), date(2018, 9, 30))
    assert (Decimal(str(quota)), currency, Decimal(str(ratio)), bool(demo)) == (
        Decimal(120000),
        "USD",
        Decimal(4),
        False,
    )

    assert import_targets(path).counts["targets"]["unchanged"] == 1

    write(path, "rep,period,quota\ndarcel schlecht,FY2018-Q3,125000\n")
    report = import_targets(path)
    assert report.counts["targets"]["updated"] == 1
    quota, currency, ratio = sql(
        "SELECT t.quota, t.currency, t.coverage_ratio FROM crm_target t "
        "JOIN people_person p ON p.id = t.rep_id "
        "WHERE p.full_name = 'Darcel Schlecht' AND t.period = 'FY2018-Q3'"
    )[0]
    # Optional columns left out: the organisation's currency and a 3x ratio.
    assert (Decimal(str(quota)), currency, Decimal(str(ratio))) == (
        Decimal(125000),
        "USD",
        Decimal(3),
    )


def test_it_rejects_an_unknown_rep_and_a_bad_period_with_their_rows(db, tmp_path):
    path = write(
        tmp_path / "targets.csv",
        "rep,period,quota\n"
        "Darcel Schlecht,FY2017-Q4,1\n"  # row 2: fine, but must not be applied
        "Nobody Here,FY2017-Q4,90000\n"  # row 3
        "Anna Snelling,FY2017-Q5,90000\n"  # row 4
        "Anna Snelling,2017 fourth,90000\n"  # row 5
        "Melvin Marxen,FY2017-Q4,90000\n"  # row 6: a manager, not a rep
        "Anna Snelling,FY2019-Q1,90000\n",  # row 7: fine, new
    )
    before = targets_table()

    report = import_targets(path)

    assert not report.applied
    assert [(r.file, r.row, r.field) for r in report.rejected] == [
        ("targets.csv", 3, "rep"),
        ("targets.csv", 4, "period"),
        ("targets.csv", 5, "period"),
        ("targets.csv", 6, "rep"),
    ]
    assert "Nobody Here" in report.rejected[0].reason
    assert "FY2017-Q5" in report.rejected[1].reason
    assert "2017 fourth" in report.rejected[2].reason
    assert targets_table() == before


def test_it_rejects_a_quota_that_is_not_an_amount(db, tmp_path):
    path = write(
        tmp_path / "targets.csv", "rep,period,quota\nAnna Snelling,FY2019-Q1,lots\n"
    )
    before = targets_table()

    report = import_targets(path)

    assert [(r.row, r.field) for r in report.rejected] == [(2, "quota")]
    assert "lots" in report.rejected[0].reason
    assert targets_table() == before


def test_the_command_exits_with_an_error_on_rejected_rows(db, tmp_path):
    path = write(
        tmp_path / "targets.csv", "rep,period,quota\nNobody Here,FY2017-Q4,90000\n"
    )
    out = StringIO()

    with pytest.raises(CommandError, match="1 row was rejected"):
        call_command("import", "targets", str(path), stdout=out)

    assert "targets.csv row 2, rep" in out.getvalue()


def test_it_rejects_a_file_missing_the_quota_column(db, tmp_path):
    path = write(tmp_path / "targets.csv", "rep,period\nAnna Snelling,FY2017-Q4\n")
    before = targets_table()

    with pytest.raises(FileProblem) as problem:
        import_targets(path)

    assert str(problem.value).startswith("targets.csv: missing column 'quota'")
    assert targets_table() == before
    with pytest.raises(CommandError, match="quota"):
        call_command("import", "targets", str(path), stdout=StringIO())


@pytest.mark.parametrize(
    "line, field, reason",
    [
        ("Darcel Schlecht,FY2018-Q1,1e30,USD,3", "quota", "larger than"),
        ("Darcel Schlecht,FY2018-Q1,90000,USD,100000", "coverage_ratio", "larger than"),
        ("Darcel Schlecht,FY2018-Q1,90000,USD,0.001", "coverage_ratio", "below 0.1"),
        ("Darcel Schlecht,FY2018-Q1,90000,EUR,3", "currency", "must be in USD"),
    ],
)
def test_it_rejects_values_it_cannot_use(db, tmp_path, line, field, reason):
    path = write(
        tmp_path / "t.csv", "rep,period,quota,currency,coverage_ratio\n" + line + "\n"
    )
    before = targets_table()

    report = import_targets(path)

    assert [(r.row, r.field) for r in report.rejected] == [(2, field)]
    assert reason in report.rejected[0].reason
    assert targets_table() == before


def test_a_file_with_only_a_header_changes_nothing(db, tmp_path):
    from coachbook.people.models import Organisation

    flag = Organisation.current().targets_are_demo
    report = import_targets(write(tmp_path / "t.csv", "rep,period,quota\n"))

    assert report.applied
    assert Organisation.current().targets_are_demo == flag


def test_a_folder_is_refused_with_a_clear_message(db, tmp_path):
    from coachbook.lib.csvfiles import FileProblem

    with pytest.raises(FileProblem, match="is a folder"):
        import_targets(tmp_path)


def test_row_numbers_count_blank_lines_as_a_spreadsheet_does(db, tmp_path):
    path = write(tmp_path / "t.csv", "rep,period,quota\n\nNobody,FY2018-Q1,1\n")

    report = import_targets(path)

    assert [(r.row, r.field) for r in report.rejected] == [(3, "rep")]
