"""The usual protections: password hashing, login lockout, session expiry,
Content-Security-Policy and other headers, CSRF, and production mode refusing
settings that are only safe on a laptop."""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from coachbook.people.models import Person
from coaching_helpers import MANAGER, REP, complete_session, finalised_session, person

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in parts}


def log_in(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


@pytest.fixture
def melvin() -> Person:
    manager = person(MANAGER)
    manager.set_password(PASSWORD)
    manager.save()
    return manager


@pytest.fixture
def manager(client, melvin) -> Person:
    client.force_login(melvin)
    return melvin


# Passwords


def test_a_new_password_is_stored_as_an_argon2_hash():
    newcomer = Person(username="newcomer", full_name="New Comer")
    newcomer.set_password(PASSWORD)
    newcomer.save()

    stored = Person.objects.get(username="newcomer").password
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored


def test_an_old_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2(client, melvin):
    melvin.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    melvin.save()

    response = log_in(client, melvin.username, PASSWORD)

    assert response.status_code == 302
    assert Person.objects.get(pk=melvin.pk).password.startswith("argon2$")


@pytest.mark.parametrize(
    "password", ["short1", "password123", "12345678901234", "melvin.marxen"]
)
def test_weak_passwords_are_refused(melvin, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=melvin)


# Login lockout


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(client, melvin):
    for attempt in range(1, 5):
        response = log_in(client, melvin.username, f"wrong-{attempt}")
        assert response.status_code == 200
        assert "did not match" in response.content.decode()
    response = log_in(client, melvin.username, "wrong-5")
    assert response.status_code == 429

    response = log_in(client, melvin.username, PASSWORD)

    assert response.status_code == 429
    page = response.content.decode()
    assert "<h1>Logging in is paused</h1>" in page
    assert f"Too many attempts to log in as <strong>{melvin.username}</strong>" in page
    assert "Try again in 15 minutes." in page
    assert "ask sales ops" in page.lower()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(
        username=melvin.username, ip_address="127.0.0.1"
    )
    assert attempt.failures_since_start == 6
    assert directives(response["Content-Security-Policy"]) == CSP


def test_a_lockout_is_per_username_and_address(client, melvin):
    for attempt in range(5):
        log_in(client, melvin.username, f"wrong-{attempt}")
    other = person("Dustin Brinkmann")
    other.set_password(PASSWORD)
    other.save()

    assert log_in(client, other.username, PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert log_in(elsewhere, melvin.username, PASSWORD).status_code == 302


def test_a_successful_login_clears_earlier_failures(client, melvin):
    for attempt in range(4):
        log_in(client, melvin.username, f"wrong-{attempt}")
    assert log_in(client, melvin.username, PASSWORD).status_code == 302
    client.post("/logout/")

    for attempt in range(4):
        assert log_in(client, melvin.username, f"again-{attempt}").status_code == 200
    assert log_in(client, melvin.username, PASSWORD).status_code == 302


# Sessions


def test_a_login_lasts_the_configured_hours(client, melvin):
    response = log_in(client, melvin.username, PASSWORD)

    assert response.status_code == 302
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600
    assert response.cookies["sessionid"]["httponly"] is True
    assert client.session.get_expiry_age() == 12 * 3600


# Headers and inline content


def pages_to_check(client: Client) -> list[str]:
    session = complete_session(person(REP))
    _, record = finalised_session(person("Gladys Colclough"))
    return [
        "/",
        f"/reps/{session.rep_id}/",
        f"/reps/{session.rep_id}/sessions/new/",
        f"/sessions/{session.pk}/",
        f"/records/{record.pk}/",
    ]


def test_the_home_and_login_pages_carry_the_content_security_policy(client, melvin):
    login = client.get("/login/")
    client.force_login(melvin)
    home = client.get("/")

    for response in (login, home):
        assert response.status_code == 200
        assert directives(response["Content-Security-Policy"]) == CSP


def test_the_other_security_headers_are_sent(client, melvin):
    login = client.get("/login/")
    client.force_login(melvin)
    home = client.get("/")

    for response in (login, home):
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
    assert "Strict-Transport-Security" not in home  # only in production, over HTTPS


class InlineContent(HTMLParser):
    """What a strict Content-Security-Policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            if attributes.get("type") not in (
                "application/json",
                "application/ld+json",
            ):
                self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("<style> block")
        for name, value in attrs:
            if name == "style":
                self.blocked.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.blocked.append(f"{name} handler on <{tag}>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.blocked.append(f"javascript: URL on <{tag}>")


def inline_content(html: str) -> list[str]:
    parser = InlineContent()
    parser.feed(html)
    return parser.blocked


def test_no_page_has_inline_script_or_style(client, manager):
    for url in pages_to_check(client):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_content(response.content.decode()) == [], url
    home = client.get("/").content.decode()
    assert '"includeIndicatorStyles": false' in home  # htmx adds no <style> of its own


def test_the_login_and_lockout_pages_have_no_inline_script_or_style(client, melvin):
    assert inline_content(client.get("/login/").content.decode()) == []
    for attempt in range(5):
        locked = log_in(client, melvin.username, f"wrong-{attempt}")
    assert locked.status_code == 429
    assert inline_content(locked.content.decode()) == []


def test_the_admin_pages_have_no_inline_script_or_style(client):
    admin = Person.objects.create_superuser("ops", password="a-long-password-1")
    client.force_login(admin)

    for url in [
        "/admin/",
        "/admin/people/person/",
        f"/admin/people/person/{person(REP).pk}/change/",
        "/admin/axes/accessattempt/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response["Content-Security-Policy"]) == CSP
        assert inline_content(response.content.decode()) == [], url


# CSRF


class PostTargets(HTMLParser):
    """Every POST form, whether htmx sends it, and whether it carries a token."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.open: list[dict] = []
        self.body_headers: dict | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body" and attributes.get("hx-headers"):
            self.body_headers = json.loads(attributes["hx-headers"] or "{}")
        if tag == "form":
            form = {
                "post": (attributes.get("method") or "get").lower() == "post"
                or bool(attributes.get("hx-post")),
                "action": attributes.get("action") or attributes.get("hx-post"),
                "htmx": bool(attributes.get("hx-post")),
                "token": False,
            }
            self.forms.append(form)
            self.open.append(form)
        if tag == "input" and attributes.get("name") == "csrfmiddlewaretoken":
            if self.open and attributes.get("value"):
                self.open[-1]["token"] = True

    def handle_endtag(self, tag):
        if tag == "form" and self.open:
            self.open.pop()


def test_every_post_form_carries_a_csrf_token(client, manager):
    for url in pages_to_check(client)[:4]:
        parser = PostTargets()
        parser.feed(client.get(url).content.decode())

        assert parser.body_headers is not None, url
        assert len(parser.body_headers["X-CSRFToken"]) == 64, url
        posts = [f for f in parser.forms if f["post"]]
        assert posts, url
        # A plain form needs its own token; htmx requests send the body's header.
        assert [f["action"] for f in posts if not (f["token"] or f["htmx"])] == [], url


def test_a_post_without_the_csrf_token_is_refused(melvin):
    session = complete_session(person(REP))
    client = Client(enforce_csrf_checks=True)
    client.force_login(melvin)
    page = client.get(f"/sessions/{session.pk}/")
    parser = PostTargets()
    parser.feed(page.content.decode())
    url = f"/sessions/{session.pk}/steps/pipeline/"
    data = {"velocity": "Engaging deals sit too long."}

    assert client.post(url, data).status_code == 403
    assert client.post("/logout/").status_code == 403
    assert "_auth_user_id" in client.session

    token = parser.body_headers["X-CSRFToken"] if parser.body_headers else ""
    response = client.post(
        url, data, headers={"X-CSRFToken": token, "HX-Request": "true"}
    )
    assert response.status_code == 200


# Production mode


def start(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    """Start Django in a fresh process with only the given coachbook settings."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COACHBOOK_", "DATABASE_URL", "DJANGO_"))
    }
    clean.update(
        DJANGO_SETTINGS_MODULE="coachbook.settings",
        COACHBOOK_DATA_DIR=str(tmp_path / "data"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=clean,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


GOOD_KEY = secrets.token_urlsafe(50)
PRINT_SECURE = (
    "from django.conf import settings\n"
    "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
    "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "settings.SECURE_SSL_REDIRECT, settings.SECURE_PROXY_SSL_HEADER)"
)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"COACHBOOK_ALLOWED_HOSTS": "coach.example.com"}, "COACHBOOK_SECRET_KEY"),
        (
            {
                "COACHBOOK_SECRET_KEY": "insecure-local-only-key-change-me",
                "COACHBOOK_ALLOWED_HOSTS": "coach.example.com",
            },
            "COACHBOOK_SECRET_KEY",
        ),
        (
            {
                "COACHBOOK_SECRET_KEY": "x" * 49,
                "COACHBOOK_ALLOWED_HOSTS": "coach.example.com",
            },
            "COACHBOOK_SECRET_KEY",
        ),
        ({"COACHBOOK_SECRET_KEY": GOOD_KEY}, "COACHBOOK_ALLOWED_HOSTS"),
        (
            {
                "COACHBOOK_SECRET_KEY": GOOD_KEY,
                "COACHBOOK_ALLOWED_HOSTS": "coach.example.com",
                "COACHBOOK_DEBUG": "true",
            },
            "COACHBOOK_DEBUG",
        ),
    ],
    ids=["no key", "built-in key", "short key", "no hosts", "debug"],
)
def test_production_refuses_to_start_on_unsafe_settings(tmp_path, env, named):
    result = start(tmp_path, "", COACHBOOK_PRODUCTION="1", **env)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    others = {"COACHBOOK_SECRET_KEY", "COACHBOOK_ALLOWED_HOSTS", "COACHBOOK_DEBUG"}
    assert named in last_line
    assert [name for name in others - {named} if name in last_line] == []


def test_production_with_safe_settings_starts_with_secure_cookies_and_hsts(tmp_path):
    result = start(
        tmp_path,
        PRINT_SECURE,
        COACHBOOK_PRODUCTION="1",
        COACHBOOK_SECRET_KEY=GOOD_KEY,
        COACHBOOK_ALLOWED_HOSTS="coach.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "31536000", "True", "True", "None"]


def test_production_behind_a_proxy_can_leave_the_redirect_to_it(tmp_path):
    result = start(
        tmp_path,
        PRINT_SECURE,
        COACHBOOK_PRODUCTION="1",
        COACHBOOK_SECRET_KEY=GOOD_KEY,
        COACHBOOK_ALLOWED_HOSTS="coach.example.com",
        COACHBOOK_SSL_REDIRECT="false",
        COACHBOOK_BEHIND_PROXY="true",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True 31536000 True False ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_the_demo_needs_no_settings_and_serves_plain_http(tmp_path):
    result = start(tmp_path, PRINT_SECURE)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "0", "False", "False", "None"]
