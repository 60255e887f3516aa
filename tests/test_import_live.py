"""Live imports: the real connector clients, replaying recorded API exchanges, into the importer."""

from __future__ import annotations

import importlib.util
import re
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coachbook.crm.models import ImportJob
from coachbook.people.models import Person
from http_recordings import salesforce_replay
from samples import SAMPLES as SHARED  # noqa: E402
from test_connectors import (  # noqa: F401  (password_login is a fixture)
    EVENTS,
    OPPORTUNITIES,
    TASKS,
    USERS,
    password_login,
)

REPO = Path(__file__).resolve().parent.parent


def sql(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def test_a_live_salesforce_import_reads_the_api_into_coachbook(db, password_login):  # noqa: F811
    with salesforce_replay(
        "login",
        "users",
        "accounts",
        "describe_opportunity",
        "opportunities",
        "opportunity_history",
        "tasks",
        "events",
    ):
        call_command(
            "import", "salesforce", "--live", "--as-of", "2024-03-06", stdout=StringIO()
        )

    ids = ",".join(f"'{o['Id']}'" for o in OPPORTUNITIES)
    assert sql(
        f"SELECT COUNT(*) FROM crm_opportunity WHERE external_id IN ({ids})"
    ) == [(len(OPPORTUNITIES),)]
    users = ",".join(f"'{u['Id']}'" for u in USERS)
    assert sql(
        f"SELECT COUNT(*) FROM people_person WHERE external_id IN ({users})"
    ) == [(len(USERS),)]
    activities = ",".join(f"'{a['Id']}'" for a in [*TASKS, *EVENTS])
    assert sql(
        f"SELECT COUNT(*) FROM crm_activity WHERE external_id IN ({activities})"
    ) == [(len(TASKS) + len(EVENTS),)]
    managed = [u for u in USERS if u["ManagerId"]]
    for user in managed:
        person = Person.objects.get(external_id=user["Id"])
        assert person.team is not None
        assert person.team.manager.external_id == user["ManagerId"]


def test_a_live_import_without_credentials_says_what_to_set(db):
    with pytest.raises(CommandError, match="COACHBOOK_SALESFORCE"):
        call_command("import", "salesforce", "--live", stdout=StringIO())


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared sample data")
def test_sales_ops_import_a_folder_from_the_page_and_watch_it_finish(
    transactional_db, client, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    ops = Person.objects.create_sales_ops("ops", password="a-long-password-1")
    client.force_login(ops)
    folder = SHARED / "sfdc-data-cloud-workshop"
    with (
        open(folder / "Opportunity.csv", "rb") as opps,
        open(folder / "Task.csv", "rb") as tasks,
        open(folder / "Account.csv", "rb") as accounts,
    ):
        response = client.post(
            "/imports/",
            {
                "source": "salesforce",
                "uploads": [opps, tasks, accounts],
                "as_of": "2024-01-31",
            },
        )
    assert response.status_code == 302
    job = finished_job()

    assert job.state == "done", job.error
    assert job.run.status == "applied"
    assert job.run.counts["opportunities"]["created"] == 50
    assert job.run.counts["activities"]["created"] == 75
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Applied" in page and "50 created" in page
    assert 'value="100"' in page


def finished_job() -> ImportJob:
    """The one import job, once its background thread has finished (30 s at most)."""
    job = ImportJob.objects.get()
    deadline = time.monotonic() + 30
    while job.state in ("waiting", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job.refresh_from_db()
    return job


def test_an_upload_that_cannot_be_read_is_listed_with_its_reason(
    transactional_db, client, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    ops = Person.objects.create_sales_ops("ops", password="a-long-password-1")
    client.force_login(ops)
    workbook = SimpleUploadedFile("Opportunity.csv", b"PK\x03\x04 a workbook")
    response = client.post("/imports/", {"source": "salesforce", "uploads": [workbook]})
    assert response.status_code == 302
    job = finished_job()

    assert job.state == "failed"
    assert "Opportunity.csv: is an Excel workbook" in job.error
    assert job.run is not None and job.run.status == "refused"
    assert job.run.run_by == ops
    assert job.run.notes == [job.error.removesuffix(". Nothing was imported.")]
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Excel workbook" in page


@pytest.mark.skipif(not SHARED.is_dir(), reason="no shared sample data")
def test_a_mapping_file_that_reads_dates_day_first_holds_on_the_page(
    transactional_db, client, settings, tmp_path
):
    # The page's day-first box, left unticked, must not switch the file's
    # own setting off: the same files read the same from the command line.
    settings.DATA_DIR = tmp_path
    client.force_login(Person.objects.create_sales_ops("ops", password="a-long-pw-1"))
    source = (SHARED / "sfdc-data-cloud-workshop" / "Opportunity.csv").read_text(
        encoding="utf-8-sig"
    )
    header, first, *rest = source.splitlines(keepends=True)
    columns = header.strip().split(",")
    values = first.rstrip("\r\n").split(",")
    deal_id = values[columns.index("Id")]
    values[columns.index("CloseDate")] = "3/4/2024"
    upload = SimpleUploadedFile(
        "Opportunity.csv", "".join([header, ",".join(values) + "\n", *rest]).encode()
    )
    mapping = SimpleUploadedFile("org.toml", b"[options]\nday_first = true\n")

    response = client.post(
        "/imports/", {"source": "salesforce", "uploads": [upload], "mapping": mapping}
    )
    assert response.status_code == 302
    job = finished_job()

    assert job.state == "done", job.error
    [(stored,)] = sql(
        f"SELECT close_date FROM crm_opportunity WHERE external_id = '{deal_id}'"
    )
    assert str(stored) == "2024-04-03"  # 3 April, read day first


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="runs on PostgreSQL (CI runs it there): the tests' in-memory SQLite "
    "locks whole tables between threads, and hides nothing an import writes",
)
def test_the_progress_bar_moves_while_a_long_import_runs(
    transactional_db, client, settings, tmp_path
):
    # The import is one database transaction: what it writes there is unseen
    # until it ends. The page must still show it moving; progress kept in
    # the database stayed at 0% until the end.
    spec = importlib.util.spec_from_file_location(
        "gen_salesforce", REPO / "benchmarks" / "gen_salesforce.py"
    )
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    export = tmp_path / "export"
    written = generator.generate(
        export, reps=20, opportunities=12_000, history=24_000, activities=6_000, seed=3
    )
    settings.DATA_DIR = tmp_path / "data"
    client.force_login(Person.objects.create_sales_ops("ops", password="a-long-pw-1"))
    uploads = [open(path, "rb") for path in sorted(export.glob("*.csv"))]  # noqa: SIM115
    try:
        response = client.post(
            "/imports/",
            {"source": "salesforce", "uploads": uploads, "as_of": "2025-06-30"},
        )
    finally:
        for upload in uploads:
            upload.close()
    assert response.status_code == 302
    page_url = response["Location"]

    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        html = client.get(page_url, headers={"HX-Request": "true"}).content.decode()
        seen.append(int(re.search(r'<progress max="100" value="(\d+)"', html)[1]))
        if "Applied" in html or "nothing was imported" in html:
            break
        time.sleep(0.05)

    assert seen[-1] == 100, html
    assert any(0 < percent < 100 for percent in seen), seen
    assert seen == sorted(seen)  # it only moves forward
    job = ImportJob.objects.get()
    assert job.run.counts["opportunities"]["created"] == written["Opportunity.csv"]
