"""Sales ops import a Salesforce export from the page, in a real Chromium.

Expected values come from the sample file, read with the csv module, and
from the database with plain SQL.
"""

import csv
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from coachbook.people.models import Person
from samples import SAMPLES
from test_browser import PASSWORD, page  # noqa: F401 - the browser fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (SAMPLES / "sfdc-data-cloud-workshop").is_dir(),
        reason="no shared sample data",
    ),
]

WORKSHOP = SAMPLES / "sfdc-data-cloud-workshop"


def test_sales_ops_upload_an_export_watch_it_run_and_download_the_rejected_row(
    readers_not_locked_out,
    page: Page,  # noqa: F811
    tmp_path: Path,
    settings,
):
    settings.DATA_DIR = tmp_path / "data"
    with open(WORKSHOP / "Opportunity.csv", encoding="utf-8-sig", newline="") as f:
        deals = list(csv.DictReader(f))
    # One row with a close date no calendar has; the file's row 4 (header is 1).
    deals[2]["CloseDate"] = "2024-02-30"
    upload = tmp_path / "Opportunity.csv"
    with open(upload, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(deals[0]))
        writer.writeheader()
        writer.writerows(deals)
    ops = Person.objects.create_sales_ops("ops", password=PASSWORD)

    page.goto(page.base_url + "/login/")
    page.fill("#id_username", ops.username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Import data").click()
    page.get_by_label("What are you importing?").select_option("salesforce")
    page.get_by_label("Files").set_input_files(
        [upload, WORKSHOP / "Task.csv", WORKSHOP / "Account.csv"]
    )
    page.get_by_label("Exported on").fill("2024-01-31")
    page.get_by_label("Import the good rows and list the rejected ones").check()
    page.get_by_role("button", name="Start the import").click()

    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("Applied without 1 rejected row.", timeout=60_000)
    expect(page.get_by_label("Import progress")).to_have_attribute("value", "100")
    expect(progress).to_contain_text(
        f"{len(deals)} read, {len(deals) - 1} created, 0 updated, 0 unchanged, "
        "1 rejected"
    )
    rejected = progress.locator("table").last.locator("tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").nth(0)).to_have_text("Opportunity.csv")
    expect(rejected.locator("td").nth(1)).to_have_text("4")
    expect(rejected.locator("td").nth(2)).to_have_text("CloseDate")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download all rejected rows (CSV)").click()
    saved = tmp_path / "rejected.csv"
    download.value.save_as(saved)
    with open(saved, encoding="utf-8", newline="") as f:
        listed = list(csv.DictReader(f))
    assert [(r["file"], r["row"], r["field"]) for r in listed] == [
        ("Opportunity.csv", "4", "CloseDate")
    ]
    assert "February 2024 has no day 30" in listed[0]["reason"]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id FROM crm_opportunity WHERE source = 'salesforce'"
        )
        kept = {row[0] for row in cursor.fetchall()}
    assert len(kept) == len(deals) - 1
    assert deals[2]["Id"][:15] not in {k[:15] for k in kept}
