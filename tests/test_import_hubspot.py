"""HubSpot data as its warehouse sync writes it: the Fivetran sample files.

The sample files were made independently of each other (see the data
README), so most of their rows cannot join; the import must say so row by
row. Expected values come from the files, read with the csv module.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from datetime import date

import pytest
from django.db import connection

from coachbook.crm.importers.crm_export import CrmImporter
from coachbook.crm.importers.layouts import hubspot
from coachbook.crm.importers.sources import FolderSource
from coachbook.lib.csvfiles import FileProblem
from samples import SAMPLES

HUBSPOT = SAMPLES / "fivetran-dbt-hubspot"

pytestmark = pytest.mark.skipif(not HUBSPOT.is_dir(), reason="no shared sample data")


def rows(name: str) -> list[dict[str, str]]:
    with open(HUBSPOT / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def sql(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def run(partial: bool):
    layout = hubspot()
    return CrmImporter(
        FolderSource(HUBSPOT, layout), layout, as_of=date(2023, 7, 1), partial=partial
    ).run()


def test_the_hubspot_sample_is_refused_whole_with_every_reason(db):
    report = run(partial=False)

    deals = rows("deal_data.csv")
    history = rows("deal_stage_data.csv")
    meetings = rows("engagement_meeting_data.csv")
    assert not report.applied
    reasons = Counter((r.file, r.field) for r in report.rejected)
    assert reasons[("deal_data.csv", "deal_pipeline_stage_id")] == sum(
        1 for r in deals if not r["deal_pipeline_stage_id"]
    )
    deal_ids = {r["deal_id"] for r in deals}
    assert reasons[("deal_stage_data.csv", "deal_id")] == sum(
        1 for r in history if r["deal_id"] not in deal_ids
    )
    assert reasons[("engagement_meeting_data.csv", "(owner)")] == len(meetings)
    history_rows = [r.row for r in report.rejected if r.file == "deal_stage_data.csv"]
    assert history_rows == sorted(history_rows)
    assert sql("SELECT COUNT(*) FROM crm_opportunity WHERE source = 'hubspot'") == [
        (0,)
    ]
    assert sql("SELECT COUNT(*) FROM people_person WHERE external_id = '44023296'") == [
        (0,)
    ]


def test_with_partial_the_owners_teams_and_tasks_that_can_join_are_kept(db):
    report = run(partial=True)

    owners = {r["owner_id"] for r in rows("owner_data.csv")}
    teams = rows("team_data.csv")
    tasks = [
        r for r in rows("engagement_task_data.csv") if r["property_hubspot_owner_id"]
    ]
    assert report.applied
    assert report.counts["users"]["created"] == len(owners)
    placeholders = ",".join(f"'{o}'" for o in owners)
    assert sql(
        f"SELECT COUNT(*) FROM people_person WHERE external_id IN ({placeholders})"
    ) == [(len(owners),)]
    assert sql(
        "SELECT COUNT(*) FROM people_team WHERE name IN ("
        + ",".join(f"'{t['name']}'" for t in teams)
        + ")"
    ) == [(len(teams),)]
    assert sql(
        "SELECT kind, COUNT(*) FROM crm_activity WHERE source = 'hubspot' GROUP BY kind"
    ) == [("task", len(tasks))]
    stages = rows("deal_pipeline_stage_data.csv")
    assert report.counts["stages"]["read from pipelines"] == len(stages)
    team_ids = {t["id"] for t in teams}
    members = [
        m
        for m in rows("owner_team_data.csv")
        if m["owner_id"] in owners and m["team_id"] in team_ids
    ]
    primary = [m for m in members if m["is_team_primary"] == "true"]
    assert report.counts["team members"]["updated"] == len(primary)
    assert report.counts["team members"]["other team, not primary"] == len(
        members
    ) - len(primary)
    for member in primary:
        team = next(t["name"] for t in teams if t["id"] == member["team_id"])
        assert sql(
            "SELECT t.name FROM people_person p JOIN people_team t "
            f"ON t.id = p.team_id WHERE p.external_id = '{member['owner_id']}'"
        ) == [(team,)]


def test_deals_without_the_pipeline_stages_file_are_refused_with_what_to_add(
    db, tmp_path
):
    folder = tmp_path / "hubspot"
    shutil.copytree(HUBSPOT, folder)
    (folder / "deal_pipeline_stage_data.csv").unlink()
    layout = hubspot()

    with pytest.raises(FileProblem) as refused:
        CrmImporter(FolderSource(folder, layout), layout, as_of=date(2023, 7, 1)).run()

    assert str(refused.value) == (
        "hubspot: has no pipeline stages file; expected "
        "deal_pipeline_stage_data.csv or pipeline_stages.csv. Deals name their "
        "stage by an id, and that file gives each id its name, its order and "
        "whether it is won or lost: export it with the deals"
    )
    assert sql("SELECT COUNT(*) FROM crm_opportunity WHERE source = 'hubspot'") == [
        (0,)
    ]
