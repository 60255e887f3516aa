"""System checks warn about settings that are only safe on a laptop."""

from django.core.checks import run_checks
from django.test import override_settings

from coachbook.web.checks import DEFAULT_KEY


def ids() -> set[str]:
    return {message.id for message in run_checks()}


def test_local_defaults_raise_no_warning():
    with override_settings(
        SECRET_KEY=DEFAULT_KEY, ALLOWED_HOSTS=["localhost"], DEBUG=True
    ):
        assert not {"coachbook.W001", "coachbook.W002"} & ids()


def test_the_built_in_key_on_a_public_host_is_flagged():
    with override_settings(SECRET_KEY=DEFAULT_KEY, ALLOWED_HOSTS=["coach.example.com"]):
        assert "coachbook.W001" in ids()


def test_debug_on_a_public_host_is_flagged():
    with override_settings(
        SECRET_KEY="x" * 50, ALLOWED_HOSTS=["coach.example.com"], DEBUG=True
    ):
        assert ids() & {"coachbook.W001", "coachbook.W002"} == {"coachbook.W002"}
