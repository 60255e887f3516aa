"""What an importer reads from: a source of CRM rows, and the error a live one raises.

A source gives, per CRM object, an iterator of ``(row number, row)``. A row is a
dict keyed by the object's field names exactly as the CRM's API or data export
names them, with every value a string as an export would write it: ``""`` for
null, ISO dates and date-times, ``"true"``/``"false"``, numbers as plain decimal
text. Every row of one object has the same keys, so the first row serves as the
header.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Source(Protocol):
    label: str
    """Where the rows come from, for the import report, e.g.
    ``"salesforce api https://acme.my.salesforce.com"``."""

    def objects(self) -> list[str]:
        """The objects this source can give."""
        ...

    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None:
        """The object's rows, or None when this source does not have the object."""
        ...

    def checksum(self) -> str:
        """SHA-256 (hex) over what was read so far; it grows as rows stream."""
        ...


class ConnectorError(Exception):
    """A live CRM connection failed. The message is for the admin, in plain words:
    what went wrong and what to check. It never holds a password or token."""
