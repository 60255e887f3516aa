"""The live connectors, run with the real client libraries against recorded exchanges.

Salesforce goes through requests, answered by `responses` (an unmatched request
is refused and fails the test); HubSpot goes through urllib3 to a local server
that answers from the recordings. Nothing leaves this computer. See
tests/http_recordings.py and tests/fixtures/http/.
"""

from __future__ import annotations

import hashlib
import logging
import re
import socket
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from coachbook.crm.connectors import ConnectorError, Source
from coachbook.crm.connectors.hubspot import HubSpotSource
from coachbook.crm.connectors.salesforce import SalesforceSource
from http_recordings import hubspot_replay, salesforce_replay

SF_VARIABLES = [
    "COACHBOOK_SALESFORCE_USERNAME",
    "COACHBOOK_SALESFORCE_PASSWORD",
    "COACHBOOK_SALESFORCE_TOKEN",
    "COACHBOOK_SALESFORCE_DOMAIN",
    "COACHBOOK_SALESFORCE_INSTANCE_URL",
    "COACHBOOK_SALESFORCE_SESSION_ID",
]
SF_USER = "integration@example.com"
SF_PASSWORD = "fake-password-not-real"
SF_TOKEN = "FAKESECURITYTOKEN"
SF_SESSION = "00D000000000001!FAKE.SESSION.FROM.ENVIRONMENT"
SF_LOGIN_SESSION = "00D000000000001!FAKE.SESSION.FROM.LOGIN"
SF_INSTANCE = "https://example-co.my.salesforce.com"
HS_TOKEN = "pat-na1-00000000-0000-4000-8000-fake-token"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@pytest.fixture(autouse=True)
def no_crm_credentials(monkeypatch):
    """Each test starts with no CRM variables set, whatever the machine has."""
    for name in [*SF_VARIABLES, "COACHBOOK_HUBSPOT_TOKEN"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def password_login(monkeypatch):
    monkeypatch.setenv("COACHBOOK_SALESFORCE_USERNAME", SF_USER)
    monkeypatch.setenv("COACHBOOK_SALESFORCE_PASSWORD", SF_PASSWORD)
    monkeypatch.setenv("COACHBOOK_SALESFORCE_TOKEN", SF_TOKEN)


@pytest.fixture
def session_login(monkeypatch):
    monkeypatch.setenv("COACHBOOK_SALESFORCE_INSTANCE_URL", SF_INSTANCE)
    monkeypatch.setenv("COACHBOOK_SALESFORCE_SESSION_ID", SF_SESSION)


@pytest.fixture
def hubspot_token(monkeypatch):
    monkeypatch.setenv("COACHBOOK_HUBSPOT_TOKEN", HS_TOKEN)


def soql_of(call) -> str:
    return parse_qs(urlsplit(call.request.url).query)["q"][0]


# Salesforce -----------------------------------------------------------------

USERS = [
    {
        "Id": "005000000000001AAA",
        "Name": "Example Rep One",
        "Email": "rep.one@example.com",
        "ManagerId": "005000000000003AAA",
        "IsActive": "true",
        "TimeZoneSidKey": "America/Chicago",
        "UserRoleId": "00E000000000001EAA",
    },
    {
        "Id": "005000000000002AAA",
        "Name": "Example Rep Two",
        "Email": "rep.two@example.com",
        "ManagerId": "005000000000003AAA",
        "IsActive": "false",
        "TimeZoneSidKey": "America/New_York",
        "UserRoleId": "00E000000000001EAA",
    },
    {
        "Id": "005000000000003AAA",
        "Name": "Example Manager",
        "Email": "manager@example.com",
        "ManagerId": "",
        "IsActive": "true",
        "TimeZoneSidKey": "America/Chicago",
        "UserRoleId": "",
    },
]
ACCOUNTS = [
    {
        "Id": "001000000000001AAA",
        "Name": "Example Co",
        "Industry": "Technology",
        "ParentId": "",
        "NumberOfEmployees": "250",
        "OwnerId": "005000000000001AAA",
    },
    {
        "Id": "001000000000002AAA",
        "Name": "Example Co Subsidiary",
        "Industry": "",
        "ParentId": "001000000000001AAA",
        "NumberOfEmployees": "",
        "OwnerId": "005000000000002AAA",
    },
]
OPPORTUNITIES = [
    {
        "Id": "006000000000001AAA",
        "Name": "Example Co - Platform",
        "AccountId": "001000000000001AAA",
        "OwnerId": "005000000000001AAA",
        "StageName": "Negotiation/Review",
        "Amount": "15000",
        "Probability": "90",
        "CloseDate": "2024-03-31",
        "NextStep": "Send the order form",
        "CreatedDate": "2024-01-08T14:05:00.000Z",
        "IsClosed": "false",
        "IsWon": "false",
        "ForecastCategoryName": "Commit",
        "SystemModstamp": "2024-03-02T16:45:12.000Z",
    },
    {
        "Id": "006000000000002AAA",
        "Name": "Example Co - Support Plan",
        "AccountId": "001000000000002AAA",
        "OwnerId": "005000000000002AAA",
        "StageName": "Closed Won",
        "Amount": "1054.5",
        "Probability": "100",
        "CloseDate": "2024-02-15",
        "NextStep": "",
        "CreatedDate": "2023-11-20T09:00:00.000Z",
        "IsClosed": "true",
        "IsWon": "true",
        "ForecastCategoryName": "Closed",
        "SystemModstamp": "2024-02-15T17:30:00.000Z",
    },
    {
        "Id": "006000000000003AAA",
        "Name": "Example Co - Pilot",
        "AccountId": "",
        "OwnerId": "005000000000001AAA",
        "StageName": "Prospecting",
        "Amount": "",
        "Probability": "10",
        "CloseDate": "2024-06-30",
        "NextStep": "Find the budget holder",
        "CreatedDate": "2024-03-05T08:15:30.250Z",
        "IsClosed": "false",
        "IsWon": "false",
        "ForecastCategoryName": "Pipeline",
        "SystemModstamp": "2024-03-05T08:15:30.250Z",
    },
]
HISTORY = [
    {
        "Id": "008000000000001AAA",
        "OpportunityId": "006000000000001AAA",
        "StageName": "Prospecting",
        "Amount": "12000",
        "CloseDate": "2024-03-31",
        "Probability": "10",
        "CreatedDate": "2024-01-08T14:05:00.000Z",
        "SystemModstamp": "2024-01-08T14:05:00.000Z",
    },
    {
        "Id": "008000000000002AAA",
        "OpportunityId": "006000000000001AAA",
        "StageName": "Negotiation/Review",
        "Amount": "15000",
        "CloseDate": "2024-03-31",
        "Probability": "90",
        "CreatedDate": "2024-03-02T16:45:12.000Z",
        "SystemModstamp": "2024-03-02T16:45:12.000Z",
    },
    {
        "Id": "008000000000003AAA",
        "OpportunityId": "006000000000002AAA",
        "StageName": "Closed Won",
        "Amount": "1054.5",
        "CloseDate": "2024-02-15",
        "Probability": "100",
        "CreatedDate": "2024-02-15T17:30:00.000Z",
        "SystemModstamp": "2024-02-15T17:30:00.000Z",
    },
]
TASKS = [
    {
        "Id": "00T000000000001EAA",
        "OwnerId": "005000000000001AAA",
        "WhatId": "006000000000001AAA",
        "WhoId": "003000000000001AAA",
        "Subject": "Call about the order form",
        "TaskSubtype": "Call",
        "Type": "Call",
        "ActivityDate": "2024-03-01",
        "CreatedDate": "2024-03-01T15:00:00.000Z",
        "Status": "Completed",
        "SystemModstamp": "2024-03-01T15:20:00.000Z",
    },
    {
        "Id": "00T000000000002EAA",
        "OwnerId": "005000000000002AAA",
        "WhatId": "",
        "WhoId": "",
        "Subject": "Send the pricing email",
        "TaskSubtype": "Email",
        "Type": "",
        "ActivityDate": "",
        "CreatedDate": "2024-02-10T10:00:00.000Z",
        "Status": "Not Started",
        "SystemModstamp": "2024-02-10T10:00:00.000Z",
    },
]
EVENTS = [
    {
        "Id": "00U000000000001EAA",
        "OwnerId": "005000000000001AAA",
        "WhatId": "006000000000001AAA",
        "Subject": "Example Co demo",
        "Type": "Meeting",
        "ActivityDateTime": "2024-02-20T16:00:00.000Z",
        "DurationInMinutes": "60",
        "CreatedDate": "2024-02-12T11:30:00.000Z",
        "SystemModstamp": "2024-02-20T17:05:00.000Z",
    }
]


def rows_of(source, obj: str) -> list[dict[str, str]]:
    found = source.rows(obj)
    assert found is not None, f"{obj} is not in {source.objects()}"
    numbered = list(found)
    assert [n for n, _ in numbered] == list(range(1, len(numbered) + 1))
    return [row for _, row in numbered]


def test_salesforce_logs_in_and_reads_every_object(password_login):
    with salesforce_replay(
        "login",
        "users",
        "accounts",
        "describe_opportunity",
        "opportunities",
        "opportunity_history",
        "tasks",
        "events",
    ) as mock:
        source = SalesforceSource(retry_delay=0)
        assert source.label == "salesforce api https://example-co.my.salesforce.com"
        assert source.objects() == [
            "User",
            "Account",
            "Opportunity",
            "OpportunityHistory",
            "Task",
            "Event",
        ]

        assert rows_of(source, "User") == USERS
        assert rows_of(source, "Account") == ACCOUNTS
        assert rows_of(source, "Opportunity") == OPPORTUNITIES
        assert rows_of(source, "OpportunityHistory") == HISTORY
        assert rows_of(source, "Task") == TASKS
        assert rows_of(source, "Event") == EVENTS
        assert source.rows("Lead") is None

    login = mock.calls[0].request
    assert login.url == "https://login.salesforce.com/services/Soap/u/59.0"
    body = login.body.decode() if isinstance(login.body, bytes) else login.body
    assert f"<n1:username>{SF_USER}</n1:username>" in body
    assert f"<n1:password>{SF_PASSWORD}{SF_TOKEN}</n1:password>" in body
    api_calls = mock.calls[1:]
    assert [urlsplit(c.request.url).path for c in api_calls] == [
        "/services/data/v59.0/query/",
        "/services/data/v59.0/query/",
        "/services/data/v59.0/sobjects/Opportunity/describe",
        "/services/data/v59.0/query/",
        "/services/data/v59.0/query/0r8000000000001AAA-2",
        "/services/data/v59.0/query/",
        # Tasks and events through queryAll, which also returns archived ones.
        "/services/data/v59.0/queryAll/",
        "/services/data/v59.0/queryAll/",
    ]
    assert {c.request.headers["Authorization"] for c in api_calls} == {
        f"Bearer {SF_LOGIN_SESSION}"
    }
    # One currency in this org: no CurrencyIsoCode asked for.
    assert soql_of(api_calls[3]) == (
        "SELECT Id, Name, AccountId, OwnerId, StageName, Amount, Probability, "
        "CloseDate, NextStep, CreatedDate, IsClosed, IsWon, ForecastCategoryName, "
        "SystemModstamp FROM Opportunity"
    )
    assert source.retries == 0
    assert source.watermark() == datetime(2024, 3, 5, 8, 15, 30, 250000, tzinfo=UTC)
    assert source.watermark("Task") == datetime(2024, 3, 1, 15, 20, tzinfo=UTC)
    assert source.watermark("User") is None  # User does not select SystemModstamp


def test_salesforce_multi_currency_org_reads_the_currency(session_login):
    with salesforce_replay(
        "describe_opportunity_multicurrency", "opportunity_multicurrency"
    ) as mock:
        source = SalesforceSource(retry_delay=0)
        rows = rows_of(source, "opportunity")  # the importer's name for it works too

    assert source.label == "salesforce api https://example-co.my.salesforce.com"
    assert rows == [
        {
            **OPPORTUNITIES[1],
            "CurrencyIsoCode": "EUR",
        }
    ]
    assert list(rows[0])[5:8] == ["Amount", "CurrencyIsoCode", "Probability"]
    assert "Amount, CurrencyIsoCode, Probability" in soql_of(mock.calls[1])
    assert mock.calls[1].request.headers["Authorization"] == f"Bearer {SF_SESSION}"


def test_salesforce_incremental_read_sends_the_system_modstamp_filter(
    session_login, caplog
):
    since = datetime(2024, 3, 1, 9, 30, 15, 500000, tzinfo=UTC)
    with salesforce_replay("describe_opportunity", "opportunity_since") as mock:
        source = SalesforceSource(since=since, retry_delay=0)
        with caplog.at_level(logging.INFO, logger="coachbook.connectors"):
            rows = rows_of(source, "Opportunity")

    assert soql_of(mock.calls[1]) == (
        "SELECT Id, Name, AccountId, OwnerId, StageName, Amount, Probability, "
        "CloseDate, NextStep, CreatedDate, IsClosed, IsWon, ForecastCategoryName, "
        "SystemModstamp FROM Opportunity WHERE SystemModstamp > 2024-03-01T09:30:15Z"
    )
    assert rows == [OPPORTUNITIES[0], OPPORTUNITIES[2]]
    assert source.watermark() == datetime(2024, 3, 5, 8, 15, 30, 250000, tzinfo=UTC)
    assert source.watermark("Task") == since  # nothing read: it stays where it was
    assert caplog.messages == [
        "salesforce object=Opportunity rows=2 since=2024-03-01T09:30:15.500Z "
        "watermark=2024-03-05T08:15:30.250Z"
    ]


def test_salesforce_waits_out_the_request_limit_and_reads_on(session_login, caplog):
    sleeps: list[float] = []
    with salesforce_replay(
        "describe_opportunity", "request_limit_exceeded", "opportunities"
    ) as mock:
        source = SalesforceSource(retry_delay=1.5, sleep=sleeps.append)
        with caplog.at_level(logging.INFO, logger="coachbook.connectors"):
            rows = rows_of(source, "Opportunity")

    assert rows == OPPORTUNITIES
    assert source.retries == 1
    assert sleeps == [1.5]
    # The second page was asked for twice; the query did not start over.
    assert [c.response.status_code for c in mock.calls] == [200, 200, 403, 200]
    assert mock.calls[2].request.url == mock.calls[3].request.url
    assert (
        "salesforce busy host=example-co.my.salesforce.com "
        "reason=REQUEST_LIMIT_EXCEEDED retry=1/4 wait=1.5s"
    ) in caplog.messages


def test_salesforce_gives_up_after_four_retries(session_login):
    sleeps: list[float] = []
    with salesforce_replay("unavailable") as mock:
        source = SalesforceSource(retry_delay=1, sleep=sleeps.append)
        with pytest.raises(ConnectorError) as refused:
            rows_of(source, "User")

    assert str(refused.value) == (
        "Salesforce at example-co.my.salesforce.com was unavailable (HTTP 503) and "
        "still was after 4 retries. Try again later; status.salesforce.com lists "
        "known outages."
    )
    assert len(mock.calls) == 5
    assert source.retries == 4
    assert sleeps == [1, 2, 4, 8]


def test_salesforce_expired_session_is_a_plain_error(session_login):
    with salesforce_replay("session_expired"):
        source = SalesforceSource(retry_delay=0)
        with pytest.raises(ConnectorError) as refused:
            rows_of(source, "User")

    assert str(refused.value) == (
        "Salesforce refused the session in COACHBOOK_SALESFORCE_SESSION_ID for "
        "https://example-co.my.salesforce.com: it has expired or was logged out. "
        "Get a new session id, or set COACHBOOK_SALESFORCE_USERNAME, "
        "COACHBOOK_SALESFORCE_PASSWORD and COACHBOOK_SALESFORCE_TOKEN so coachbook "
        "logs in by itself. Salesforce said: INVALID_SESSION_ID: Session expired or "
        "invalid"
    )
    assert SF_SESSION not in str(refused.value)


def test_salesforce_refused_login_names_the_user_and_what_to_check(password_login):
    with salesforce_replay("login_refused"):
        with pytest.raises(ConnectorError) as refused:
            SalesforceSource(retry_delay=0)

    message = str(refused.value)
    assert message == (
        "Salesforce refused the login for integration@example.com: check "
        "COACHBOOK_SALESFORCE_PASSWORD and the security token in "
        "COACHBOOK_SALESFORCE_TOKEN (Salesforce emails a new token whenever the "
        "password is reset), and that COACHBOOK_SALESFORCE_DOMAIN is login for "
        "production or test for a sandbox. Salesforce said: INVALID_LOGIN: Invalid "
        "username, password, security token; or user locked out."
    )
    assert SF_PASSWORD not in message and SF_TOKEN not in message


def test_salesforce_without_network_says_so(password_login, monkeypatch):
    monkeypatch.setenv("COACHBOOK_SALESFORCE_DOMAIN", "test")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add(
            responses.POST,
            "https://test.salesforce.com/services/Soap/u/59.0",
            body=requests.ConnectionError(
                "Failed to resolve 'test.salesforce.com' ([Errno -3] Temporary "
                "failure in name resolution)"
            ),
        )
        with pytest.raises(ConnectorError) as refused:
            SalesforceSource(retry_delay=0)

    assert str(refused.value) == (
        "coachbook could not reach test.salesforce.com: check this computer's "
        "network connection, and the proxy settings (HTTPS_PROXY) if it needs a "
        "proxy to reach the internet."
    )


def test_salesforce_says_which_credentials_are_missing(monkeypatch):
    with pytest.raises(ConnectorError) as refused:
        SalesforceSource()
    assert str(refused.value) == (
        "No Salesforce credentials: set COACHBOOK_SALESFORCE_USERNAME, "
        "COACHBOOK_SALESFORCE_PASSWORD and COACHBOOK_SALESFORCE_TOKEN (and "
        "COACHBOOK_SALESFORCE_DOMAIN=test for a sandbox), or "
        "COACHBOOK_SALESFORCE_INSTANCE_URL and COACHBOOK_SALESFORCE_SESSION_ID."
    )

    monkeypatch.setenv("COACHBOOK_SALESFORCE_USERNAME", SF_USER)
    with pytest.raises(ConnectorError) as refused:
        SalesforceSource()
    assert str(refused.value).startswith(
        "Salesforce login is incomplete: set COACHBOOK_SALESFORCE_PASSWORD and "
        "COACHBOOK_SALESFORCE_TOKEN as well"
    )

    monkeypatch.delenv("COACHBOOK_SALESFORCE_USERNAME")
    monkeypatch.setenv("COACHBOOK_SALESFORCE_INSTANCE_URL", SF_INSTANCE)
    with pytest.raises(ConnectorError) as refused:
        SalesforceSource()
    assert str(refused.value) == (
        "Salesforce session is incomplete: set COACHBOOK_SALESFORCE_SESSION_ID as "
        "well (COACHBOOK_SALESFORCE_INSTANCE_URL and COACHBOOK_SALESFORCE_SESSION_ID "
        "go together)."
    )


def test_salesforce_checksum_grows_as_rows_stream_and_repeats(session_login):
    with salesforce_replay("users", "users"):
        first = SalesforceSource(retry_delay=0)
        assert first.checksum() == EMPTY_SHA256
        rows = first.rows("User")
        assert rows is not None
        next(rows)
        after_one = first.checksum()
        list(rows)
        after_all = first.checksum()

        second = SalesforceSource(retry_delay=0)
        rows_of(second, "User")

    assert len({EMPTY_SHA256, after_one, after_all}) == 3
    assert second.checksum() == after_all


def test_salesforce_logs_one_line_per_object_and_no_secret(password_login, caplog):
    with salesforce_replay(
        "login", "describe_opportunity", "request_limit_exceeded", "opportunities"
    ):
        with caplog.at_level(logging.DEBUG):
            source = SalesforceSource(retry_delay=0)
            rows_of(source, "Opportunity")

    assert [r.message for r in caplog.records if r.name == "coachbook.connectors"] == [
        "salesforce busy host=example-co.my.salesforce.com "
        "reason=REQUEST_LIMIT_EXCEEDED retry=1/4 wait=0.0s",
        "salesforce object=Opportunity rows=3 since=- "
        "watermark=2024-03-05T08:15:30.250Z",
    ]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (SF_PASSWORD, SF_TOKEN, SF_LOGIN_SESSION):
        assert secret not in everything


# HubSpot --------------------------------------------------------------------

DEALS = [
    {
        "hs_object_id": "2001",
        "dealname": "Example Co - Platform",
        "dealstage": "qualifiedtobuy",
        "pipeline": "default",
        "amount": "15000",
        "closedate": "2024-03-31T00:00:00Z",
        "createdate": "2024-01-08T14:05:00.000Z",
        "hubspot_owner_id": "101",
        "hs_lastmodifieddate": "2024-03-02T16:45:12.345Z",
        "deal_currency_code": "USD",
        "hs_next_step": "Send the order form",
    },
    {
        "hs_object_id": "2002",
        "dealname": "Example Co - Support Plan",
        "dealstage": "closedwon",
        "pipeline": "default",
        "amount": "1054.50",
        "closedate": "2024-02-15T00:00:00Z",
        "createdate": "2023-11-20T09:00:00.000Z",
        "hubspot_owner_id": "102",
        "hs_lastmodifieddate": "2024-02-15T17:30:00.000Z",
        "deal_currency_code": "EUR",
        "hs_next_step": "",
    },
    {
        "hs_object_id": "2003",
        "dealname": "Example Co - Pilot",
        "dealstage": "appointmentscheduled",
        "pipeline": "default",
        "amount": "",
        "closedate": "",
        "createdate": "2024-03-05T08:15:30.250Z",
        "hubspot_owner_id": "104",
        "hs_lastmodifieddate": "2024-03-05T08:15:30.250Z",
        "deal_currency_code": "",
        "hs_next_step": "Find the budget holder",
    },
]
STAGE_HISTORY = [
    {
        "deal_id": "2001",
        "stage": "appointmentscheduled",
        "date_entered": "2024-01-08T14:05:00.000Z",
    },
    {
        "deal_id": "2001",
        "stage": "qualifiedtobuy",
        "date_entered": "2024-02-12T10:00:00.000Z",
    },
    {
        "deal_id": "2002",
        "stage": "appointmentscheduled",
        "date_entered": "2023-11-20T09:00:00.000Z",
    },
    # Set to qualifiedtobuy twice (20 and 25 January): entered on the 20th.
    {
        "deal_id": "2002",
        "stage": "qualifiedtobuy",
        "date_entered": "2024-01-20T15:40:00.000Z",
    },
    {
        "deal_id": "2002",
        "stage": "closedwon",
        "date_entered": "2024-02-15T17:29:58.000Z",
    },
    {
        "deal_id": "2003",
        "stage": "appointmentscheduled",
        "date_entered": "2024-03-05T08:15:30.250Z",
    },
]
DEAL_PROPERTIES = [
    "dealname",
    "dealstage",
    "pipeline",
    "amount",
    "closedate",
    "createdate",
    "hubspot_owner_id",
    "hs_lastmodifieddate",
    "deal_currency_code",
    "hs_next_step",
]


def hubspot(server, **options) -> HubSpotSource:
    options.setdefault("retry_delay", 0)
    return HubSpotSource(host=server.url, **options)


def test_hubspot_reads_deals_across_pages_with_their_stage_history(hubspot_token):
    with hubspot_replay("deals") as server:
        source = hubspot(server)
        assert source.label == f"hubspot api {server.url}"
        deals = rows_of(source, "deals")
        history = rows_of(source, "deal_stage_history")  # from the same pages

    assert deals == DEALS
    assert history == STAGE_HISTORY
    first, second = server.requests
    assert first.path == second.path == "/crm/v3/objects/deals"
    assert first.param("properties") == DEAL_PROPERTIES
    assert first.param("propertiesWithHistory") == ["dealstage"]
    assert first.param("limit") == ["50"]
    assert first.param("after") == []
    assert second.param("after") == ["2003"]
    assert {r.headers["Authorization"] for r in server.requests} == {
        f"Bearer {HS_TOKEN}"
    }
    assert source.watermark() == datetime(2024, 3, 5, 8, 15, 30, 250000, tzinfo=UTC)


def test_hubspot_stage_history_alone_reads_the_deals_once(hubspot_token):
    with hubspot_replay("deals") as server:
        source = hubspot(server)
        assert rows_of(source, "deal_stage_history") == STAGE_HISTORY
    assert len(server.requests) == 2


def test_hubspot_owners_teams_and_pipeline_stages(hubspot_token):
    with hubspot_replay("owners", "pipelines") as server:
        source = hubspot(server)
        owners = rows_of(source, "owners")
        teams = rows_of(source, "teams")
        stages = rows_of(source, "pipeline_stages")

    assert owners == [
        {
            "id": "101",
            "email": "rep.one@example.com",
            "firstName": "Example Rep",
            "lastName": "One",
            "userId": "9001",
            "type": "PERSON",
            "archived": "false",
            "createdAt": "2023-05-02T09:00:00.000Z",
            "updatedAt": "2024-02-01T12:00:00.000Z",
            "primaryTeamId": "501",
            "teamIds": "501",
        },
        {
            "id": "102",
            "email": "manager@example.com",
            "firstName": "Example",
            "lastName": "Manager",
            "userId": "9002",
            "type": "PERSON",
            "archived": "false",
            "createdAt": "2022-11-14T08:30:00.000Z",
            "updatedAt": "2024-01-15T10:30:00.000Z",
            "primaryTeamId": "502",
            "teamIds": "501;502",
        },
        {
            "id": "104",
            "email": "former.rep@example.com",
            "firstName": "Example Former",
            "lastName": "Rep",
            "userId": "",
            "type": "PERSON",
            "archived": "true",
            "createdAt": "2022-03-01T09:00:00.000Z",
            "updatedAt": "2023-12-29T17:00:00.000Z",
            "primaryTeamId": "",
            "teamIds": "",
        },
    ]
    assert teams == [
        {"id": "501", "name": "Example Team Central"},
        {"id": "502", "name": "Example Leadership"},
    ]
    assert stages == [
        {
            "pipelineId": "default",
            "pipelineLabel": "Sales Pipeline",
            "id": "appointmentscheduled",
            "label": "Appointment Scheduled",
            "displayOrder": "0",
            "probability": "0.2",
            "isClosed": "false",
            "archived": "false",
        },
        {
            "pipelineId": "default",
            "pipelineLabel": "Sales Pipeline",
            "id": "qualifiedtobuy",
            "label": "Qualified To Buy",
            "displayOrder": "1",
            "probability": "0.4",
            "isClosed": "false",
            "archived": "false",
        },
        {
            "pipelineId": "default",
            "pipelineLabel": "Sales Pipeline",
            "id": "closedwon",
            "label": "Closed Won",
            "displayOrder": "5",
            "probability": "1.0",
            "isClosed": "true",
            "archived": "false",
        },
        {
            "pipelineId": "default",
            "pipelineLabel": "Sales Pipeline",
            "id": "closedlost",
            "label": "Closed Lost",
            "displayOrder": "6",
            "probability": "0.0",
            "isClosed": "true",
            "archived": "false",
        },
    ]
    assert [(r.path, r.query) for r in server.requests] == [
        ("/crm/v3/owners/", [("limit", "100")]),
        ("/crm/v3/owners/", [("limit", "100"), ("archived", "true")]),
        ("/crm/v3/pipelines/deals", []),
    ]


def test_hubspot_calls_with_their_deals(hubspot_token):
    with hubspot_replay("calls") as server:
        source = hubspot(server)
        calls = rows_of(source, "calls")

    assert calls == [
        {
            "hs_object_id": "3001",
            "hs_timestamp": "2024-03-01T15:00:00Z",
            "hubspot_owner_id": "101",
            "hs_call_title": "Call about the order form",
            "hs_lastmodifieddate": "2024-03-01T15:20:00.000Z",
            "associated_deal_ids": "2001;2003",
        },
        {
            "hs_object_id": "3002",
            "hs_timestamp": "2024-02-10T10:00:00Z",
            "hubspot_owner_id": "102",
            "hs_call_title": "Intro call",
            "hs_lastmodifieddate": "2024-02-10T10:05:00.000Z",
            "associated_deal_ids": "",
        },
    ]
    (request,) = server.requests
    assert request.path == "/crm/v3/objects/calls"
    assert request.param("associations") == ["deals"]
    assert request.param("properties") == [
        "hs_timestamp",
        "hubspot_owner_id",
        "hs_call_title",
        "hs_lastmodifieddate",
    ]
    assert source.objects() == [
        "owners",
        "teams",
        "pipeline_stages",
        "deals",
        "deal_stage_history",
        "calls",
        "emails",
        "meetings",
        "tasks",
    ]
    assert source.rows("contacts") is None


def test_hubspot_since_keeps_only_what_changed_after_it(hubspot_token):
    since = datetime(2024, 2, 20, tzinfo=UTC)
    with hubspot_replay("deals") as server:
        source = hubspot(server, since=since)
        deals = rows_of(source, "deals")
        history = rows_of(source, "deal_stage_history")

    assert deals == [DEALS[0], DEALS[2]]
    assert history == [r for r in STAGE_HISTORY if r["deal_id"] != "2002"]
    assert len(server.requests) == 2  # filtered here, after reading every page
    assert source.watermark() == datetime(2024, 3, 5, 8, 15, 30, 250000, tzinfo=UTC)
    assert source.watermark("calls") == since


def test_hubspot_waits_as_retry_after_says_and_reads_on(hubspot_token, caplog):
    sleeps: list[float] = []
    with hubspot_replay("deals_rate_limited", "deals") as server:
        source = hubspot(server, sleep=sleeps.append)
        with caplog.at_level(logging.INFO, logger="coachbook.connectors"):
            deals = rows_of(source, "deals")

    assert deals == DEALS
    assert source.retries == 1
    assert sleeps == [3.0]
    assert [r.param("after") for r in server.requests] == [[], ["2003"], ["2003"]]
    host = server.url.removeprefix("http://")
    assert f"hubspot busy host={host} status=429 retry=1/4 wait=3.0s" in caplog.messages
    assert caplog.messages[-1] == (
        "hubspot object=deals rows=3 since=- watermark=2024-03-05T08:15:30.250Z"
    )


def test_hubspot_gives_up_after_four_retries(hubspot_token):
    sleeps: list[float] = []
    with hubspot_replay("deals_rate_limited_throughout") as server:
        source = hubspot(server, retry_delay=1, sleep=sleeps.append)
        with pytest.raises(ConnectorError) as refused:
            rows_of(source, "deals")

    assert str(refused.value) == (
        "HubSpot kept answering 'too many requests' (HTTP 429, secondly limit) "
        "while coachbook read the deals; it gave up after 4 retries. The limits are "
        "shared by every app in the HubSpot account; try again later. HubSpot said: "
        "You have reached your secondly limit."
    )
    assert len(server.requests) == 5
    assert source.retries == 4
    assert sleeps == [1, 2, 4, 8]  # Retry-After (1 s) or the doubling wait, the longer


def test_hubspot_refused_token_names_the_variable(hubspot_token):
    with hubspot_replay("unauthorized") as server:
        source = hubspot(server)
        with pytest.raises(ConnectorError) as refused:
            rows_of(source, "owners")

    message = str(refused.value)
    assert message.startswith(
        "HubSpot refused the access token in COACHBOOK_HUBSPOT_TOKEN (HTTP 401, "
        "INVALID_AUTHENTICATION): check that it is the current token of the private "
        "app (HubSpot: Settings > Integrations > Private apps > the app > Auth) and "
        "that the app still exists. HubSpot said: Authentication credentials not found."
    )
    assert HS_TOKEN not in message


def test_hubspot_without_network_says_so(hubspot_token):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    source = HubSpotSource(host=f"http://127.0.0.1:{port}", retry_delay=0)

    with pytest.raises(ConnectorError) as refused:
        rows_of(source, "deals")

    assert str(refused.value) == (
        f"coachbook could not reach 127.0.0.1:{port}: check this computer's network "
        "connection, and the proxy settings (HTTPS_PROXY) if it needs a proxy to "
        "reach the internet."
    )


def test_hubspot_without_a_token_says_where_to_get_one():
    with pytest.raises(ConnectorError) as refused:
        HubSpotSource()
    assert str(refused.value) == (
        "No HubSpot token: set COACHBOOK_HUBSPOT_TOKEN to the access token of a "
        "HubSpot private app (Settings > Integrations > Private apps) that can read "
        "owners, deals and activities."
    )


def test_hubspot_client_can_be_passed_in():
    from hubspot import HubSpot

    with hubspot_replay("calls") as server:
        client = HubSpot(access_token=HS_TOKEN, host=server.url)
        source = HubSpotSource(client=client, retry_delay=0)
        assert len(rows_of(source, "calls")) == 2


def test_both_sources_give_what_the_importers_read(session_login, hubspot_token):
    with salesforce_replay(), hubspot_replay() as server:
        sources: list[Source] = [SalesforceSource(), hubspot(server)]
    for source in sources:
        assert isinstance(source.label, str)
        assert source.objects()
        assert source.checksum() == EMPTY_SHA256


# The replay itself -------------------------------------------------------------


def test_the_salesforce_replay_fails_a_request_it_has_no_recording_for(
    session_login,
):
    with pytest.raises(AssertionError, match="no recording answers"):
        with salesforce_replay("users"):
            source = SalesforceSource(retry_delay=0)
            rows_of(source, "User")
            with pytest.raises(ConnectorError):  # refused, never sent
                rows_of(source, "Account")


def test_the_hubspot_replay_fails_a_request_it_has_no_recording_for(hubspot_token):
    with pytest.raises(AssertionError, match="no recording answers"):
        with hubspot_replay("calls") as server:
            source = hubspot(server)
            rows_of(source, "calls")
            with pytest.raises(ConnectorError):  # the server answered 501
                rows_of(source, "emails")


def test_the_replays_fail_a_recording_nothing_asked_for(session_login, hubspot_token):
    with pytest.raises(AssertionError, match="Not all requests have been executed"):
        with salesforce_replay("users"):
            SalesforceSource(retry_delay=0)
    with pytest.raises(AssertionError, match="nothing asked for"):
        with hubspot_replay("calls") as server:
            hubspot(server)


def test_every_connector_variable_is_in_the_readme_settings():
    repo = Path(__file__).resolve().parent.parent
    code = "".join(
        path.read_text()
        for path in (repo / "src" / "coachbook" / "crm" / "connectors").glob("*.py")
    )
    names = set(re.findall(r'"(COACHBOOK_[A-Z_]+)"', code))
    settings = (repo / "README.md").read_text().split("## Settings", 1)[1]

    assert len(names) == 7
    assert sorted(n for n in names if f"| `{n}` |" not in settings) == []
