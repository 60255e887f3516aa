"""What both live connectors share: row numbering, the checksum, values as text."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal

logger = logging.getLogger("coachbook.connectors")

# Retries on rate limits: this many, after waits of base, 2×base, 4×base, …
MAX_RETRIES = 4
RETRY_BASE_SECONDS = 2.0
LONGEST_WAIT_SECONDS = 120.0
# Seconds to wait for a CRM to accept a connection, and then for its answer.
TIMEOUT_SECONDS = (15.0, 120.0)


class RowDigest:
    """Numbers each object's rows from 1 and keeps a SHA-256 over every row given.

    Each row enters the hash as one line of canonical JSON,
    ``{"object": ..., "row": n, "fields": {...}}`` with sorted keys, so the same
    rows read again give the same checksum.
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def stream(
        self,
        obj: str,
        rows: Iterator[dict[str, str]],
        done: Callable[[str, int], None],
    ) -> Iterator[tuple[int, dict[str, str]]]:
        count = 0
        for row in rows:
            count += 1
            line = json.dumps(
                {"object": obj, "row": count, "fields": row},
                sort_keys=True,
                ensure_ascii=False,
                separators=(",", ":"),
            )
            self._hash.update(line.encode("utf-8") + b"\n")
            yield count, row
        done(obj, count)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def iso_z(moment: datetime | None) -> str:
    """A moment as 2024-01-15T10:30:00.000Z (UTC, milliseconds), or "" for None."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def utc(moment: datetime) -> datetime:
    """The moment in UTC; a moment without a zone is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def plain_number(value: int | float | Decimal) -> str:
    """A number as plain decimal text: 15000, 1054.5, 0.2 (never 1.5E+4)."""
    if isinstance(value, int):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else value
    if not number.is_finite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


def as_text(value: object) -> str:
    """A JSON value as an export writes it: "" for null, true/false, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return plain_number(value)
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return iso_z(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def unreachable(host: str) -> str:
    return (
        f"coachbook could not reach {host}: check this computer's network "
        "connection, and the proxy settings (HTTPS_PROXY) if it needs a proxy "
        "to reach the internet."
    )


def too_slow(host: str, seconds: float) -> str:
    return (
        f"{host} did not answer within {seconds:g} seconds; it may be busy, or "
        "the network or proxy is slow. Try again later."
    )


def log_object(
    crm: str,
    obj: str,
    rows: int,
    since: datetime | None,
    watermark: datetime | None,
) -> None:
    logger.info(
        "%s object=%s rows=%d since=%s watermark=%s",
        crm,
        obj,
        rows,
        iso_z(since) or "-",
        iso_z(watermark) or "-",
    )
