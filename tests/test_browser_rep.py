"""A rep prepares and follows through in a real Chromium; the manager verifies."""

import pytest
from playwright.sync_api import Page, expect

from coachbook.coaching.models import Action, AgendaItem, Session
from coachbook.people.models import Person
from coaching_helpers import MANAGER, OTHER_REP, REP, finalised_session, person
from test_browser import PASSWORD, page  # noqa: F401  (the Chromium page fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(tab: Page, who: Person, heading: str) -> None:
    who.set_password(PASSWORD)
    who.save()
    tab.goto(tab.base_url + "/login/")  # type: ignore[attr-defined]
    tab.fill("#id_username", who.username)
    tab.fill("#id_password", PASSWORD)
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("heading", name=heading, exact=True)).to_be_visible()


def test_a_rep_prepares_marks_an_action_done_and_the_manager_verifies_it(
    page: Page,  # noqa: F811
    real_data,
):
    rep, manager = person(REP), person(MANAGER)
    finalised_session(rep)
    upcoming = Session.objects.get(rep=rep, state=Session.State.PLANNED)
    upcoming.prepare(manager)
    others = Session.objects.plan(
        person(OTHER_REP).manager, person(OTHER_REP), upcoming.scheduled_at
    )
    action = Action.objects.get(rep=rep, session__state=Session.State.FINALISED)

    log_in(page, rep, "My coaching")
    page.get_by_role("link", name=f"Fri 15 Dec 2017, 10:00 with {MANAGER}").click()
    page.fill("#id_title", "Discount approval for the Q1 renewal")
    page.fill("#id_minutes", "5")
    page.get_by_role("button", name="Add an urgent topic").click()
    expect(page.get_by_text("Topic added to the agenda")).to_be_visible()
    expect(page.locator("#agenda")).to_contain_text(
        "Discount approval for the Q1 renewal"
    )

    # Editing the URL to another rep's session finds nothing.
    response = page.goto(f"{page.base_url}/sessions/{others.pk}/")
    assert response is not None and response.status == 404

    page.goto(page.base_url + "/")
    row = page.locator(f"#action-{action.pk}")
    row.get_by_label("What did you do?").fill(
        "Booked dated next steps on all four deals."
    )
    row.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Marked done.")).to_be_visible()
    expect(page.locator(f"#action-{action.pk}")).to_contain_text(
        "Waiting for your manager to verify"
    )
    page.get_by_role("button", name="Log out").click()

    log_in(page, manager, "My reps")
    page.get_by_role("link", name=REP, exact=True).click()
    row = page.locator(f"#action-{action.pk}")
    expect(row).to_contain_text("Booked dated next steps on all four deals.")
    row.get_by_label("Verified: it is done").check()
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Action verified as done.")).to_be_visible()
    expect(page.locator(f"#action-{action.pk}")).to_contain_text(
        f"verified by {MANAGER}"
    )

    action.refresh_from_db()
    assert (action.status, action.verified_by_id) == ("done", manager.pk)
    topic = AgendaItem.objects.get(session=upcoming, kind="urgent")
    assert topic.added_by_id == rep.pk
