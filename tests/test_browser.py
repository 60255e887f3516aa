"""A manager runs a whole one-on-one in a real Chromium, from login to download."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from coachbook.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("COACHBOOK_CHROMIUM", "/usr/bin/chromium")
# A busy CI machine can take longer than Playwright's 5 s to answer a save.
expect.set_options(timeout=15_000)
# The machine has no internet: keep Chromium from trying to reach it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "a-long-test-password"


@pytest.fixture
def page(live_server):
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # the test makes around it are ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1366, "height": 900}
        )
        page = context.new_page()
        # Chromium logs every Content-Security-Policy violation to the console.
        csp_violations = []
        page.on(
            "console",
            lambda m: (
                csp_violations.append(m.text)
                if "Content Security Policy" in m.text
                else None
            ),
        )
        external = []
        page.on(
            "request",
            lambda r: (
                external.append(r.url)
                if not r.url.startswith(live_server.url)
                else None
            ),
        )
        page.base_url = live_server.url
        yield page
        browser.close()
    assert external == [], f"the page asked for outside resources: {external}"
    assert csp_violations == [], (
        f"the Content-Security-Policy blocked: {csp_violations}"
    )


def step(page: Page, name: str):
    return page.locator(f"#step-{name}")


def log_in(page: Page, person: Person) -> None:
    """Log in through the form, with the keyboard, and land on the home page."""
    person.set_password(PASSWORD)
    person.save()
    page.goto(page.base_url + "/login/")
    page.fill("#id_username", person.username)
    page.fill("#id_password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="My reps")).to_be_visible()


def test_a_manager_runs_and_finalises_a_whole_session(
    page: Page, real_data, tmp_path: Path
):
    # Log in and plan a session with a rep from the home page.
    log_in(page, Person.objects.get(full_name="Melvin Marxen"))
    page.get_by_role("row", name="Darcel Schlecht").get_by_role(
        "link", name="Plan a session"
    ).click()
    page.fill("#id_date", "2017-12-29")
    page.get_by_role("button", name="Plan and prepare the brief").click()
    expect(
        page.get_by_role("heading", name="One-on-one with Darcel Schlecht")
    ).to_be_visible()
    expect(step(page, "brief")).to_contain_text("Win rate, 90 days")
    expect(step(page, "agenda")).to_contain_text("45 of 45")

    # Step 2: the rep's urgent topic keeps the time boxes inside the time available.
    agenda = step(page, "agenda")
    agenda.get_by_label("Urgent topic").fill("Pricing approval for a large order")
    agenda.get_by_role("button", name="Add urgent topic").click()
    expect(step(page, "agenda")).to_contain_text("Pricing approval for a large order")
    expect(step(page, "agenda")).to_contain_text("45 of 45")

    # Step 3: open.
    opening = step(page, "open")
    opening.get_by_label("What we want out of today").fill(
        "A plan for the oldest deals."
    )
    opening.get_by_role("button", name="Open the session").click()
    expect(step(page, "open")).to_contain_text("Opened: 45 minutes confirmed.")

    # Step 4: review the riskiest deal and decide on escalation.
    deal = step(page, "deals").locator("details.deal").first
    deal.get_by_label("Next step").fill("Call the buyer on Tuesday")
    deal.get_by_label("Customer's decision process").fill("CFO signs off above 5k")
    deal.get_by_label("Blockers or risks").fill("No named buyer")
    deal.get_by_label("Support needed from the manager").fill("Introduce our VP")
    deal.get_by_label("Close-date confidence").select_option("low")
    deal.get_by_label("Escalate?").select_option("false")
    deal.get_by_role("button", name="Save review").click()
    expect(step(page, "deals")).to_contain_text("1 reviewed")

    # Step 5: pipeline.
    pipeline = step(page, "pipeline")
    pipeline.get_by_label("Stage velocity").fill("Engaging deals sit too long.")
    pipeline.get_by_role("button", name="Save pipeline review").click()
    expect(step(page, "pipeline").get_by_label("Stage velocity")).to_have_value(
        "Engaging deals sit too long."
    )

    # Step 6: one skill with evidence.
    skill = step(page, "skill")
    skill.get_by_label("Evidence: what kind").select_option("call")
    skill.get_by_label("Evidence: when").fill("2017-12-20")
    skill.get_by_label("Evidence: where to find it").fill("Call recording, 20 Dec")
    skill.get_by_label("Evidence: what was observed").fill(
        "Ended the call without a date for the next meeting."
    )
    skill.get_by_label("Specific feedback").fill(
        "Ask for the next meeting before you hang up."
    )
    skill.get_by_label("One practice action").fill(
        "Role-play three call endings on Friday."
    )
    skill.get_by_role("button", name="Save skill coaching").click()
    expect(step(page, "skill").get_by_label("Specific feedback")).to_have_value(
        "Ask for the next meeting before you hang up."
    )

    # Step 9 too early: closing is refused while a step is missing, with the reason.
    close = step(page, "close")
    close.get_by_label("Key decisions").fill("Focus on next steps for old deals.")
    close.get_by_label("Top follow-up 1").fill("Mutual action plan to the buyer")
    close.get_by_role("button", name="Close the session").click()
    expect(step(page, "close").get_by_role("alert")).to_contain_text(
        "Discuss exactly one development topic"
    )
    expect(page.locator("#state")).to_have_text("In progress")
    expect(step(page, "close").get_by_label("Key decisions")).to_have_value(
        "Focus on next steps for old deals."
    )

    # Step 7: development.
    development = step(page, "development")
    development.get_by_label("Topic").select_option("Territory planning")
    development.get_by_label("Growth-plan goal").fill("Run a territory plan for Q1.")
    development.get_by_role("button", name="Save development topic").click()
    expect(step(page, "development")).to_contain_text("Saved")

    # Step 8: an action without an owner is refused, and what was typed stays.
    new = step(page, "actions").locator("form.new-action")
    new.get_by_label("Task").fill("Send the mutual action plan")
    new.get_by_label("Due date").fill("2018-01-05")
    new.get_by_label("Expected result").fill("Buyer agrees to the plan")
    new.get_by_label("Escalation point if blocked").fill("Melvin, by 8 Jan")
    new.get_by_role("button", name="Add action").click()
    new = step(page, "actions").locator("form.new-action")
    expect(new.get_by_role("alert")).to_have_text("Choose who owns this action.")
    expect(new.get_by_label("Task")).to_have_value("Send the mutual action plan")
    expect(step(page, "actions").locator("details.action")).to_have_count(0)
    new.get_by_label("Owner").select_option(label="Darcel Schlecht")
    new.get_by_role("button", name="Add action").click()
    expect(step(page, "actions").locator("details.action")).to_have_count(1)

    # Step 9: close.
    step(page, "close").get_by_role("button", name="Close the session").click()
    expect(page.locator("#state")).to_have_text("Closed")

    # Step 10: finalise and download the record.
    page.get_by_role("button", name="Finalise the record").click()
    expect(
        page.get_by_role(
            "heading", name="Coaching record: Darcel Schlecht, 29 Dec 2017"
        )
    ).to_be_visible()
    expect(page.get_by_text("The content matches its hash.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Markdown").click()
    path = tmp_path / "record.md"
    download_info.value.save_as(path)
    text = path.read_text()
    assert "# Coaching record: Darcel Schlecht, 29 Dec 2017" in text
    assert (
        "1. Send the mutual action plan\n   - Owner: Darcel Schlecht\n   - Due: 5 Jan 2018\n"
        in text
    )
    assert "Ask for the next meeting before you hang up." in text


def test_the_session_timer_starts_pauses_and_survives_a_reload(page: Page, real_data):
    from coaching_helpers import complete_session, person

    session = complete_session(person("Darcel Schlecht"))
    log_in(page, session.manager)
    page.goto(f"{page.base_url}/sessions/{session.pk}/")

    timer = page.locator(".timer")
    timer.get_by_role("button", name="Start timer").click()
    expect(timer.locator(".timer-clock")).not_to_have_text("00:00", timeout=3000)
    timer.get_by_role("button", name="Pause").click()
    paused = timer.locator(".timer-clock").inner_text()
    page.wait_for_timeout(1200)
    expect(timer.locator(".timer-clock")).to_have_text(paused)

    page.reload()
    expect(page.locator(".timer .timer-clock")).to_have_text(paused)
    expect(page.locator(".timer").get_by_role("button", name="Resume")).to_be_visible()
