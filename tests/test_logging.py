"""Logs carry ids and counts, never names or coaching notes."""

import logging

import pytest

from coaching_helpers import REP, finalised_session

pytestmark = pytest.mark.django_db


def test_session_logs_name_no_person_and_quote_no_notes(caplog):
    with caplog.at_level(logging.INFO, logger="coachbook"):
        session, record = finalised_session()

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert f"session={session.pk}" in text
    assert "action=finalised" in text
    assert REP not in text
    assert session.manager.full_name not in text
    assert session.summary not in text
    assert session.skills.get().feedback not in text
