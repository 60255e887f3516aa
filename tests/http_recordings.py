"""Replaying recorded HTTP exchanges to the real Salesforce and HubSpot client libraries.

A recording file (tests/fixtures/http/<crm>/<name>.json) is a list of exchanges:

    {
      "note": "what this exchange shows (optional)",
      "method": "GET",
      "url": "https://example-co.my.salesforce.com/services/data/v59.0/query/",
      "query": {"q": "SELECT Id FROM User"},      # optional; or a query in the url
      "status": 200,
      "headers": {"Content-Type": "application/json;charset=UTF-8"},
      "body": {...}                               # JSON; a string is sent as is
      "times": 5                                  # optional: the same answer 5 times
    }

Instead of "url", "url_regex" is matched from the start of the address, query
included: the full address for Salesforce, the path for HubSpot (the local
server never sees the recorded host).

Each exchange answers one request, in the order the files list them; a request
that matches none fails the test, and so does an exchange nothing asked for.
Every data value in them is invented.

simple-salesforce talks through requests, so its exchanges are served by
`responses` (with an unmatched request refused, never sent). hubspot-api-client
talks through urllib3, which `responses` does not see, so its exchanges are
served by a small HTTP server on 127.0.0.1 that the client is pointed at; the
server keeps every request it got.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import responses
from requests import ConnectionError as RequestsConnectionError
from responses import matchers
from responses.registries import FirstMatchRegistry

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "http"
REFUSED_BY_RESPONSES = "Connection refused by Responses"


@dataclass
class Exchange:
    method: str
    url: str | None
    url_regex: str | None
    query: list[tuple[str, str]]
    status: int
    headers: dict[str, str]
    body: bytes
    note: str = ""

    def describe(self) -> str:
        where = self.url_regex or f"{self.url}?{urlencode(self.query)}".rstrip("?")
        return f"{self.method} {where} -> {self.status}"


def load(crm: str, *names: str) -> list[Exchange]:
    """The exchanges of the named recordings, in order."""
    exchanges: list[Exchange] = []
    for name in names:
        path = FIXTURES / crm / f"{name}.json"
        for item in json.loads(path.read_text(encoding="utf-8")):
            exchanges.extend([_exchange(item)] * int(item.get("times", 1)))
    return exchanges


def _exchange(item: dict[str, Any]) -> Exchange:
    body = item.get("body", "")
    raw = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode()
    url = item.get("url")
    query = _pairs(item.get("query") or {})
    if url is not None and urlsplit(url).query:
        query += parse_qsl(urlsplit(url).query, keep_blank_values=True)
        url = url.split("?", 1)[0]
    return Exchange(
        method=item["method"].upper(),
        url=url,
        url_regex=item.get("url_regex"),
        query=sorted(query),
        status=int(item["status"]),
        headers=dict(item.get("headers") or {}),
        body=raw,
        note=item.get("note", ""),
    )


def _pairs(query: dict[str, str | list[str]]) -> list[tuple[str, str]]:
    pairs = []
    for key, value in query.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((key, str(one)))
    return pairs


# Salesforce: responses ------------------------------------------------------


class ConsumeOnce(FirstMatchRegistry):
    """The first unused exchange that matches answers, and is then used up."""

    def find(self, request: Any) -> tuple[Any, list[str]]:
        reasons = []
        for index, response in enumerate(self.registered):
            matched, reason = response.matches(request)
            if matched:
                return self.registered.pop(index), []
            reasons.append(reason)
        return None, reasons


class Replay:
    """The requests `responses` answered (.calls), kept after the replay ends."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock
        self.kept: list[Any] | None = None

    @property
    def calls(self) -> list[Any]:
        return self.kept if self.kept is not None else list(self.mock.calls)


@contextmanager
def salesforce_replay(*names: str) -> Iterator[Replay]:
    """Serve the recordings to requests; .calls of what it yields are the requests."""
    mock = responses.RequestsMock(
        assert_all_requests_are_fired=True, registry=ConsumeOnce
    )
    for exchange in load("salesforce", *names):
        if exchange.url_regex is not None:
            url: Any = re.compile(exchange.url_regex)
            match: list[Any] = []
        else:
            url = exchange.url
            match = [matchers.query_string_matcher(urlencode(exchange.query) or None)]
        mock.add(
            responses.Response(
                method=exchange.method,
                url=url,
                status=exchange.status,
                headers=exchange.headers,
                body=exchange.body,
                content_type=None,
                match=match,
            )
        )
    replay = Replay(mock)
    with mock:
        yield replay
        replay.kept = list(mock.calls)
    refused = [
        f"{call.request.method} {call.request.url}"
        for call in replay.calls
        if isinstance(call.response, RequestsConnectionError)
        and REFUSED_BY_RESPONSES in str(call.response)
    ]
    assert refused == [], "requests that no recording answers"


# HubSpot: a local server ----------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]


@dataclass
class RecordingServer:
    """An HTTP server on 127.0.0.1 (a free port) answering with recorded exchanges.

    Exchanges match on method, path and query (as a set of pairs; the recorded
    host is ignored). `requests` lists every request received, `unmatched` the
    ones no recording answered (they get a 501), `remaining()` what is unused.
    """

    exchanges: list[Exchange]
    requests: list[Seen] = field(default_factory=list)
    unmatched: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = list(self.exchanges)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def remaining(self) -> list[str]:
        with self._lock:
            return [exchange.describe() for exchange in self._pending]

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, seen: Seen) -> Exchange | None:
        with self._lock:
            self.requests.append(seen)
            for index, exchange in enumerate(self._pending):
                if _matches(exchange, seen):
                    return self._pending.pop(index)
            self.unmatched.append(seen)
            return None


def _matches(exchange: Exchange, seen: Seen) -> bool:
    if exchange.method != seen.method:
        return False
    if exchange.url_regex is not None:
        address = f"{seen.path}?{urlencode(seen.query)}".rstrip("?")
        return re.match(exchange.url_regex, address) is not None
    return urlsplit(exchange.url or "").path == seen.path and exchange.query == sorted(
        seen.query
    )


def _handler(server: RecordingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                method=self.command,
                path=parts.path,
                query=parse_qsl(parts.query, keep_blank_values=True),
                headers=dict(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
            )
            exchange = server.answer(seen)
            if exchange is None:
                body = json.dumps(
                    {"message": f"no recording answers {self.command} {self.path}"}
                ).encode()
                self.send_response(501)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(exchange.status)
            for name, value in exchange.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(exchange.body)))
            self.end_headers()
            self.wfile.write(exchange.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def hubspot_replay(*names: str) -> Iterator[RecordingServer]:
    """Serve the recordings from a local server; at the end, every one must be used
    and every request answered."""
    with RecordingServer(load("hubspot", *names)) as server:
        yield server
    assert server.unmatched == [], "requests that no recording answers"
    assert server.remaining() == [], "recorded exchanges nothing asked for"
