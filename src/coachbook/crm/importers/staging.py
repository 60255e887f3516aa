"""Scratch tables that hold one file's checked rows until they are merged in one statement.

Writing a million rows one model at a time costs more than reading and
checking them. So the importer checks each row in Python, as before, and
hands the values to a `Staging` table: PostgreSQL fills it with COPY,
SQLite with executemany. The rows then reach the real tables through a few
set-based statements (INSERT ... SELECT, UPDATE ... FROM), which the database
runs far faster than any loop here. The scratch table lives in the import's
transaction and connection, so a killed or failed import leaves nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper

CHUNK = 10_000

# The column types, as each database spells them.
TYPES = {
    "postgresql": {
        "text": "text",
        "int": "bigint",
        "date": "date",
        "moment": "timestamptz",
        "money": "numeric",
        "percent": "numeric",
    },
    "sqlite": {
        "text": "text",
        "int": "integer",
        "date": "date",
        "moment": "datetime",
        "money": "decimal",
        "percent": "decimal",
    },
}


def _sqlite_moment(value: datetime | None) -> str | None:
    # As Django stores an aware date-time in SQLite: UTC, without the offset.
    if value is None:
        return None
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


SQLITE_VALUES: dict[str, Callable[[Any], Any]] = {
    "moment": _sqlite_moment,
    "date": _sqlite_date,
    "money": _sqlite_number,
    "percent": _sqlite_number,
}


class Staging:
    """A temporary table of (name, type) columns, filled a chunk at a time.

    with Staging("activity", [("line", "int"), ("external_id", "text")]) as stage:
        for ...:
            stage.add((line, external_id))
        stage.close()  # the last chunk; then query it by stage.name
    """

    def __init__(
        self,
        name: str,
        columns: Sequence[tuple[str, str]],
        *,
        index: Iterable[str] = (),
    ) -> None:
        self.vendor = connection.vendor
        if self.vendor not in TYPES:
            raise NotImplementedError(
                f"imports need PostgreSQL or SQLite, not {self.vendor}"
            )
        self.name = f"coachbook_stage_{name}"
        self.columns = [column for column, _ in columns]
        self.types = [kind for _, kind in columns]
        self.index = list(index)
        self.rows = 0
        self._pending: list[tuple[Any, ...]] = []
        converters = [SQLITE_VALUES.get(kind) for kind in self.types]
        self._convert = (
            [(i, c) for i, c in enumerate(converters) if c is not None]
            if self.vendor == "sqlite"
            else []
        )

    def __enter__(self) -> Staging:
        types = TYPES[self.vendor]
        definition = ", ".join(
            f"{column} {types[kind]}"
            for column, kind in zip(self.columns, self.types, strict=True)
        )
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {self.name} ({definition})")
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending.clear()
        # Inside a failed transaction PostgreSQL runs nothing more; the
        # rollback removes the table then.
        if exc[0] is None:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.name}")

    def add(self, row: tuple[Any, ...]) -> None:
        self._pending.append(row)
        if len(self._pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        rows = self._pending
        self._pending = []
        self.rows += len(rows)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                self._copy(cursor, rows)
            else:
                self._insert(cursor, rows)

    def close(self) -> None:
        """Write the last chunk and index the table for the merge."""
        self.flush()
        with connection.cursor() as cursor:
            for number, column in enumerate(self.index):
                cursor.execute(
                    f"CREATE INDEX {self.name}_{number} ON {self.name} ({column})"
                )
            if self.vendor == "postgresql":
                cursor.execute(f"ANALYZE {self.name}")

    def _copy(self, cursor: CursorWrapper, rows: list[tuple[Any, ...]]) -> None:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        columns = ", ".join(self.columns)
        # As Django's cursor would, raise the server's errors as Django's own
        # (DatabaseError and kin), which the importer handles.
        with connection.wrap_database_errors:
            with raw.copy(f"COPY {self.name} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def _insert(self, cursor: CursorWrapper, rows: list[tuple[Any, ...]]) -> None:
        if self._convert:
            converted = []
            for row in rows:
                values = list(row)
                for i, convert in self._convert:
                    values[i] = convert(values[i])
                converted.append(values)
            rows = converted  # type: ignore[assignment]
        marks = ", ".join(["%s"] * len(self.columns))
        cursor.executemany(
            f"INSERT INTO {self.name} ({', '.join(self.columns)}) VALUES ({marks})",
            rows,
        )


def run(sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
    """Run one statement; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(
    sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def differs(a: str, b: str) -> str:
    """SQL that is true when a and b differ, counting NULL as a value."""
    if connection.vendor == "postgresql":
        return f"{a} IS DISTINCT FROM {b}"
    return f"{a} IS NOT {b}"
