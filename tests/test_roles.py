"""What each role can do beyond seeing: the rep's side, leaders, sales ops, moves,
private notes, concurrent edits, and hostile text from the CRM."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest
from django.test import Client

from coachbook.coaching.models import Action, AgendaItem, AuditEvent, Session
from coachbook.crm.importers.maven import import_maven
from coachbook.crm.models import Opportunity
from coachbook.people.models import Person, Team
from coaching_helpers import (
    MANAGER,
    REP,
    complete_session,
    finalised_session,
    person,
)

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://example.invalid","x")'


def client_for(who: Person) -> Client:
    client = Client()
    client.force_login(who)
    return client


@pytest.fixture
def upcoming(db) -> Session:
    """Darcel's next session, prepared after a finalised one that left an action open."""
    finalised_session(person(REP))
    session = Session.objects.get(rep=person(REP), state=Session.State.PLANNED)
    session.prepare(person(MANAGER))
    return session


def test_the_rep_adds_an_urgent_topic_and_a_deal_update_the_manager_sees(upcoming):
    rep = client_for(person(REP))
    deal = upcoming.brief["open_deals"][0]

    added = rep.post(
        f"/sessions/{upcoming.pk}/agenda/urgent/",
        {"title": "Discount approval for Q1 renewal", "minutes": "5"},
    )
    updated = rep.post(
        f"/sessions/{upcoming.pk}/deals/{deal['id']}/update/",
        {
            f"deal-{deal['id']}-next_step": "Demo to the buying committee on 4 Jan",
            f"deal-{deal['id']}-close_confidence": "low",
        },
    )

    assert (added.status_code, updated.status_code) == (302, 302)
    topic = AgendaItem.objects.get(session=upcoming, kind="urgent")
    assert (topic.title, topic.added_by) == (
        "Discount approval for Q1 renewal",
        person(REP),
    )
    page = client_for(person(MANAGER)).get(f"/sessions/{upcoming.pk}/").content.decode()
    assert "Discount approval for Q1 renewal" in page
    assert "Demo to the buying committee on 4 Jan" in page
    assert "Close-date confidence low" in page
    events = set(
        AuditEvent.objects.filter(session=upcoming, actor=person(REP)).values_list(
            "action", flat=True
        )
    )
    assert events == {"added urgent topic", "updated deal"}


def test_the_rep_cannot_add_topics_once_the_session_has_started(upcoming):
    upcoming.start(person(MANAGER), "Agree next steps.", 45)
    response = client_for(person(REP)).post(
        f"/sessions/{upcoming.pk}/agenda/urgent/", {"title": "Late", "minutes": "5"}
    )

    assert response.status_code == 403
    assert not AgendaItem.objects.filter(session=upcoming, kind="urgent").exists()


def test_a_refused_deal_update_keeps_what_the_rep_typed(upcoming):
    deal = upcoming.brief["open_deals"][0]
    response = client_for(person(REP)).post(
        f"/sessions/{upcoming.pk}/deals/{deal['id']}/update/",
        {f"deal-{deal['id']}-close_confidence": "certain"},
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not upcoming.deal_updates.exists()


def test_the_rep_marks_an_action_done_and_the_manager_verifies_it(upcoming):
    action = Action.objects.get(rep=person(REP), session__state="finalised")
    reported = client_for(person(REP)).post(
        f"/actions/{action.pk}/done/",
        {f"report-{action.pk}-note": "Dated next steps booked on all four deals."},
    )
    action.refresh_from_db()
    assert reported.status_code == 302
    assert action.status == "open"
    assert action.report_note == "Dated next steps booked on all four deals."
    manager_page = client_for(person(MANAGER)).get(f"/reps/{person(REP).pk}/")
    assert "Dated next steps booked on all four deals." in manager_page.content.decode()

    verified = client_for(person(MANAGER)).post(
        f"/actions/{action.pk}/verify/", {f"verify-{action.pk}-decision": "verify"}
    )

    action.refresh_from_db()
    assert verified.status_code == 302
    assert (action.status, action.verified_by, str(action.closed_on)) == (
        "done",
        person(MANAGER),
        "2017-12-31",  # the data's today
    )
    trail = list(
        AuditEvent.objects.filter(object_type="action", object_id=str(action.pk))
        .order_by("pk")
        .values_list("action", "before__status", "after__status")
    )
    assert trail[-2:] == [
        ("reported action done", "open", "open"),
        ("verified action", "open", "done"),
    ]


def test_the_manager_can_send_an_action_back_with_a_note(upcoming):
    action = Action.objects.get(rep=person(REP), session__state="finalised")
    client_for(person(REP)).post(
        f"/actions/{action.pk}/done/", {f"report-{action.pk}-note": "Done."}
    )
    manager = client_for(person(MANAGER))

    no_note = manager.post(
        f"/actions/{action.pk}/verify/", {f"verify-{action.pk}-decision": "send_back"}
    )
    sent = manager.post(
        f"/actions/{action.pk}/verify/",
        {
            f"verify-{action.pk}-decision": "send_back",
            f"verify-{action.pk}-note": "Two deals still have no date.",
        },
    )

    action.refresh_from_db()
    assert no_note.status_code == 400
    assert "Say what is still missing." in no_note.content.decode()
    assert sent.status_code == 302
    assert (action.status, action.reported_done_at, action.sent_back_note) == (
        "open",
        None,
        "Two deals still have no date.",
    )
    home = client_for(person(REP)).get("/").content.decode()
    assert "Sent back: Two deals still have no date." in home


def test_moving_a_rep_moves_who_can_see_their_history(db):
    rep = person(REP)
    session, record = finalised_session(rep)
    melvin, dustin = client_for(person(MANAGER)), client_for(person("Dustin Brinkmann"))
    assert melvin.get(f"/records/{record.pk}/").status_code == 200
    assert dustin.get(f"/records/{record.pk}/").status_code == 404

    rep.team = Team.objects.get(manager=person("Dustin Brinkmann"), kind="team")
    rep.save(update_fields=["team"])

    for url in (
        f"/records/{record.pk}/",
        f"/sessions/{session.pk}/",
        f"/reps/{rep.pk}/",
    ):
        assert melvin.get(url).status_code == 404, url
        assert dustin.get(url).status_code == 200, url
    assert record.rep_id == rep.pk
    assert client_for(rep).get(f"/records/{record.pk}/").status_code == 200


def test_private_notes_reach_only_the_manager(db):
    session = complete_session(person(REP))
    session.private_notes = "Worried about burnout after the Q4 push."
    session.save(update_fields=["private_notes"])
    session.close(person(MANAGER))
    record = session.finalise(person(MANAGER))
    lead = Person.objects.create_user("lead", role=Person.Role.SECOND_LINE)
    Team.objects.filter(kind="region", name="Central").update(manager=lead)

    def text(who: Person, url: str) -> str:
        response = client_for(who).get(url)
        assert response.status_code == 200, (who, url)
        return response.content.decode()

    assert "burnout" in text(person(MANAGER), f"/records/{record.pk}/")
    for who in (person(REP), lead):
        assert "burnout" not in text(who, f"/records/{record.pk}/")
        assert "burnout" not in text(who, f"/sessions/{session.pk}/")
        for fmt in ("md", "json"):
            assert "burnout" not in text(who, f"/records/{record.pk}/download.{fmt}")
    assert "burnout" not in json.dumps(record.content)


def test_sales_ops_read_a_record_only_by_giving_a_reason_which_is_audited(db):
    session, record = finalised_session(person(REP))
    ops = Person.objects.create_sales_ops("ops", password="x")
    client = client_for(ops)

    asked = client.get(f"/records/{record.pk}/").content.decode()
    no_reason = client.post(f"/records/{record.pk}/read/", {"reason": ""})
    read = client.post(
        f"/records/{record.pk}/read/", {"reason": "Legal hold for case 2017-88"}
    )

    assert session.summary not in asked
    assert no_reason.status_code == 400
    assert read.status_code == 200
    assert session.summary in read.content.decode()
    event = AuditEvent.objects.get(action="read record as sales ops")
    assert (event.actor, event.object_id, event.after) == (
        ops,
        str(record.pk),
        {"reason": "Legal hold for case 2017-88"},
    )
    assert client.get(f"/records/{record.pk}/download.md").status_code == 404


def test_the_leader_home_shows_the_teams_below_and_no_others(db):
    lead = Person.objects.create_user("lead", role=Person.Role.SECOND_LINE)
    Team.objects.filter(kind="region", name="Central").update(manager=lead)
    page = client_for(lead).get("/").content.decode()

    assert "Melvin Marxen&#x27;s team" in page
    assert "Dustin Brinkmann&#x27;s team" in page
    assert "Cara Losch" not in page  # East
    assert "/reps/" in page
    assert "Plan a session" not in page


def seen_in(html: str, step: str) -> str:
    section = html.split(f'id="step-{step}"', 1)[1]
    return re.search(r'name="seen" value="([0-9a-f]*)"', section).group(1)


def test_a_second_save_over_someone_elses_change_is_refused_and_keeps_the_text(db):
    session = complete_session(person(REP))
    first, second = client_for(person(MANAGER)), client_for(person(MANAGER))
    url = f"/sessions/{session.pk}/steps/pipeline/"
    seen = seen_in(first.get(f"/sessions/{session.pk}/").content.decode(), "pipeline")
    same_seen = seen_in(
        second.get(f"/sessions/{session.pk}/").content.decode(), "pipeline"
    )
    assert seen == same_seen

    saved = first.post(url, {"seen": seen, "pipeline_activity": "First version."})
    refused = second.post(url, {"seen": seen, "pipeline_activity": "Second version."})

    session.refresh_from_db()
    assert saved.status_code == 302
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "saved this part after you opened the page" in html
    assert "Second version." in html
    assert session.pipeline_activity == "First version."

    again = second.post(
        url,
        {"seen": seen_in(html, "pipeline"), "pipeline_activity": "Second version."},
    )
    session.refresh_from_db()
    assert again.status_code == 302
    assert session.pipeline_activity == "Second version."


def test_saves_to_different_steps_do_not_collide(db):
    session = complete_session(person(REP))
    client = client_for(person(MANAGER))
    page = client.get(f"/sessions/{session.pk}/").content.decode()

    pipeline = client.post(
        f"/sessions/{session.pk}/steps/pipeline/",
        {"seen": seen_in(page, "pipeline"), "pipeline_activity": "Calls on plan."},
    )
    notes = client.post(
        f"/sessions/{session.pk}/steps/notes/",
        {"seen": seen_in(page, "notes"), "private_notes": "Ask about the move."},
    )

    session.refresh_from_db()
    assert (pipeline.status_code, notes.status_code) == (302, 302)
    assert (session.pipeline_activity, session.private_notes) == (
        "Calls on plan.",
        "Ask about the move.",
    )


def test_hostile_names_from_the_crm_stay_text_in_pages_and_exports(
    db, tmp_path, maven_dir
):
    copy = tmp_path / "maven"
    shutil.copytree(maven_dir, copy)
    deal = (
        Opportunity.objects.filter(owner=person(REP), status="open")
        .exclude(account=None)
        .exclude(product__name="GTX Pro")  # written GTXPro in the pipeline file
        .order_by("external_id")
        .first()
    )
    old_account, old_product = deal.account.name, deal.product.name
    renames = {"account": {old_account: FORMULA}, "product": {old_product: SCRIPT}}
    for name, columns in {
        "accounts.csv": ["account"],
        "products.csv": ["product"],
        "sales_pipeline.csv": ["account", "product"],
    }.items():
        with open(copy / name, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            fields, rows = reader.fieldnames, list(reader)
        for row in rows:
            for column in columns:
                row[column] = renames[column].get(row[column], row[column])
        with open(copy / name, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    report = import_maven(copy)
    assert report.applied, report.rejected
    deal.refresh_from_db()
    assert (deal.account.name, SCRIPT in deal.name) == (FORMULA, True)

    manager = client_for(person(MANAGER))
    rep_page = manager.get(f"/reps/{person(REP).pk}/").content.decode()
    assert SCRIPT not in rep_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rep_page

    exported = manager.get(f"/reps/{person(REP).pk}/deals.csv").content.decode()
    rows = list(csv.reader(io.StringIO(exported)))
    accounts = {row[2] for row in rows[1:]}
    assert "'" + FORMULA in accounts
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)

    session = complete_session(person(REP), deals=0)
    brief_deal = next(d for d in session.brief["open_deals"] if d["id"] == deal.pk)
    manager.post(
        f"/sessions/{session.pk}/deals/{deal.pk}/",
        {f"deal-{deal.pk}-next_step": SCRIPT},
    )
    assert brief_deal["account"] == FORMULA
    session_page = manager.get(f"/sessions/{session.pk}/").content.decode()
    assert SCRIPT not in session_page
    session.refresh_from_db()
    session.close(person(MANAGER))
    record = session.finalise(person(MANAGER))
    record_page = manager.get(f"/records/{record.pk}/").content.decode()
    markdown = manager.get(f"/records/{record.pk}/download.md").content.decode()
    assert SCRIPT not in record_page
    assert SCRIPT not in markdown
    assert "&lt;script&gt;" in markdown


def test_sales_ops_cannot_set_someone_elses_password_or_grant_powers(db):
    ops = Person.objects.create_sales_ops("ops", password="a-long-password-1")
    manager = person(MANAGER)
    client = client_for(ops)

    reset = client.post(
        f"/admin/people/person/{manager.pk}/password/",
        {"password1": "taken-over-123", "password2": "taken-over-123"},
    )
    own_page = client.get(f"/admin/people/person/{ops.pk}/change/").content.decode()

    manager.refresh_from_db()
    assert reset.status_code == 403
    assert not manager.check_password("taken-over-123")
    assert 'name="is_superuser"' not in own_page
    assert 'name="groups"' not in own_page
    assert (ops.is_staff, ops.is_superuser) == (True, False)


def test_moving_a_rep_in_the_admin_is_audited(db):
    ops = Person.objects.create_sales_ops("ops", password="a-long-password-1")
    rep = person(REP)
    new_team = Team.objects.get(manager=person("Dustin Brinkmann"), kind="team")
    page = client_for(ops).get(f"/admin/people/person/{rep.pk}/change/")
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k in form.fields and not isinstance(v, list | tuple)
    }
    data.update(
        {
            "team": new_team.pk,
            "date_joined_0": rep.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": rep.date_joined.strftime("%H:%M:%S"),
        }
    )

    response = client_for(ops).post(f"/admin/people/person/{rep.pk}/change/", data)

    rep.refresh_from_db()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rep.team == new_team
    event = AuditEvent.objects.get(action="changed role or team")
    assert (event.actor, event.object_id, event.after["team_id"]) == (
        ops,
        str(rep.pk),
        new_team.pk,
    )


def test_the_server_operators_superuser_sees_no_coaching(db):
    session, record = finalised_session(person(REP))
    operator = client_for(Person.objects.create_superuser("root", password="x"))

    assert operator.get(f"/sessions/{session.pk}/").status_code == 404
    assert operator.get(f"/reps/{person(REP).pk}/").status_code == 404
    assert operator.get(f"/records/{record.pk}/download.md").status_code == 404
