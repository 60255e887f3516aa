"""Import of the Maven CRM export, checked against the CSV files themselves.

Expected values are read from data/maven-crm with the csv module or from the
database with plain SQL, never from the importer under test.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coachbook.crm.importers.maven import import_maven
from coachbook.crm.models import ImportRun
from coachbook.lib.csvfiles import FileProblem

REPO = Path(__file__).resolve().parent.parent
MAVEN = REPO / "data" / "maven-crm"
PIPELINE_COLUMNS = [
    "opportunity_id",
    "sales_agent",
    "product",
    "account",
    "deal_stage",
    "engage_date",
    "close_date",
    "close_value",
]


# Helpers ------------------------------------------------------------------


def read_csv(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(
    folder: Path, name: str, rows: list[dict[str, str]], columns: list[str]
) -> None:
    with open(folder / name, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def sql(query: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def scalar(query: str, params: list | tuple = ()):
    return sql(query, params)[0][0]


SNAPSHOT_QUERIES = {
    "accounts": "SELECT id, external_id, name, sector, office_location, parent_id, "
    "employees FROM crm_account ORDER BY id",
    "products": "SELECT id, name, series, list_price, currency "
    "FROM crm_product ORDER BY id",
    "opportunities": "SELECT id, external_id, owner_id, account_id, product_id, stage, "
    "status, amount, amount_is_list_price, currency, created_on, stage_entered_on, "
    "close_date FROM crm_opportunity ORDER BY id",
    "stage_changes": "SELECT id, opportunity_id, from_stage, to_stage, changed_on "
    "FROM crm_stagechange ORDER BY id",
    "people": "SELECT id, full_name, role, team_id, external_id "
    "FROM people_person ORDER BY id",
    "teams": "SELECT id, name, kind, parent_id, manager_id "
    "FROM people_team ORDER BY id",
    "organisation": "SELECT id, data_as_of FROM people_organisation ORDER BY id",
}


def snapshot() -> dict[str, list[tuple]]:
    """Every row the importer could touch, read with plain SQL."""
    return {name: sql(query) for name, query in SNAPSHOT_QUERIES.items()}


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A private copy of the export to break; its first account gets a new sector.

    The sector change is in a file the importer writes before it reads the
    pipeline, so a refused import proves it rolled back earlier writes too.
    """
    folder = tmp_path / "maven-crm"
    shutil.copytree(MAVEN, folder)
    accounts = read_csv(folder, "accounts.csv")
    assert accounts[0]["sector"] != "changed-sector"
    accounts[0]["sector"] = "changed-sector"
    write_csv(folder, "accounts.csv", accounts, list(accounts[0]))
    return folder


def first_account_sector() -> str:
    name = read_csv(MAVEN, "accounts.csv")[0]["account"]
    return scalar("SELECT sector FROM crm_account WHERE external_id = %s", [name])


PIPELINE = read_csv(MAVEN, "sales_pipeline.csv")
TEAMS = read_csv(MAVEN, "sales_teams.csv")
ACCOUNTS = read_csv(MAVEN, "accounts.csv")
PRODUCTS = read_csv(MAVEN, "products.csv")


# The real data, as imported once by conftest ---------------------------------


def test_the_csv_holds_what_the_data_notes_say():
    # Guards the literal numbers below: they are facts about the file.
    stages = Counter(r["deal_stage"] for r in PIPELINE)
    assert len(PIPELINE) == 8800
    assert stages == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    assert (
        sum(Decimal(r["close_value"]) for r in PIPELINE if r["deal_stage"] == "Won")
        == 10_005_534
    )
    assert sum(1 for r in PIPELINE if r["product"] == "GTXPro") == 1480
    assert sum(1 for r in PIPELINE if not r["account"]) == 1425
    assert len(TEAMS) == 35
    assert len({r["sales_agent"] for r in PIPELINE}) == 30
    assert len({r["manager"] for r in TEAMS}) == 6
    assert len({r["regional_office"] for r in TEAMS}) == 3
    assert len(ACCOUNTS) == 85
    assert len(PRODUCTS) == 7


def test_it_imports_every_opportunity(db):
    assert scalar("SELECT COUNT(*) FROM crm_opportunity") == 8800
    assert scalar("SELECT COUNT(DISTINCT external_id) FROM crm_opportunity") == 8800


def test_it_imports_35_reps_of_whom_30_have_deals(db):
    assert scalar("SELECT COUNT(*) FROM people_person WHERE role = 'rep'") == 35
    assert scalar("SELECT COUNT(DISTINCT owner_id) FROM crm_opportunity") == 30
    reps = {
        name
        for (name,) in sql("SELECT full_name FROM people_person WHERE role = 'rep'")
    }
    assert reps == {r["sales_agent"] for r in TEAMS}
    idle = reps - {r["sales_agent"] for r in PIPELINE}
    assert len(idle) == 5
    with_deals = sql(
        "SELECT DISTINCT p.full_name FROM crm_opportunity o "
        "JOIN people_person p ON p.id = o.owner_id"
    )
    assert {name for (name,) in with_deals} == reps - idle


def test_it_builds_six_managers_in_three_regions(db):
    managers = sql("SELECT full_name FROM people_person WHERE role = 'manager'")
    assert {name for (name,) in managers} == {r["manager"] for r in TEAMS}
    assert len(managers) == 6
    regions = sql("SELECT name FROM people_team WHERE kind = 'region'")
    assert sorted(name for (name,) in regions) == sorted(
        {r["regional_office"] for r in TEAMS}
    )
    assert len(regions) == 3
    assert scalar("SELECT COUNT(*) FROM people_team WHERE kind = 'team'") == 6
    assert scalar("SELECT COUNT(*) FROM people_team WHERE kind = 'company'") == 1


def test_each_rep_sits_in_their_managers_team_in_their_region(db):
    rows = sql(
        "SELECT rep.full_name, mgr.full_name, region.name "
        "FROM people_person rep "
        "JOIN people_team team ON team.id = rep.team_id "
        "JOIN people_person mgr ON mgr.id = team.manager_id "
        "JOIN people_team region ON region.id = team.parent_id "
        "WHERE rep.role = 'rep' AND team.kind = 'team' AND region.kind = 'region'"
    )
    assert sorted(rows) == sorted(
        (r["sales_agent"], r["manager"], r["regional_office"]) for r in TEAMS
    )


def test_it_imports_85_accounts_and_7_products(db):
    assert scalar("SELECT COUNT(*) FROM crm_account") == 85
    assert {n for (n,) in sql("SELECT name FROM crm_account")} == {
        r["account"] for r in ACCOUNTS
    }
    products = dict(sql("SELECT name, list_price FROM crm_product"))
    assert len(products) == 7
    assert {n: Decimal(str(p)) for n, p in products.items()} == {
        r["product"]: Decimal(r["sales_price"]) for r in PRODUCTS
    }


def test_account_parents_follow_subsidiary_of(db):
    rows = sql(
        "SELECT a.name, p.name FROM crm_account a "
        "JOIN crm_account p ON p.id = a.parent_id"
    )
    expected = {
        (r["account"], r["subsidiary_of"]) for r in ACCOUNTS if r["subsidiary_of"]
    }
    assert expected  # the file has subsidiaries
    assert set(rows) == expected


def test_stage_counts_match_the_file(db):
    counts = dict(sql("SELECT stage, COUNT(*) FROM crm_opportunity GROUP BY stage"))
    assert counts == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}
    statuses = dict(sql("SELECT status, COUNT(*) FROM crm_opportunity GROUP BY status"))
    assert statuses == {"won": 4238, "lost": 2473, "open": 1589 + 500}


def test_won_amount_is_the_sum_of_close_values(db):
    total = scalar("SELECT SUM(amount) FROM crm_opportunity WHERE status = 'won'")
    assert Decimal(str(total)) == Decimal(10_005_534)
    assert not scalar(
        "SELECT COUNT(*) FROM crm_opportunity "
        "WHERE status = 'won' AND amount_is_list_price"
    )


def test_it_reads_gtxpro_as_the_product_gtx_pro(db):
    rows = sql(
        "SELECT o.external_id FROM crm_opportunity o "
        "JOIN crm_product p ON p.id = o.product_id WHERE p.name = 'GTX Pro'"
    )
    assert len(rows) == 1480
    assert {e for (e,) in rows} == {
        r["opportunity_id"] for r in PIPELINE if r["product"] == "GTXPro"
    }
    assert not sql("SELECT id FROM crm_product WHERE name = 'GTXPro'")


def test_it_keeps_deals_without_an_account(db):
    rows = sql("SELECT external_id FROM crm_opportunity WHERE account_id IS NULL")
    assert len(rows) == 1425
    assert {e for (e,) in rows} == {
        r["opportunity_id"] for r in PIPELINE if not r["account"]
    }


def test_every_deal_matches_its_row(db):
    rows = sql(
        "SELECT o.external_id, rep.full_name, p.name, a.name, o.stage, o.created_on, "
        "o.close_date, o.amount, o.amount_is_list_price, o.stage_entered_on, "
        "p.list_price "
        "FROM crm_opportunity o "
        "JOIN people_person rep ON rep.id = o.owner_id "
        "JOIN crm_product p ON p.id = o.product_id "
        "LEFT JOIN crm_account a ON a.id = o.account_id"
    )
    by_id = {r[0]: r for r in rows}
    assert len(by_id) == len(PIPELINE)
    for row in PIPELINE:
        (
            ext,
            rep,
            product,
            account,
            stage,
            created,
            closed,
            amount,
            from_list,
            entered,
            price,
        ) = by_id[row["opportunity_id"]]
        assert rep == row["sales_agent"]
        assert product == ("GTX Pro" if row["product"] == "GTXPro" else row["product"])
        assert account == (row["account"] or None)
        assert stage == row["deal_stage"]
        assert str(created or "") == row["engage_date"]
        assert str(closed or "") == row["close_date"]
        assert str(entered or "") == (row["close_date"] or row["engage_date"])
        if row["deal_stage"] == "Won":
            assert Decimal(str(amount)) == Decimal(row["close_value"]) and not from_list
        else:
            # Lost and open deals carry no value: the product's list price.
            assert Decimal(str(amount)) == Decimal(str(price)) and from_list


def test_stage_history_is_derived_from_the_two_dates(db):
    closed = [r for r in PIPELINE if r["deal_stage"] in ("Won", "Lost")]
    engaging = [r for r in PIPELINE if r["deal_stage"] == "Engaging"]
    expected = {
        (r["opportunity_id"], "", "Engaging", r["engage_date"])
        for r in closed + engaging
    }
    expected |= {
        (r["opportunity_id"], "Engaging", r["deal_stage"], r["close_date"])
        for r in closed
    }
    rows = sql(
        "SELECT o.external_id, c.from_stage, c.to_stage, c.changed_on, c.derived "
        "FROM crm_stagechange c JOIN crm_opportunity o ON o.id = c.opportunity_id"
    )
    assert len(rows) == 2 * len(closed) + len(engaging) == 15011
    assert all(derived for *_, derived in rows)
    assert {(e, f, t, str(on)) for e, f, t, on, _ in rows} == expected


def test_data_as_of_is_the_last_date_in_the_file(db):
    last = max(d for r in PIPELINE for d in (r["engage_date"], r["close_date"]) if d)
    assert scalar("SELECT data_as_of FROM people_organisation ORDER BY id LIMIT 1") in (
        last,
        date.fromisoformat(last),
    )
    assert last == "2017-12-31"


def test_the_first_import_run_reports_what_it_created(db):
    run = ImportRun.objects.filter(source="maven").order_by("pk").first()
    assert run.status == ImportRun.Status.APPLIED
    assert run.rejected == []
    assert run.data_as_of == date(2017, 12, 31)
    created = {table: c.get("created", 0) for table, c in run.counts.items()}
    assert created == {
        "accounts": 85,
        "products": 7,
        "sales_teams": 0,
        "regions": 3,
        "managers": 6,
        "teams": 6,
        "reps": 35,
        "sales_pipeline": 8800,
        "stage_history": 15011,
    }
    assert run.counts["sales_pipeline"]["read"] == 8800
    assert "1480 rows: product 'GTXPro' read as 'GTX Pro'." in run.notes
    assert "1425 rows: deals with no account." in run.notes
    assert "500 rows: open deals with no dates." in run.notes
    assert any(note.startswith("5 reps have no deals:") for note in run.notes)


# Re-running -------------------------------------------------------------------


def test_running_it_again_changes_nothing(db):
    before = snapshot()

    report = import_maven(MAVEN)

    assert report.applied and report.rejected == []
    for table, counts in report.counts.items():
        assert counts.get("created", 0) == 0, table
        assert counts.get("updated", 0) == 0, table
        assert counts.get("rejected", 0) == 0, table
    assert counts_of(report, "unchanged") == {
        "accounts": 85,
        "products": 7,
        "regions": 3,
        "managers": 6,
        "teams": 6,
        "reps": 35,
        "sales_pipeline": 8800,
    }
    assert report.counts["stage_history"].get("removed", 0) == 0
    assert snapshot() == before


def counts_of(report, outcome: str) -> dict[str, int]:
    return {t: c[outcome] for t, c in report.counts.items() if c.get(outcome)}


# Broken copies ------------------------------------------------------------------


def test_it_rejects_a_file_missing_a_column_and_names_both(db, copy):
    rows = read_csv(copy, "sales_pipeline.csv")
    columns = [c for c in PIPELINE_COLUMNS if c != "close_date"]
    write_csv(
        copy, "sales_pipeline.csv", [{c: r[c] for c in columns} for r in rows], columns
    )
    before = snapshot()

    with pytest.raises(FileProblem) as problem:
        import_maven(copy)

    assert "sales_pipeline.csv" in str(problem.value)
    assert "close_date" in str(problem.value)
    assert snapshot() == before
    assert first_account_sector() != "changed-sector"


def test_the_command_exits_with_an_error_naming_the_missing_column(db, copy):
    rows = read_csv(copy, "products.csv")
    write_csv(
        copy,
        "products.csv",
        [{k: v for k, v in r.items() if k != "series"} for r in rows],
        ["product", "sales_price"],
    )
    before = snapshot()

    with pytest.raises(CommandError) as error:
        call_command("import", "maven", str(copy), stdout=StringIO())

    assert "products.csv" in str(error.value)
    assert "series" in str(error.value)
    assert snapshot() == before


def test_it_rejects_a_bad_date_and_applies_nothing(db, copy):
    rows = read_csv(copy, "sales_pipeline.csv")
    bad = next(i for i, r in enumerate(rows) if r["deal_stage"] == "Won")
    other = next(
        i for i, r in enumerate(rows) if r["deal_stage"] == "Won" and i > bad + 10
    )
    rows[bad]["close_date"] = "2017-02-30"
    # Changes on other rows that a partial import would have written:
    rows[other]["close_value"] = str(int(rows[other]["close_value"]) + 1)
    rows.append(
        dict(
            rows[other],
            opportunity_id="NEWDEAL1",
            engage_date="2018-01-02",
            close_date="2018-02-01",
            close_value="999",
        )
    )
    write_csv(copy, "sales_pipeline.csv", rows, PIPELINE_COLUMNS)
    before = snapshot()
    count_before = scalar("SELECT COUNT(*) FROM crm_opportunity")

    report = import_maven(copy)

    assert not report.applied
    assert len(report.rejected) == 1
    rejection = report.rejected[0]
    assert (rejection.file, rejection.row, rejection.field) == (
        "sales_pipeline.csv",
        bad + 2,
        "close_date",  # row 1 is the header
    )
    assert "2017-02-30" in rejection.reason
    assert report.counts["sales_pipeline"]["rejected"] == 1
    assert scalar("SELECT COUNT(*) FROM crm_opportunity") == count_before
    assert not sql("SELECT id FROM crm_opportunity WHERE external_id = 'NEWDEAL1'")
    amount = scalar(
        "SELECT amount FROM crm_opportunity WHERE external_id = %s",
        [rows[other]["opportunity_id"]],
    )
    assert Decimal(str(amount)) == Decimal(PIPELINE[other]["close_value"])
    assert first_account_sector() != "changed-sector"
    assert snapshot() == before  # including data_as_of, despite the 2018 dates


def test_it_records_a_refused_run_with_every_rejected_row(db, copy):
    rows = read_csv(copy, "sales_pipeline.csv")
    rows[3]["engage_date"] = "31/12/2017"
    rows[7]["sales_agent"] = "Nobody Here"
    rows[11]["deal_stage"] = "Negotiating"
    write_csv(copy, "sales_pipeline.csv", rows, PIPELINE_COLUMNS)

    report = import_maven(copy)

    assert [(r.row, r.field) for r in report.rejected] == [
        (5, "engage_date"),
        (9, "sales_agent"),
        (13, "deal_stage"),
    ]
    run = ImportRun.objects.order_by("-pk").first()
    assert run.status == ImportRun.Status.REFUSED
    assert [(r["file"], r["row"], r["field"]) for r in run.rejected] == [
        ("sales_pipeline.csv", 5, "engage_date"),
        ("sales_pipeline.csv", 9, "sales_agent"),
        ("sales_pipeline.csv", 13, "deal_stage"),
    ]


def test_it_rejects_an_unknown_rep(db, copy):
    rows = read_csv(copy, "sales_pipeline.csv")
    rows[100]["sales_agent"] = "Nobody Here"
    write_csv(copy, "sales_pipeline.csv", rows, PIPELINE_COLUMNS)
    before = snapshot()

    report = import_maven(copy)

    assert not report.applied
    assert [(r.file, r.row, r.field) for r in report.rejected] == [
        ("sales_pipeline.csv", 102, "sales_agent")
    ]
    assert "Nobody Here" in report.rejected[0].reason
    assert "sales_teams.csv" in report.rejected[0].reason
    assert snapshot() == before
    assert not sql("SELECT id FROM people_person WHERE full_name = 'Nobody Here'")


def test_the_command_exits_with_an_error_when_rows_are_rejected(db, copy):
    rows = read_csv(copy, "sales_pipeline.csv")
    rows[0]["sales_agent"] = "Nobody Here"
    write_csv(copy, "sales_pipeline.csv", rows, PIPELINE_COLUMNS)
    before = snapshot()
    out = StringIO()

    with pytest.raises(CommandError, match="1 row was rejected"):
        call_command("import", "maven", str(copy), stdout=out)

    assert "sales_pipeline.csv row 2, sales_agent" in out.getvalue()
    assert snapshot() == before


@pytest.mark.parametrize("name", ["sales_pipeline.csv", "sales_teams.csv"])
def test_it_rejects_an_empty_file(db, copy, name):
    (copy / name).write_bytes(b"")
    before = snapshot()

    with pytest.raises(FileProblem) as problem:
        import_maven(copy)

    assert str(problem.value).startswith(f"{name}: ")
    assert "empty" in str(problem.value)
    assert snapshot() == before
    assert first_account_sector() != "changed-sector"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_it_rejects_a_file_that_is_not_utf8(db, copy, encoding):
    text = (copy / "sales_teams.csv").read_text(encoding="utf-8")
    text = text.replace("Anna Snelling", "Anna Snélling")
    data = text.encode(encoding)
    (copy / "sales_teams.csv").write_bytes(data)
    before = snapshot()

    with pytest.raises(FileProblem) as problem:
        import_maven(copy)

    message = str(problem.value)
    assert message.startswith("sales_teams.csv: ")
    assert "not UTF-8" in message
    if encoding == "cp1252":
        # The message points at the first byte that is not UTF-8: the é.
        first_bad = data.index("é".encode("cp1252"))
        assert f"byte {first_bad} " in message
    assert snapshot() == before
    assert first_account_sector() != "changed-sector"


def test_it_rejects_a_missing_file(db, copy):
    (copy / "products.csv").unlink()
    before = snapshot()

    with pytest.raises(FileProblem) as problem:
        import_maven(copy)

    assert str(problem.value).startswith("products.csv: file not found")
    assert snapshot() == before
    with pytest.raises(CommandError, match="products.csv"):
        call_command("import", "maven", str(copy), stdout=StringIO())
    assert snapshot() == before


def test_a_good_copy_applies_its_one_change(db, copy):
    # The harness itself: the copy differs from the data in one account only.
    report = import_maven(copy)

    assert report.applied
    assert report.counts["accounts"]["updated"] == 1
    assert report.counts["accounts"]["unchanged"] == 84
    assert first_account_sector() == "changed-sector"


# Values out of range or malformed: each rejected with its file, row and field --


@pytest.mark.parametrize(
    "name, index, field, value, reason",
    [
        ("products.csv", 0, "sales_price", "1e30", "larger than"),
        ("products.csv", 0, "sales_price", "NaN", "not an amount"),
        ("products.csv", 0, "sales_price", "-550", "negative"),
        ("sales_pipeline.csv", 0, "close_value", "99999999999999999999", "larger than"),
        ("sales_pipeline.csv", 0, "close_value", "Infinity", "not an amount"),
        ("sales_pipeline.csv", 0, "close_date", "2999-03-01", "outside 1970–2100"),
        ("sales_pipeline.csv", 0, "engage_date", "0001-01-01", "outside 1970–2100"),
        ("accounts.csv", 0, "employees", "-5", "not between 0 and"),
        (
            "accounts.csv",
            0,
            "employees",
            "99999999999999999999999",
            "not between 0 and",
        ),
    ],
)
def test_it_rejects_values_it_cannot_hold(db, copy, name, index, field, value, reason):
    rows = read_csv(copy, name)
    rows[index][field] = value
    write_csv(copy, name, rows, list(rows[0]))
    before = snapshot()

    report = import_maven(copy)

    assert [(r.file, r.row, r.field) for r in report.rejected] == [
        (name, index + 2, field)
    ]
    assert reason in report.rejected[0].reason
    assert snapshot() == before


def test_it_rejects_an_account_listed_twice_and_one_that_is_its_own_parent(db, copy):
    rows = read_csv(copy, "accounts.csv")
    rows.append(dict(rows[3]))
    rows[5]["subsidiary_of"] = rows[5]["account"]
    write_csv(copy, "accounts.csv", rows, list(rows[0]))

    report = import_maven(copy)

    assert [(r.row, r.field) for r in report.rejected] == [
        (7, "subsidiary_of"),
        (87, "account"),
    ]
    assert "also on row 5" in report.rejected[1].reason


def test_it_rejects_a_row_with_more_values_than_columns(db, copy):
    text = (copy / "products.csv").read_text()
    (copy / "products.csv").write_text(
        text.replace("GTX Basic,GTX,550", "GTX Basic,GTX,1,000")
    )

    report = import_maven(copy)

    assert [(r.file, r.row) for r in report.rejected] == [("products.csv", 2)]
    assert "more values than the header" in report.rejected[0].reason


def test_a_new_agent_named_like_an_existing_login_gets_a_login_of_their_own(db, copy):
    teams = read_csv(copy, "sales_teams.csv")
    teams.append(
        {
            "sales_agent": "Melvin-Marxen",
            "manager": "Cara Losch",
            "regional_office": "East",
        }
    )
    write_csv(copy, "sales_teams.csv", teams, list(teams[0]))

    report = import_maven(copy)

    assert report.applied
    assert sql(
        "SELECT username FROM people_person WHERE full_name = 'Melvin-Marxen'"
    ) == [("melvin.marxen2",)]


def test_a_pipeline_with_only_its_header_imports_nothing_and_does_not_crash(db, copy):
    (copy / "sales_pipeline.csv").write_text(",".join(PIPELINE_COLUMNS) + "\n")

    report = import_maven(copy)

    assert report.applied
    assert report.counts["sales_pipeline"].get("read", 0) == 0


def test_a_form_feed_inside_a_value_does_not_split_the_row(db, copy):
    rows = read_csv(copy, "accounts.csv")
    rows[0]["office_location"] = "United\x0cStates"
    rows[1]["employees"] = "many"
    write_csv(copy, "accounts.csv", rows, list(rows[0]))

    report = import_maven(copy)

    assert [(r.row, r.field) for r in report.rejected] == [(3, "employees")]
