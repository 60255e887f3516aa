"""Live HubSpot connector: owners, teams, deals, their stage history, pipeline
stages and activities (calls, emails, meetings, tasks), from the CRM v3 API.

Built on hubspot-api-client, authenticated with a private app's access token
from ``COACHBOOK_HUBSPOT_TOKEN``. Every list is read page by page, following
``paging.next.after``.

Objects and the fields of their rows (HubSpot's own property names; the derived
ones are marked):

- ``owners``: id, email, firstName, lastName, userId, type (PERSON or QUEUE),
  archived, createdAt, updatedAt, and derived primaryTeamId and teamIds
  (``;``-separated). Active owners first, then archived ones, so deals of people
  who left still find their owner.
- ``teams`` (derived from the owners): id, name.
- ``pipeline_stages`` (deal pipelines): pipelineId, pipelineLabel, id, label,
  displayOrder, probability (a fraction, ``0.2``), isClosed, archived.
- ``deals``: hs_object_id, dealname, dealstage, pipeline, amount, closedate,
  createdate, hubspot_owner_id, hs_lastmodifieddate, deal_currency_code,
  hs_next_step.
- ``deal_stage_history`` (derived from the deals' dealstage history): deal_id,
  stage, date_entered; oldest first per deal, a stage set again while already
  in it is not a new entry.
- ``calls``, ``emails``, ``meetings``, ``tasks``: hs_object_id, hs_timestamp,
  hubspot_owner_id, the title (hs_call_title, hs_email_subject,
  hs_meeting_title, hs_task_subject), hs_lastmodifieddate, and derived
  associated_deal_ids (``;``-separated).

Values are text as HubSpot writes them: ``""`` for null, date-times like
``2024-01-15T10:30:00.000Z``, amounts as plain numbers.

Incremental reads (``since``) filter on each deal's and activity's last
modification *after* reading the pages, not in HubSpot's search API: the
search API returns neither property history nor associations, and caps a
query at 10,000 results, so using it would take two more calls per page and a
re-query loop. Owners and pipeline stages are always read whole (they are
small). ``watermark()`` is the latest modification read.

HubSpot answers too many requests with 429 (and a Retry-After); 502, 503 and
504 are passing faults. Each is retried up to ``max_retries`` times, waiting
the longer of Retry-After and ``retry_delay`` doubled each time, then the read
stops with a ConnectorError.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import urllib3
from hubspot import HubSpot
from hubspot.crm.deals.exceptions import ApiException as DealsApiException
from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from hubspot.crm.pipelines.exceptions import ApiException as PipelinesApiException
from urllib3.util.retry import Retry

from coachbook.crm.connectors._shared import (
    LONGEST_WAIT_SECONDS,
    MAX_RETRIES,
    RETRY_BASE_SECONDS,
    TIMEOUT_SECONDS,
    RowDigest,
    as_text,
    iso_z,
    log_object,
    logger,
    too_slow,
    unreachable,
    utc,
)
from coachbook.crm.connectors.base import ConnectorError

TOKEN = "COACHBOOK_HUBSPOT_TOKEN"
DEFAULT_HOST = "https://api.hubapi.com"

API_ERRORS = (
    DealsApiException,
    ObjectsApiException,
    OwnersApiException,
    PipelinesApiException,
)
RETRY_STATUSES = frozenset({429, 502, 503, 504})

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
# Object type → the property that holds its title or subject.
ENGAGEMENTS = {
    "calls": "hs_call_title",
    "emails": "hs_email_subject",
    "meetings": "hs_meeting_title",
    "tasks": "hs_task_subject",
}
OBJECTS = [
    "owners",
    "teams",
    "pipeline_stages",
    "deals",
    "deal_stage_history",
    *ENGAGEMENTS,
]
# Pages: HubSpot allows 100 objects a page, 50 when property history is asked for.
PAGE = 100
PAGE_WITH_HISTORY = 50


class HubSpotSource:
    """The HubSpot account whose private app token is in ``COACHBOOK_HUBSPOT_TOKEN``.

    ``client`` replaces the token from the environment with a ready
    ``hubspot.HubSpot``; ``host`` sends the requests elsewhere than
    https://api.hubapi.com (tests point it at a local server). ``retry_delay``,
    ``max_retries``, ``sleep`` and ``timeout`` (seconds to connect, then to
    wait for an answer) tune retries and waiting.
    """

    def __init__(
        self,
        since: datetime | None = None,
        client: HubSpot | None = None,
        *,
        host: str | None = None,
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
        """Requests retried after a 429 or a passing fault, over this source's life."""
        self._digest = RowDigest()
        self._watermarks: dict[str, datetime] = {}
        self._teams: list[dict[str, str]] | None = None
        self._stage_history: list[dict[str, str]] | None = None
        if client is None:
            client = _client_from_environment(host or DEFAULT_HOST)
        elif host is not None:
            client.config["host"] = host
        self._client = client
        self.host = str(client.config.get("host") or DEFAULT_HOST).rstrip("/")
        self.label = f"hubspot api {self.host}"

    # The Source protocol ----------------------------------------------------

    def objects(self) -> list[str]:
        return list(OBJECTS)

    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None:
        producers: dict[str, Callable[[], Iterator[dict[str, str]]]] = {
            "owners": self._owners,
            "teams": self._team_rows,
            "pipeline_stages": self._pipeline_stages,
            "deals": self._deals,
            "deal_stage_history": self._stage_history_rows,
        }
        if obj in ENGAGEMENTS:
            return self._digest.stream(obj, self._engagements(obj), self._logged)
        if obj not in producers:
            return None
        return self._digest.stream(obj, producers[obj](), self._logged)

    def checksum(self) -> str:
        return self._digest.hexdigest()

    # Beyond it ----------------------------------------------------------------

    def watermark(self, obj: str | None = None) -> datetime | None:
        """The latest last-modified time read (of one object, or of all), never
        below ``since``; None when nothing was read and there was no ``since``."""
        if obj is None:
            seen = list(self._watermarks.values())
        else:
            seen = [self._watermarks[obj]] if obj in self._watermarks else []
        if self.since is not None:
            seen.append(self.since)
        return max(seen, default=None)

    # Reading ------------------------------------------------------------------

    def _owners(self) -> Iterator[dict[str, str]]:
        api = self._client.crm.owners.owners_api
        teams: dict[str, str] = {}
        # Active owners, then archived ones ("true" as text: the client would
        # send Python's "True").
        for archived in ({}, {"archived": "true"}):
            for owner in self._pages(
                "the owners (users)", api.get_page, limit=PAGE, **archived
            ):
                owner_teams = owner.teams or []
                for team in owner_teams:
                    teams.setdefault(str(team.id), team.name or "")
                primary = [str(t.id) for t in owner_teams if t.primary]
                yield {
                    "id": as_text(owner.id),
                    "email": as_text(owner.email),
                    "firstName": as_text(owner.first_name),
                    "lastName": as_text(owner.last_name),
                    "userId": as_text(owner.user_id),
                    "type": as_text(owner.type),
                    "archived": as_text(bool(owner.archived)),
                    "createdAt": iso_z(owner.created_at),
                    "updatedAt": iso_z(owner.updated_at),
                    "primaryTeamId": primary[0] if primary else "",
                    "teamIds": ";".join(str(t.id) for t in owner_teams),
                }
        self._teams = [{"id": key, "name": name} for key, name in teams.items()]

    def _team_rows(self) -> Iterator[dict[str, str]]:
        if self._teams is None:
            for _ in self._owners():
                pass
        yield from self._teams or []

    def _pipeline_stages(self) -> Iterator[dict[str, str]]:
        api = self._client.crm.pipelines.pipelines_api
        answer = self._call("the deal pipelines", api.get_all, "deals")
        for pipeline in answer.results or []:
            for stage in pipeline.stages or []:
                metadata = stage.metadata or {}
                yield {
                    "pipelineId": as_text(pipeline.id),
                    "pipelineLabel": as_text(pipeline.label),
                    "id": as_text(stage.id),
                    "label": as_text(stage.label),
                    "displayOrder": as_text(stage.display_order),
                    "probability": as_text(metadata.get("probability")),
                    "isClosed": as_text(metadata.get("isClosed")).lower(),
                    "archived": as_text(bool(stage.archived)),
                }

    def _deals(self) -> Iterator[dict[str, str]]:
        api = self._client.crm.deals.basic_api
        history: list[dict[str, str]] = []
        for deal in self._pages(
            "the deals",
            api.get_page,
            limit=PAGE_WITH_HISTORY,
            properties=DEAL_PROPERTIES,
            properties_with_history=["dealstage"],
        ):
            if not self._changed("deals", deal):
                continue
            properties = deal.properties or {}
            history.extend(_stage_history(deal))
            yield {
                "hs_object_id": as_text(deal.id),
                **{name: as_text(properties.get(name)) for name in DEAL_PROPERTIES},
            }
        self._stage_history = history

    def _stage_history_rows(self) -> Iterator[dict[str, str]]:
        if self._stage_history is None:
            for _ in self._deals():
                pass
        yield from self._stage_history or []

    def _engagements(self, obj: str) -> Iterator[dict[str, str]]:
        title = ENGAGEMENTS[obj]
        properties = ["hs_timestamp", "hubspot_owner_id", title, "hs_lastmodifieddate"]
        api = self._client.crm.objects.basic_api
        for item in self._pages(
            f"the {obj}",
            api.get_page,
            obj,
            limit=PAGE,
            properties=properties,
            associations=["deals"],
        ):
            if not self._changed(obj, item):
                continue
            values = item.properties or {}
            yield {
                "hs_object_id": as_text(item.id),
                **{name: as_text(values.get(name)) for name in properties},
                "associated_deal_ids": ";".join(_associated(item, "deals")),
            }

    def _changed(self, obj: str, item: Any) -> bool:
        """Notes the item's last modification; False when it is not after ``since``."""
        modified = item.updated_at
        if modified is None:
            return True
        modified = utc(modified)
        if obj not in self._watermarks or modified > self._watermarks[obj]:
            self._watermarks[obj] = modified
        return self.since is None or modified > self.since

    def _logged(self, obj: str, count: int) -> None:
        log_object("hubspot", obj, count, self.since, self.watermark(obj))

    # Requests -----------------------------------------------------------------

    def _pages(
        self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Iterator[Any]:
        after: str | None = None
        cursors: set[str] = set()
        while True:
            page = self._call(what, method, *args, after=after, **kwargs)
            yield from page.results or []
            following = page.paging.next if page.paging is not None else None
            if following is None or not following.after:
                return
            after = str(following.after)
            if after in cursors:
                raise ConnectorError(
                    f"HubSpot sent the same page of {what} twice (cursor {after}); "
                    "coachbook stopped rather than read forever. Try again later."
                )
            cursors.add(after)

    def _call(
        self, what: str, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        attempt = 0
        while True:
            try:
                return method(*args, _request_timeout=self.timeout, **kwargs)
            except API_ERRORS as exc:
                status = int(exc.status or 0)
                if status not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise ConnectorError(self._refusal(exc, what, attempt)) from exc
                wait = self._wait(exc, attempt)
                logger.warning(
                    "hubspot busy host=%s status=%d retry=%d/%d wait=%.1fs",
                    urlsplit(self.host).netloc,
                    status,
                    attempt + 1,
                    self.max_retries,
                    wait,
                )
                self.sleep(wait)
                attempt += 1
                self.retries += 1
            except urllib3.exceptions.HTTPError as exc:
                # urllib3 wraps what went wrong in MaxRetryError.reason.
                host = urlsplit(self.host).netloc
                reason = getattr(exc, "reason", None) or exc
                if isinstance(reason, urllib3.exceptions.ReadTimeoutError):
                    raise ConnectorError(too_slow(host, self.timeout[1])) from exc
                raise ConnectorError(unreachable(host)) from exc

    def _wait(self, exc: Any, attempt: int) -> float:
        wait = self.retry_delay * 2**attempt
        headers = exc.headers or {}
        retry_after = headers.get("Retry-After") if hasattr(headers, "get") else None
        if retry_after:
            try:
                wait = max(wait, float(retry_after))
            except ValueError:
                pass
        return min(wait, LONGEST_WAIT_SECONDS)

    def _refusal(self, exc: Any, what: str, retries: int) -> str:
        status = int(exc.status or 0)
        body = _body(exc)
        said = str(body.get("message") or exc.reason or "").strip()
        category = str(body.get("category") or body.get("errorType") or "")
        host = urlsplit(self.host).netloc
        if status == 0:
            return f"{unreachable(host)} ({said})"
        if status == 401:
            return (
                f"HubSpot refused the access token in {TOKEN} (HTTP 401"
                f"{', ' + category if category else ''}): check that it is the "
                "current token of the private app (HubSpot: Settings > Integrations > "
                "Private apps > the app > Auth) and that the app still exists. "
                f"HubSpot said: {said}"
            )
        if status == 403:
            scopes = _scopes(body)
            return (
                f"HubSpot refused coachbook access to {what} (HTTP 403"
                f"{', ' + category if category else ''}): give the private app behind "
                f"{TOKEN} the read scope{'s' if len(scopes) != 1 else ''} "
                f"{', '.join(scopes) if scopes else 'for it'}. HubSpot said: {said}"
            )
        if status == 429:
            policy = str(body.get("policyName") or "").lower()
            return (
                f"HubSpot kept answering 'too many requests' (HTTP 429"
                f"{', ' + policy + ' limit' if policy else ''}) while coachbook read "
                f"{what}; it gave up after {retries} retries. The limits are shared by "
                f"every app in the HubSpot account; try again later. HubSpot said: {said}"
            )
        if status in RETRY_STATUSES:
            return (
                f"HubSpot was unavailable (HTTP {status}) while coachbook read {what}, "
                f"and still was after {retries} retries. Try again later; "
                "status.hubspot.com lists known outages."
            )
        return f"HubSpot answered HTTP {status} when coachbook read {what}: {said}"


def _client_from_environment(host: str) -> HubSpot:
    token = os.environ.get(TOKEN, "").strip()
    if not token:
        raise ConnectorError(
            f"No HubSpot token: set {TOKEN} to the access token of a HubSpot private "
            "app (Settings > Integrations > Private apps) that can read owners, "
            "deals and activities."
        )
    options: dict[str, Any] = {
        "access_token": token,
        "host": host.rstrip("/"),
        # Reconnect twice on a refused or dropped connection; answers such as 429
        # come back to the connector, which does its own waiting.
        "retry": Retry(
            total=2,
            read=0,
            redirect=0,
            backoff_factor=0.25,
            respect_retry_after_header=False,
        ),
    }
    proxy = _proxy_for(host)
    if proxy:
        options["proxy"] = proxy
    return HubSpot(**options)


def _proxy_for(url: str) -> str | None:
    """The proxy the standard variables (HTTPS_PROXY, NO_PROXY) name for url;
    urllib3 does not read them itself, unlike requests."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return None
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy


def _body(exc: Any) -> dict[str, Any]:
    raw = getattr(exc, "body", None)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {"message": str(raw)[:300]}
    return body if isinstance(body, dict) else {}


def _scopes(body: dict[str, Any]) -> list[str]:
    scopes: list[str] = []
    for error in body.get("errors") or []:
        context = (error.get("context") or {}) if isinstance(error, dict) else {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            for scope in context.get(key) or []:
                if scope not in scopes:
                    scopes.append(str(scope))
    return scopes


def _stage_history(deal: Any) -> list[dict[str, str]]:
    versions = (deal.properties_with_history or {}).get("dealstage") or []
    dated = sorted(
        (v for v in versions if v.timestamp is not None), key=lambda v: v.timestamp
    )
    rows: list[dict[str, str]] = []
    for version in dated:
        stage = as_text(version.value)
        if rows and rows[-1]["stage"] == stage:
            continue
        rows.append(
            {
                "deal_id": as_text(deal.id),
                "stage": stage,
                "date_entered": iso_z(version.timestamp),
            }
        )
    return rows


def _associated(item: Any, kind: str) -> list[str]:
    found = (item.associations or {}).get(kind)
    ids: list[str] = []
    for associated in (found.results if found is not None else None) or []:
        if str(associated.id) not in ids:
            ids.append(str(associated.id))
    return ids
