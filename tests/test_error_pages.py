"""Refusals speak plainly and keep the page's frame."""

from django.test import Client

from coaching_helpers import OTHER_REP, REP, complete_session, person


def test_a_hidden_page_and_a_read_only_change_explain_themselves(db):
    session = complete_session(person(REP))
    stranger, owner = Client(), Client()
    stranger.force_login(person(OTHER_REP))
    owner.force_login(person(REP))

    hidden = stranger.get(f"/sessions/{session.pk}/")
    refused = owner.post(f"/sessions/{session.pk}/finalise/")

    assert hidden.status_code == 404
    assert "belongs to someone whose coaching you don't see" in hidden.content.decode()
    assert refused.status_code == 403
    assert "You can read this but not change it." in refused.content.decode()


def test_a_form_without_its_token_is_refused_with_a_plain_page(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(person(REP))

    response = client.post("/logout/")

    assert response.status_code == 403
    assert "This page expired" in response.content.decode()
