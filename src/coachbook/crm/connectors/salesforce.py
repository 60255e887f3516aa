"""Live Salesforce connector: the six objects coachbook reads, straight from the REST API.

Built on simple-salesforce. Credentials come from the environment, one of:

- ``COACHBOOK_SALESFORCE_USERNAME``, ``COACHBOOK_SALESFORCE_PASSWORD`` and
  ``COACHBOOK_SALESFORCE_TOKEN`` (the user's security token; set it empty when
  the org trusts this computer's IP address), with ``COACHBOOK_SALESFORCE_DOMAIN``
  ``login`` (production, the default), ``test`` (a sandbox) or a My Domain
  prefix such as ``acme.my``. These win when both kinds are set.
- ``COACHBOOK_SALESFORCE_INSTANCE_URL`` and ``COACHBOOK_SALESFORCE_SESSION_ID``:
  an existing session, e.g. from ``sf org display``. It cannot be renewed, so a
  long import may outlive it.

Each object is one SOQL query with a fixed field list, read with
``query_all_iter`` (the library follows ``nextRecordsUrl`` from page to page).
Task and Event go through queryAll with ``IsDeleted = false``: Salesforce
archives activities closed more than a year ago, and an ordinary query skips
them.
Rows carry exactly those fields, in that order, as text: ``""`` for null,
``true``/``false``, plain numbers (``15000``, ``1054.5``), dates as Salesforce
writes them (``2024-03-31``) and date-times in UTC as ``2024-01-15T10:30:00.000Z``.

With ``since``, every query adds ``WHERE SystemModstamp > <since>`` (to the
second, rounded down, so a boundary row is read again rather than missed);
``watermark()`` then gives the highest SystemModstamp read, to pass as the next
``since``. User and Account rows are filtered the same way but do not select
SystemModstamp, so they do not move the watermark.

Salesforce answers a request over the org's API limit with HTTP 403
REQUEST_LIMIT_EXCEEDED, and an overloaded server with 503. Each such request is
retried up to ``max_retries`` times, waiting ``retry_delay`` seconds, then twice
that, and so on; then the read stops with a ConnectorError. Retries happen per
HTTP request, so a retry in the middle of a paged query does not start it over.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceExpiredSession,
)

from coachbook.crm.connectors._shared import (
    LONGEST_WAIT_SECONDS,
    MAX_RETRIES,
    RETRY_BASE_SECONDS,
    TIMEOUT_SECONDS,
    RowDigest,
    as_text,
    iso_z,
    log_object,
    too_slow,
    unreachable,
    utc,
)
from coachbook.crm.connectors.base import ConnectorError

logger = logging.getLogger("coachbook.connectors")

USERNAME = "COACHBOOK_SALESFORCE_USERNAME"
PASSWORD = "COACHBOOK_SALESFORCE_PASSWORD"
TOKEN = "COACHBOOK_SALESFORCE_TOKEN"
DOMAIN = "COACHBOOK_SALESFORCE_DOMAIN"
INSTANCE_URL = "COACHBOOK_SALESFORCE_INSTANCE_URL"
SESSION_ID = "COACHBOOK_SALESFORCE_SESSION_ID"

# The fields read per object, in the order rows carry them. Opportunity gets
# CurrencyIsoCode after Amount when the org has multiple currencies.
FIELDS: dict[str, list[str]] = {
    "User": [
        "Id",
        "Name",
        "Email",
        "ManagerId",
        "IsActive",
        "TimeZoneSidKey",
        "UserRoleId",
    ],
    "Account": ["Id", "Name", "Industry", "ParentId", "NumberOfEmployees", "OwnerId"],
    "Opportunity": [
        "Id",
        "Name",
        "AccountId",
        "OwnerId",
        "StageName",
        "Amount",
        "Probability",
        "CloseDate",
        "NextStep",
        "CreatedDate",
        "IsClosed",
        "IsWon",
        "ForecastCategoryName",
        "SystemModstamp",
    ],
    "OpportunityHistory": [
        "Id",
        "OpportunityId",
        "StageName",
        "Amount",
        "CloseDate",
        "Probability",
        "CreatedDate",
        "SystemModstamp",
    ],
    "Task": [
        "Id",
        "OwnerId",
        "WhatId",
        "WhoId",
        "Subject",
        "TaskSubtype",
        "Type",
        "ActivityDate",
        "CreatedDate",
        "Status",
        "SystemModstamp",
    ],
    "Event": [
        "Id",
        "OwnerId",
        "WhatId",
        "Subject",
        "Type",
        "ActivityDateTime",
        "DurationInMinutes",
        "CreatedDate",
        "SystemModstamp",
    ],
}
# Objects whose old rows Salesforce archives out of an ordinary query.
ARCHIVED = frozenset({"Task", "Event"})
DATETIME_FIELDS = frozenset({"CreatedDate", "SystemModstamp", "ActivityDateTime"})
# Other names an importer may use for the objects (its layout's keys).
ALIASES = {name.casefold(): name for name in FIELDS} | {"history": "OpportunityHistory"}


class SalesforceSource:
    """The Salesforce org named by the environment, read through its REST API.

    ``client`` replaces the login from the environment with a ready
    ``simple_salesforce.Salesforce``; its session gets this source's retrying
    adapter mounted for https. ``retry_delay``, ``max_retries``, ``sleep`` and
    ``timeout`` (seconds to connect, then to wait for an answer) tune retries
    and waiting; tests set ``retry_delay=0``.
    """

    def __init__(
        self,
        since: datetime | None = None,
        client: Salesforce | None = None,
        *,
        retry_delay: float = RETRY_BASE_SECONDS,
        max_retries: int = MAX_RETRIES,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = TIMEOUT_SECONDS,
    ) -> None:
        self.since = utc(since) if since is not None else None
        self.retry_delay = retry_delay
        self.max_retries = max_retries
        self.sleep = sleep
        self.timeout = timeout
        self.retries = 0
        """Requests retried after a rate limit or 503, over this source's life."""
        self._digest = RowDigest()
        self._watermarks: dict[str, datetime] = {}
        self._fields: dict[str, list[str]] = {}
        self._username: str | None = None
        self._host = "login.salesforce.com"
        self._adapter = _RetryingAdapter(self)
        if client is None:
            client = self._connect()
        else:
            client.session.mount("https://", self._adapter)
        self._client = client
        self._host = client.sf_instance
        self.label = f"salesforce api https://{client.sf_instance}"

    # The Source protocol ----------------------------------------------------

    def objects(self) -> list[str]:
        return list(FIELDS)

    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None:
        name = ALIASES.get(obj.casefold())
        if name is None:
            return None
        return self._digest.stream(name, self._records(name), self._logged)

    def checksum(self) -> str:
        return self._digest.hexdigest()

    # Beyond it ----------------------------------------------------------------

    def watermark(self, obj: str | None = None) -> datetime | None:
        """The highest SystemModstamp read (of one object, or of all), never below
        ``since``; None when nothing was read and there was no ``since``."""
        if obj is None:
            seen = list(self._watermarks.values())
        else:
            name = ALIASES.get(obj.casefold(), obj)
            seen = [self._watermarks[name]] if name in self._watermarks else []
        if self.since is not None:
            seen.append(self.since)
        return max(seen, default=None)

    def fields(self, obj: str) -> list[str]:
        """The fields read for the object; Opportunity's depend on the org's currencies."""
        name = ALIASES[obj.casefold()]
        if name not in self._fields:
            fields = list(FIELDS[name])
            if name == "Opportunity" and self._multi_currency():
                fields.insert(fields.index("Amount") + 1, "CurrencyIsoCode")
            self._fields[name] = fields
        return self._fields[name]

    def soql(self, obj: str) -> str:
        """The query sent for the object."""
        name = ALIASES[obj.casefold()]
        query = f"SELECT {', '.join(self.fields(name))} FROM {name}"
        conditions = []
        if name in ARCHIVED:
            conditions.append("IsDeleted = false")
        if self.since is not None:
            conditions.append(f"SystemModstamp > {soql_datetime(self.since)}")
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        return query

    # Reading ------------------------------------------------------------------

    def _records(self, name: str) -> Iterator[dict[str, str]]:
        with self._plain_errors(f"the {name} records"):
            fields = self.fields(name)
            query = self.soql(name)
            # Salesforce archives activities closed over a year ago; only
            # queryAll (include_deleted) returns them, deleted ones too, which
            # the query leaves out itself.
            records = self._client.query_all_iter(
                query, include_deleted=name in ARCHIVED, timeout=self.timeout
            )
            for record in records:
                row = {field: _text(field, record.get(field)) for field in fields}
                stamp = _moment(record.get("SystemModstamp"))
                if stamp is not None and (
                    name not in self._watermarks or stamp > self._watermarks[name]
                ):
                    self._watermarks[name] = stamp
                yield row

    def _multi_currency(self) -> bool:
        with self._plain_errors("the description of Opportunity"):
            description = self._client.restful(
                "sobjects/Opportunity/describe", timeout=self.timeout
            )
        names = {field.get("name") for field in (description or {}).get("fields", [])}
        return "CurrencyIsoCode" in names

    def _logged(self, name: str, count: int) -> None:
        log_object("salesforce", name, count, self.since, self.watermark(name))

    # Logging in ---------------------------------------------------------------

    def _connect(self) -> Salesforce:
        session = requests.Session()
        session.mount("https://", self._adapter)
        session.mount("http://", self._adapter)
        env = os.environ
        username = env.get(USERNAME, "").strip()
        instance_url = env.get(INSTANCE_URL, "").strip()
        session_id = env.get(SESSION_ID, "").strip()

        if username or PASSWORD in env or TOKEN in env:
            missing = [
                name
                for name, present in (
                    (USERNAME, bool(username)),
                    (PASSWORD, bool(env.get(PASSWORD))),
                    (TOKEN, TOKEN in env),
                )
                if not present
            ]
            if missing:
                raise ConnectorError(
                    "Salesforce login is incomplete: set "
                    + " and ".join(missing)
                    + f" as well ({USERNAME}, {PASSWORD} and {TOKEN} go together; "
                    "set the token empty if the org trusts this computer's IP address)."
                )
            domain = _domain(env.get(DOMAIN, ""))
            self._username = username
            self._host = f"{domain}.salesforce.com"
            with self._plain_errors("the login"):
                return Salesforce(
                    username=username,
                    password=env[PASSWORD],
                    security_token=env[TOKEN],
                    domain=domain,
                    session=session,
                )

        if instance_url or session_id:
            if not (instance_url and session_id):
                missing_name = SESSION_ID if instance_url else INSTANCE_URL
                raise ConnectorError(
                    f"Salesforce session is incomplete: set {missing_name} as well "
                    f"({INSTANCE_URL} and {SESSION_ID} go together)."
                )
            parts = urlsplit(instance_url)
            if parts.scheme != "https" or not parts.hostname:
                raise ConnectorError(
                    f"{INSTANCE_URL} should be the org's address, like "
                    f"https://acme.my.salesforce.com, not '{instance_url}'."
                )
            return Salesforce(
                instance_url=instance_url, session_id=session_id, session=session
            )

        raise ConnectorError(
            "No Salesforce credentials: set "
            f"{USERNAME}, {PASSWORD} and {TOKEN} (and {DOMAIN}=test for a sandbox), "
            f"or {INSTANCE_URL} and {SESSION_ID}."
        )

    # Errors -------------------------------------------------------------------

    @contextmanager
    def _plain_errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except ConnectorError:
            raise
        except SalesforceAuthenticationFailed as exc:
            said = f"{exc.code}: {exc.auth_message}" if exc.code else exc.auth_message
            raise ConnectorError(self._refused(said)) from exc
        except SalesforceExpiredSession as exc:
            raise ConnectorError(self._refused(_says(exc))) from exc
        except SalesforceError as exc:
            raise ConnectorError(
                f"Salesforce refused {doing} (HTTP {exc.status}): {_says(exc)}"
            ) from exc
        except requests.ConnectionError as exc:
            raise ConnectorError(unreachable(_host_of(exc) or self._host)) from exc
        except requests.Timeout as exc:
            raise ConnectorError(
                too_slow(_host_of(exc) or self._host, self.timeout[1])
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(
                f"coachbook could not read {doing} from {_host_of(exc) or self._host}: {exc}"
            ) from exc

    def _refused(self, said: str) -> str:
        if self._username is not None:
            return (
                f"Salesforce refused the login for {self._username}: check "
                f"{PASSWORD} and the security token in {TOKEN} (Salesforce emails "
                "a new token whenever the password is reset), and that "
                f"{DOMAIN} is login for production or test for a sandbox. "
                f"Salesforce said: {said}"
            )
        return (
            f"Salesforce refused the session in {SESSION_ID} for https://{self._host}: "
            "it has expired or was logged out. Get a new session id, or set "
            f"{USERNAME}, {PASSWORD} and {TOKEN} so coachbook logs in by itself. "
            f"Salesforce said: {said}"
        )


class _RetryingAdapter(HTTPAdapter):
    """Sends each request again while Salesforce answers with a rate limit or 503."""

    def __init__(self, source: SalesforceSource) -> None:
        super().__init__()
        self._source = source

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        source = self._source
        if not args and kwargs.get("timeout") is None:
            kwargs["timeout"] = source.timeout
        attempt = 0
        while True:
            response = super().send(request, *args, **kwargs)
            why = _rate_limited(response)
            if why is None:
                return response
            host = urlsplit(request.url).hostname or source._host
            if attempt >= source.max_retries:
                raise ConnectorError(_gave_up(why, host, attempt))
            wait = min(source.retry_delay * 2**attempt, LONGEST_WAIT_SECONDS)
            logger.warning(
                "salesforce busy host=%s reason=%s retry=%d/%d wait=%.1fs",
                host,
                why[0],
                attempt + 1,
                source.max_retries,
                wait,
            )
            response.close()
            source.sleep(wait)
            attempt += 1
            source.retries += 1


def _rate_limited(response: Any) -> tuple[str, str] | None:
    """(code, message) when the answer says to come back later, else None."""
    if response.status_code == 503:
        return "HTTP 503", response.reason or "Service Unavailable"
    if response.status_code != 403:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    for error in body if isinstance(body, list) else []:
        if (
            isinstance(error, dict)
            and error.get("errorCode") == "REQUEST_LIMIT_EXCEEDED"
        ):
            return "REQUEST_LIMIT_EXCEEDED", str(error.get("message", ""))
    return None


def _gave_up(why: tuple[str, str], host: str, retries: int) -> str:
    code, message = why
    if code == "REQUEST_LIMIT_EXCEEDED":
        return (
            "Salesforce kept refusing requests because the org's API request limit "
            f"is used up (REQUEST_LIMIT_EXCEEDED: {message}); coachbook gave up after "
            f"{retries} retries. Try again later; Setup > Company Information shows "
            "the org's API requests in the last 24 hours."
        )
    return (
        f"Salesforce at {host} was unavailable (HTTP 503) and still was after "
        f"{retries} retries. Try again later; status.salesforce.com lists known outages."
    )


def _says(exc: SalesforceError) -> str:
    """What Salesforce said in an error answer, as 'CODE: message'."""
    content: Any = exc.content
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if isinstance(content, list):
        parts = [
            f"{item.get('errorCode', '')}: {item.get('message', '')}".strip(": ")
            for item in content
            if isinstance(item, dict)
        ]
        if parts:
            return "; ".join(parts)
    text = str(content).strip()
    return text[:300] + ("…" if len(text) > 300 else "")


def _host_of(exc: requests.RequestException) -> str | None:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    return urlsplit(url).hostname if url else None


def _domain(value: str) -> str:
    """login, test or a My Domain prefix; a full host or address is cut down to that."""
    domain = value.strip() or "login"
    domain = re.sub(r"^https?://", "", domain).rstrip("/")
    domain = re.sub(r"\.salesforce\.com$", "", domain)
    if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", domain):
        raise ConnectorError(
            f"{DOMAIN} should be login (production), test (a sandbox) or the org's "
            f"My Domain prefix such as acme.my, not '{value}'."
        )
    return domain


def soql_datetime(moment: datetime) -> str:
    """A SOQL date-time literal in UTC, to the second (rounded down)."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: object) -> datetime | None:
    """A Salesforce date-time (2024-01-15T10:30:00.000+0000) as an aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def _text(field: str, value: object) -> str:
    if field in DATETIME_FIELDS and isinstance(value, str):
        moment = _moment(value)
        return iso_z(moment) if moment is not None else value
    return as_text(value)
