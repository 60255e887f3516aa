"""The web pages: who can open them, what they show, and how many queries they cost."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coachbook.coaching.models import Record, Session
from coachbook.people.models import Person
from coaching_helpers import OTHER_REP, REP, complete_session, finalised_session, person

pytestmark = pytest.mark.django_db


def plan(client, rep: Person, day: str, start: str = "10:00", minutes: str = "45"):
    """Post the plan-a-session form as a manager fills it in."""
    return client.post(
        f"/reps/{rep.pk}/sessions/new/",
        {"date": day, "start": start, "duration_minutes": minutes, "template": "1"},
    )


@pytest.fixture
def manager(client):
    melvin = person("Melvin Marxen")
    client.force_login(melvin)
    return melvin


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_lists_the_managers_own_reps_only(client, manager):
    response = client.get("/")
    names = [row["rep"].full_name for row in response.context["rows"]]

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.full_name FROM people_person p JOIN people_team t ON p.team_id = t.id "
            "WHERE t.manager_id = %s AND p.role = 'rep' ORDER BY p.full_name",
            [manager.pk],
        )
        expected = [row[0] for row in cursor.fetchall()]
    assert names == expected
    assert len(names) == 6
    assert OTHER_REP not in names


def test_home_shows_open_deals_and_overdue_actions(client, manager):
    finalised_session()  # Darcel: one action due after the session
    response = client.get("/")
    row = next(r for r in response.context["rows"] if r["rep"].full_name == REP)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM crm_opportunity o JOIN people_person p ON o.owner_id = p.id "
            "WHERE p.full_name = %s AND o.status = 'open'",
            [REP],
        )
        assert row["rep"].open_deals == cursor.fetchone()[0]
    assert row["rep"].last_session is not None


def test_home_costs_the_same_queries_however_many_sessions(client, manager):
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    finalised_session()
    complete_session(person(REP))
    with CaptureQueriesContext(connection) as after:
        client.get("/")

    assert len(after.captured_queries) == len(before.captured_queries)


def test_session_page_costs_the_same_queries_for_a_small_and_a_large_pipeline(
    client, manager
):
    counts = {}
    for name in ("Darcel Schlecht", "Niesha Huffines"):
        session = complete_session(person(name))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/sessions/{session.pk}/")
        assert response.status_code == 200
        counts[name] = (len(session.brief["open_deals"]), len(ctx.captured_queries))

    (big_deals, big_queries), (small_deals, small_queries) = counts.values()
    assert big_deals > small_deals
    assert big_queries == small_queries


def test_another_teams_manager_cannot_open_a_rep_or_session(client):
    session = complete_session(person(REP))
    client.force_login(person("Dustin Brinkmann"))

    assert client.get(f"/reps/{session.rep_id}/").status_code == 404
    assert client.get(f"/sessions/{session.pk}/").status_code == 404
    assert client.post(f"/sessions/{session.pk}/steps/pipeline/", {}).status_code == 404


def test_a_rep_sees_their_own_view_of_the_session_and_not_the_managers(client):
    session = complete_session(person(REP))
    session.private_notes = "Thinking about a performance plan."
    session.save(update_fields=["private_notes"])
    client.force_login(person(REP))
    page = client.get(f"/sessions/{session.pk}/")
    html = page.content.decode()

    assert page.status_code == 200
    assert "web/session_rep.html" in [t.name for t in page.templates]
    assert "performance plan" not in html
    assert f"/sessions/{session.pk}/steps/" not in html
    assert f"/sessions/{session.pk}/finalise/" not in html


def test_another_rep_cannot_open_the_session_page(client):
    session = complete_session(person(REP))
    client.force_login(person(OTHER_REP))

    assert client.get(f"/sessions/{session.pk}/").status_code == 404


def test_planning_a_session_freezes_the_brief_as_of_its_date(client, manager):
    rep = person("Gladys Colclough")
    response = plan(client, rep, "2017-12-20", "09:30", "30")
    session = Session.objects.get(rep=rep)

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    assert session.state == Session.State.PREPARED
    assert session.brief["as_of"] == "2017-12-20"
    assert sum(session.agenda.values_list("minutes", flat=True)) == 30


def test_a_refused_plan_keeps_what_was_typed(client, manager):
    rep = person("Gladys Colclough")
    response = plan(client, rep, "not a date", "09:30", "30")

    assert response.status_code == 400
    assert 'value="not a date"' in response.content.decode()
    assert not Session.objects.filter(rep=rep).exists()


def test_a_refused_step_keeps_what_was_typed(client, manager):
    session = complete_session(person(REP))
    skill = session.skills.get()
    response = client.post(
        f"/sessions/{session.pk}/steps/skill/",
        {
            "skill": skill.skill,
            "evidence_kind": "carrier pigeon",
            "evidence_what": "Typed by the manager",
        },
    )

    assert response.status_code == 400
    assert "Typed by the manager" in response.content.decode()
    skill.refresh_from_db()
    assert skill.evidence_what != "Typed by the manager"


def test_closing_is_refused_with_the_reason_in_the_page(client, manager):
    session = complete_session(person(REP))
    action = session.actions.get()
    action.owner = None
    action.save()

    response = client.post(
        f"/sessions/{session.pk}/steps/close/",
        {
            "summary": "Decisions",
            "follow_up_1": "One",
            "next_meeting": "2017-12-29T10:00",
            "close": "1",
        },
    )

    assert response.status_code == 400
    assert "Action 1 has no owner." in response.content.decode()
    session.refresh_from_db()
    assert session.state == Session.State.IN_PROGRESS


def test_a_finalised_session_refuses_changes_and_says_why(client, manager):
    session, _ = finalised_session()
    response = client.post(
        f"/sessions/{session.pk}/steps/pipeline/",
        {"pipeline_velocity": "changed later"},
        HTTP_REFERER=f"/sessions/{session.pk}/",
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.pipeline_velocity != "changed later"
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "it can no longer be changed" in page


def test_the_record_downloads_as_json_and_markdown(client, manager):
    _, record = finalised_session()

    as_json = client.get(f"/records/{record.pk}/download.json")
    payload = json.loads(as_json.content)
    assert as_json["Content-Type"] == "application/json"
    assert "attachment" in as_json["Content-Disposition"]
    assert payload["content_hash"] == Record.objects.get(pk=record.pk).content_hash
    assert payload["content"]["rep"] == REP

    as_md = client.get(f"/records/{record.pk}/download.md")
    assert as_md.content.decode().startswith(f"# Coaching record: {REP},")
    assert client.get(f"/records/{record.pk}/download.exe").status_code == 404


def test_an_amendment_sits_beside_the_unchanged_record(client, manager):
    _, record = finalised_session()
    content_before = record.content

    response = client.post(
        f"/records/{record.pk}/amend/",
        {
            "text": "The second action is owned by the manager.",
            "reason": "Typed the wrong owner",
        },
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.content == content_before
    page = client.get(f"/records/{record.pk}/").content.decode()
    assert "The second action is owned by the manager." in page
    assert "The content matches its hash." in page


def test_an_amendment_without_a_reason_is_refused(client, manager):
    _, record = finalised_session()
    response = client.post(
        f"/records/{record.pk}/amend/", {"text": "Correction", "reason": ""}
    )

    assert response.status_code == 400
    assert not record.amendments.exists()


def test_the_rep_page_shows_the_brief_as_of_the_data_date(client, manager):
    rep = person(REP)
    response = client.get(f"/reps/{rep.pk}/")

    assert response.status_code == 200
    assert response.context["brief"]["as_of"] == "2017-12-31"
    assert "Demo targets" in response.content.decode()


def test_a_superuser_created_on_the_command_line_is_an_admin(db):
    admin = Person.objects.create_superuser("ops", password="a-long-password-1")
    assert admin.role == Person.Role.ADMIN


def test_a_templates_own_deal_review_fields_are_asked_and_recorded(client, manager):
    session = complete_session(person(REP))
    session.template.deal_review_fields = ["Champion", "Economic buyer"]
    session.template.save()
    deal = session.brief["open_deals"][1]
    prefix = f"deal-{deal['id']}"

    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "Economic buyer" in page
    response = client.post(
        f"/sessions/{session.pk}/deals/{deal['id']}/",
        {
            f"{prefix}-next_step": "Demo on Monday",
            f"{prefix}-escalate": "false",
            f"{prefix}-extra_0": "Head of IT",
            f"{prefix}-extra_1": "CFO",
        },
    )

    assert response.status_code == 302
    review = session.deal_reviews.get(opportunity_id=deal["id"])
    assert review.extra == {"Champion": "Head of IT", "Economic buyer": "CFO"}
    assert review.over_cap is False
    assert review.risk_rank == 2


def test_reviewing_past_the_templates_cap_is_allowed_and_recorded(client, manager):
    session = complete_session(person(REP), deals=3)
    deal = session.brief["open_deals"][3]
    prefix = f"deal-{deal['id']}"

    response = client.post(
        f"/sessions/{session.pk}/deals/{deal['id']}/",
        {f"{prefix}-next_step": "Call", f"{prefix}-escalate": "false"},
    )

    assert response.status_code == 302
    assert session.deal_reviews.get(opportunity_id=deal["id"]).over_cap is True
    findings = client.get(f"/sessions/{session.pk}/").context["findings"]
    assert "too_many_deals" in [f.code for f in findings]


def test_earlier_actions_can_be_carried_forward_to_a_new_date(client, manager):
    first, _ = finalised_session()
    earlier = first.actions.get()
    second = complete_session(person(REP))
    second.dispositions.all().delete()

    page = client.get(f"/sessions/{second.pk}/")
    assert page.status_code == 200
    assert earlier.task in page.content.decode()

    prefix = f"disp-{earlier.pk}"
    too_early = client.post(
        f"/sessions/{second.pk}/earlier-actions/{earlier.pk}/",
        {f"{prefix}-outcome": "carried", f"{prefix}-new_due_date": "2017-11-01"},
    )
    assert too_early.status_code == 400
    assert "on or after this session" in too_early.content.decode()

    response = client.post(
        f"/sessions/{second.pk}/earlier-actions/{earlier.pk}/",
        {f"{prefix}-outcome": "carried", f"{prefix}-new_due_date": "2018-01-12"},
    )
    assert response.status_code == 302
    second.close(manager)
    second.finalise(manager)
    earlier.refresh_from_db()
    assert earlier.status == "open"
    assert str(earlier.due_date) == "2018-01-12"


def test_finalising_puts_the_agreed_next_meeting_in_the_diary(client, manager):
    session, _ = finalised_session()

    upcoming = Session.objects.get(rep=session.rep, state=Session.State.PLANNED)
    assert upcoming.scheduled_at == session.next_meeting_at
    row = next(
        r for r in client.get("/").context["rows"] if r["rep"].pk == session.rep_id
    )
    assert row["next_session"] == upcoming


def test_an_urgent_topic_can_be_removed_and_the_time_goes_back(client, manager):
    session = complete_session(person(REP))
    generated = dict(session.agenda.values_list("kind", "minutes"))
    client.post(
        f"/sessions/{session.pk}/agenda/urgent/",
        {"title": "Price approval", "minutes": "6"},
    )
    item = session.agenda.get(kind="urgent")
    assert (
        sum(session.agenda.values_list("minutes", flat=True))
        == session.duration_minutes
    )

    client.post(f"/sessions/{session.pk}/agenda/{item.pk}/delete/")

    assert not session.agenda.filter(kind="urgent").exists()
    assert dict(session.agenda.values_list("kind", "minutes")) == generated


def test_urgent_topics_cannot_take_more_than_half_the_session(client, manager):
    session = complete_session(person(REP))
    response = client.post(
        f"/sessions/{session.pk}/agenda/urgent/",
        {"title": "Everything", "minutes": "30"},
    )

    assert response.status_code == 400
    assert "Only 22 minutes are left for urgent topics" in response.content.decode()
    assert not session.agenda.filter(kind="urgent").exists()


# Input the product refuses, keeping what was typed ---------------------------


def test_a_session_cannot_be_planned_years_away(client, manager):
    rep = person("Gladys Colclough")
    response = plan(client, rep, "9999-12-25", "10:00", "45")

    assert response.status_code == 400
    assert "within a year of today" in response.content.decode()
    assert not Session.objects.filter(rep=rep).exists()
    assert client.get(f"/reps/{rep.pk}/sessions/new/").status_code == 200


@pytest.mark.parametrize(
    "step, data, message",
    [
        (
            "open",
            {"duration_minutes": "0", "expected_outcomes": "x"},
            "between 15 and 180",
        ),
        ("skill", {"skill": "Astrology"}, "from the template&#x27;s catalogue"),
        (
            "skill",
            {
                "skill": "Objection handling",
                "evidence_kind": "call",
                "evidence_date": "2099-01-01",
                "evidence_what": "x",
            },
            "on or before the session",
        ),
        ("development", {"topic": "Astrology"}, "from the template&#x27;s catalogue"),
        (
            "close",
            {"summary": "x", "next_meeting": "9999-12-31T23:59"},
            "within a year",
        ),
    ],
)
def test_a_step_refuses_values_outside_the_procedure(
    client, manager, step, data, message
):
    session = complete_session(person(REP))

    response = client.post(f"/sessions/{session.pk}/steps/{step}/", data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_empty_deal_review_is_refused(client, manager):
    session = complete_session(person(REP))
    deal = session.brief["open_deals"][1]

    response = client.post(f"/sessions/{session.pk}/deals/{deal['id']}/", {})

    assert response.status_code == 400
    assert "Say what the next step on this deal is." in response.content.decode()
    assert not session.deal_reviews.filter(opportunity_id=deal["id"]).exists()


def test_an_overdue_action_carried_forward_needs_a_new_date(client, manager):
    first, _ = finalised_session()
    earlier = first.actions.get()
    earlier.due_date = first.local_date
    earlier.save()
    second = complete_session(person(REP))
    second.dispositions.all().delete()
    prefix = f"disp-{earlier.pk}"

    response = client.post(
        f"/sessions/{second.pk}/earlier-actions/{earlier.pk}/",
        {f"{prefix}-outcome": "carried"},
    )

    assert response.status_code == 400
    assert "give it a new due date" in response.content.decode()


def test_an_action_settled_by_one_session_is_not_overwritten_by_another(manager):
    from coachbook.coaching.models import Disposition

    first, _ = finalised_session()
    earlier = first.actions.get()
    later = complete_session(person(REP))  # carries it forward
    other = complete_session(person(REP), day=later.local_date.replace(day=10), hour=9)
    Disposition.objects.filter(session=other, action=earlier).update(
        outcome="dropped", reason="No longer needed"
    )
    Disposition.objects.filter(session=later, action=earlier).update(outcome="done")

    later.close(manager)
    later.finalise(manager)
    other.close(manager)
    other.finalise(manager)

    earlier.refresh_from_db()
    assert earlier.status == "done"


def test_the_markdown_record_shows_html_as_text_and_cannot_forge_headings(
    client, manager
):
    session = complete_session(person(REP))
    session.summary = "<script>alert(1)</script>\n# Forged heading"
    session.save()
    session.close(manager)
    record = session.finalise(manager)

    text = client.get(f"/records/{record.pk}/download.md").content.decode()

    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "\n\\# Forged heading" in text
    assert "\n# Forged heading" not in text


def test_a_template_with_broken_settings_is_refused_by_its_own_checks(db):
    from django.core.exceptions import ValidationError

    from coachbook.coaching.models import Template

    template = Template.default()
    template.time_boxes = {"opening": "three"}
    template.compliance_checklist = [{"topic": "hazardous products"}]
    with pytest.raises(ValidationError) as refused:
        template.full_clean()

    assert set(refused.value.message_dict) == {"time_boxes", "compliance_checklist"}


def test_a_time_the_clocks_skip_is_refused(client, manager):
    manager.time_zone = "America/Chicago"
    manager.save()
    rep = person("Gladys Colclough")

    response = plan(client, rep, "2018-03-11", "02:30", "45")

    assert response.status_code == 400
    assert (
        "does not happen exactly once on that day in America/Chicago"
        in response.content.decode()
    )
    assert not Session.objects.filter(rep=rep).exists()


def test_the_brief_can_show_every_open_deal(client, manager):
    rep = person(REP)
    page = client.get(f"/reps/{rep.pk}/").content.decode()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT external_id FROM crm_opportunity WHERE owner_id = %s AND status = 'open'",
            [rep.pk],
        )
        open_ids = [row[0] for row in cursor.fetchall()]
    assert f"Show all {len(open_ids)} open deals" in page
    assert all(external_id in page for external_id in open_ids)


def test_sales_ops_are_pointed_to_the_data_pages(client):
    admin = Person.objects.create_superuser("ops", password="a-long-password-1")
    client.force_login(admin)

    page = client.get("/").content.decode()

    assert "Open data and settings" in page
