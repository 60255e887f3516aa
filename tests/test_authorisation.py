"""The authorisation matrix: every page and endpoint × every role, exact outcomes.

Each cell runs inside its own savepoint, so what one role changes never
affects the next. A URL added to the product without a row here fails
`test_every_url_is_in_the_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from coachbook.coaching import agenda
from coachbook.coaching.models import Session
from coachbook.crm.models import ImportJob
from coachbook.people.models import Person, Team
from coaching_helpers import (
    MANAGER,
    OTHER_REP,
    REP,
    add_action,
    finalised_session,
    person,
)

ROLES = [
    "rep",
    "other_rep",
    "manager",
    "other_manager",
    "lead_above",
    "lead_elsewhere",
    "admin",
    "anonymous",
]


def second_line(username: str, region: str) -> Person:
    lead = Person.objects.create_user(
        username, full_name=f"{region} lead", role=Person.Role.SECOND_LINE
    )
    Team.objects.filter(kind=Team.Kind.REGION, name=region).update(manager=lead)
    return lead


def import_job(folder) -> ImportJob:
    rejected = folder / "rejected-rows.csv"
    rejected.write_text("file,row,field,reason\n")
    return ImportJob.objects.create(
        source="salesforce",
        folder=str(folder),
        state=ImportJob.State.DONE,
        rejections_file=str(rejected),
    )


@pytest.fixture
def world(db, tmp_path) -> dict[str, Any]:
    """Darcel's finalised session and record, his next session prepared, and the people."""
    rep, manager = person(REP), person(MANAGER)
    done_session, record = finalised_session(rep)
    upcoming = Session.objects.get(rep=rep, state=Session.State.PLANNED)
    upcoming.prepare(manager)
    earlier = done_session.actions.get()
    reported = add_action(done_session, "Send the pricing summary")
    reported.reported_done_at = timezone.now()
    reported.report_note = "Sent on Friday."
    reported.save()
    admin = Person.objects.create_sales_ops("ops", password="x")
    return {
        "people": {
            "rep": rep,
            "other_rep": person(OTHER_REP),
            "manager": manager,
            "other_manager": person("Dustin Brinkmann"),
            "lead_above": second_line("central.lead", "Central"),
            "lead_elsewhere": second_line("west.lead", "West"),
            "admin": admin,
            "anonymous": None,
        },
        "session": upcoming,
        "record": record,
        "earlier_action": earlier,
        "reported_action": reported,
        "new_action": add_action(upcoming, "Draft the mutual plan"),
        "urgent_item": agenda.add_urgent_topic(upcoming, manager, "Pricing", 5),
        "deal_id": upcoming.brief["open_deals"][0]["id"],
        "job": import_job(tmp_path),
    }


@dataclass
class Row:
    """One URL: how to call it and the status each role gets."""

    name: str
    args: Any  # a function of the world giving the URL's arguments
    method: str = "get"
    data: Any = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=dict)

    def outcome(self, role: str) -> int:
        return self.expect.get(role, self.expect.get("others", 404))


SIGNED_IN = {r: 200 for r in ROLES if r != "anonymous"}
S = lambda w: [w["session"].pk]  # noqa: E731
R = lambda w: [w["record"].pk]  # noqa: E731

MATRIX = [
    Row("home", lambda w: [], expect={**SIGNED_IN, "anonymous": 302}),
    Row("favicon", lambda w: [], expect={r: 301 for r in ROLES}),
    Row("login", lambda w: [], expect={r: 200 for r in ROLES}),
    Row("logout", lambda w: [], "post", expect={r: 302 for r in ROLES}),
    Row(
        "rep",
        lambda w: [w["people"]["rep"].pk],
        expect={"manager": 200, "lead_above": 200, "anonymous": 302},
    ),
    Row(
        "rep_deals_csv",
        lambda w: [w["people"]["rep"].pk],
        expect={"manager": 200, "lead_above": 200, "anonymous": 302},
    ),
    Row(
        "plan_session",
        lambda w: [w["people"]["rep"].pk],
        expect={"manager": 200, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "session",
        S,
        expect={"rep": 200, "manager": 200, "lead_above": 200, "anonymous": 302},
    ),
    Row(
        "prepare",
        S,
        "post",
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "add_urgent_topic",
        S,
        "post",
        {"title": "Renewal at risk", "minutes": "5"},
        expect={"manager": 302, "rep": 302, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "delete_urgent_topic",
        lambda w: [w["session"].pk, w["urgent_item"].pk],
        "post",
        # The rep may remove only topics they added; this one is the manager's.
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "send_agenda",
        S,
        "post",
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "review_deal",
        lambda w: [w["session"].pk, w["deal_id"]],
        "post",
        lambda w: {f"deal-{w['deal_id']}-next_step": "Call the CFO on Monday"},
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "add_action",
        S,
        "post",
        expect={"manager": 400, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "save_action",
        lambda w: [w["session"].pk, w["new_action"].pk],
        "post",
        expect={"manager": 400, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "delete_action",
        lambda w: [w["session"].pk, w["new_action"].pk],
        "post",
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "dispose_action",
        lambda w: [w["session"].pk, w["earlier_action"].pk],
        "post",
        expect={"manager": 400, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "save_step",
        lambda w: [w["session"].pk, "notes"],
        "post",
        {"private_notes": "Check in on workload."},
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "update_deal",
        lambda w: [w["session"].pk, w["deal_id"]],
        "post",
        expect={"rep": 400, "manager": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "finalise",
        S,
        "post",
        expect={"manager": 302, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "record",
        R,
        # Sales ops get the "say why" page, never the record straight away.
        expect={
            "rep": 200,
            "manager": 200,
            "lead_above": 200,
            "admin": 200,
            "anonymous": 302,
        },
    ),
    Row(
        "download_record",
        lambda w: [w["record"].pk, "md"],
        expect={"rep": 200, "manager": 200, "lead_above": 200, "anonymous": 302},
    ),
    Row(
        "amend_record",
        R,
        "post",
        expect={"manager": 400, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "read_record",
        R,
        "post",
        {"reason": "Data subject access request 2017-114"},
        expect={"admin": 200, "anonymous": 302},
    ),
    Row(
        "report_action",
        lambda w: [w["earlier_action"].pk],
        "post",
        expect={"rep": 400, "manager": 403, "lead_above": 403, "anonymous": 302},
    ),
    Row(
        "verify_action",
        lambda w: [w["reported_action"].pk],
        "post",
        expect={"manager": 400, "rep": 403, "lead_above": 403, "anonymous": 302},
    ),
]


SALES_OPS_ONLY = {"admin": 200, "anonymous": 302}

MATRIX += [
    Row("imports", lambda w: [], expect=SALES_OPS_ONLY),
    Row("import_job", lambda w: [w["job"].pk], expect=SALES_OPS_ONLY),
    Row("import_rejections", lambda w: [w["job"].pk], expect=SALES_OPS_ONLY),
]


def url_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the admin site has its own test below
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            assert pattern.name, (
                f"{pattern.pattern} has no name, so it cannot be in the matrix"
            )
            names.add(namespace + pattern.name)
    return names


def test_every_url_is_in_the_matrix():
    assert url_names(get_resolver().url_patterns) == {f"web:{r.name}" for r in MATRIX}


class Rollback(Exception):
    pass


def call(row: Row, world: dict[str, Any], role: str):
    client = Client()
    user = world["people"][role]
    if user is not None:
        client.force_login(user)
    url = reverse(f"web:{row.name}", args=row.args(world))
    data = row.data(world) if callable(row.data) else row.data
    return getattr(client, row.method)(url, data)


@pytest.mark.parametrize("row", MATRIX, ids=[r.name for r in MATRIX])
def test_matrix_row(row: Row, world):
    outcomes = {}
    for role in ROLES:
        try:
            with transaction.atomic():
                response = call(row, world, role)
                outcomes[role] = response.status_code
                if role == "anonymous" and response.status_code == 302:
                    assert response["Location"].startswith(("/login/", "/static/"))
                raise Rollback
        except Rollback:
            pass

    assert outcomes == {role: row.outcome(role) for role in ROLES}


def test_the_admin_site_is_for_sales_ops_only(world):
    admin_pages = [
        "/admin/",
        "/admin/coaching/record/",
        "/admin/coaching/auditevent/",
        "/admin/people/person/",
        "/admin/people/team/",
        "/admin/crm/target/",
        "/admin/coaching/template/",
        "/admin/axes/accessattempt/",
    ]
    for role in ROLES:
        client = Client()
        if world["people"][role] is not None:
            client.force_login(world["people"][role])
        for url in admin_pages:
            status = client.get(url).status_code
            assert status == (200 if role == "admin" else 302), (role, url)
