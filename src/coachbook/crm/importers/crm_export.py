"""Importing a CRM's objects: people and teams, accounts, deals, their history, activities.

One importer serves every source; a `Layout` says where each field sits in
the source's files and what its stages mean. An import runs in one database
transaction: it applies whole, or, when the admin asks for it, applies the
good rows and lists every rejected one with its file, row, field and reason.
A killed process or a database error leaves the database as it was.

Deals are snapshots: importing a later export records each deal's stage
moves, close-date pushes and amount changes since the previous one, dated by
the export's as-of date, so "since last session" works without a history file.
"""

from __future__ import annotations

import itertools
import logging
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

from django.db import DatabaseError, connection, transaction

from coachbook.crm.importers import staging
from coachbook.crm.importers.layouts import NO_KIND, Layout, Stage
from coachbook.crm.importers.report import (
    ImportFailed,
    ImportRefused,
    ImportReport,
    database_failure,
)
from coachbook.crm.importers.staging import Staging
from coachbook.crm.models import (
    Account,
    Activity,
    CurrencyRate,
    ImportRun,
    Opportunity,
    StageChange,
)
from coachbook.lib import fields
from coachbook.lib.csvfiles import EXTRA, FileProblem
from coachbook.lib.values import EARLIEST, LATEST, MAX_AMOUNT
from coachbook.lib.words import plural
from coachbook.people.models import Organisation, Person, Team

logger = logging.getLogger(__name__)

BATCH = 2000
FIELDS_OF_ACCOUNT = ("name", "sector", "employees")
# A history row's columns, in the order the INSERT ... SELECTs below give them.
CHANGE_COLUMNS = (
    "opportunity_id, from_stage, to_stage, changed_on, amount, close_date, "
    "probability, derived, external_id"
)
# Read once: available_timezones() scans the system's zone files on each call.
ZONES = frozenset(zoneinfo.available_timezones())


# A deal's columns as the importer writes them, in the order _deal gives them.
DEAL_FIELDS = [
    ("external_id", "text"),
    ("name", "text"),
    ("owner_id", "int"),
    ("account_id", "int"),
    ("stage", "text"),
    ("stage_position", "int"),
    ("status", "text"),
    ("amount", "money"),
    ("source_amount", "money"),
    ("source_currency", "text"),
    ("currency", "text"),
    ("probability", "percent"),
    ("close_date", "date"),
    ("created_on", "date"),
    ("next_step", "text"),
    ("segment", "text"),
]


# The deal columns each optional file column fills. When a file lacks the
# column, deals already in coachbook keep what they have: a report exported
# without its Amount column says nothing about amounts.
DEAL_FIELDS_BY_COLUMN = {
    "name": ["name"],
    "account": ["account_id"],
    "amount": ["amount", "source_amount", "source_currency"],
    "probability": ["probability"],
    "close_date": ["close_date"],
    "created": ["created_on"],
    "next_step": ["next_step"],
    "segment": ["segment"],
}


class Source(Protocol):
    label: str

    def objects(self) -> list[str]: ...
    def rows(self, obj: str) -> Iterator[tuple[int, dict[str, str]]] | None: ...
    def checksum(self) -> str: ...


class Rejected(Exception):
    """One row refused: the field it failed on and why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


class RowRejected(Exception):
    """Several fields of one row refused, each with its reason."""

    def __init__(self, problems: list[Rejected]) -> None:
        super().__init__("; ".join(p.reason for p in problems))
        self.problems = problems


class Check:
    """Every refused field of one row, so the report lists them all at once.

    check = Check()
    close_date = check(self._date, columns, row, "close_date")  # None if refused
    ...
    check.done()  # raises Rejected or RowRejected if anything was refused
    """

    def __init__(self) -> None:
        self.problems: list[Rejected] = []

    def __call__(self, read: Callable[..., Any], *args: Any) -> Any:
        try:
            return read(*args)
        except Rejected as exc:
            self.problems.append(exc)
            return None

    def refuse(self, field_name: str, reason: str) -> None:
        self.problems.append(Rejected(field_name, reason))

    def done(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise RowRejected(self.problems)


@dataclass
class Columns:
    """Where each field is in one file: the layout's first candidate the header has."""

    file: str
    where: dict[str, str]
    fallbacks: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._candidates = {
            name: (column, *self.fallbacks.get(name, []))
            for name, column in self.where.items()
        }

    def value(self, row: dict[str, str], name: str) -> str | None:
        """The cell, stripped; None when the file has no column for the field.

        When the layout lists several columns and the file has more than one,
        an empty cell falls back to the next (Task's ActivityDate, then
        CreatedDate).
        """
        candidates = self._candidates.get(name)
        if candidates is None:
            return None
        if len(candidates) == 1:
            value = row.get(candidates[0])
            return value.strip() if value else ""
        for candidate in candidates:
            value = row.get(candidate)
            if value and (value := value.strip()):
                return value
        return ""


class CrmImporter:
    def __init__(
        self,
        source: Source,
        layout: Layout,
        *,
        as_of: date,
        run_by: Person | None = None,
        partial: bool = False,
        progress: Callable[[str, int], None] | None = None,
        default_owner: str | None = None,
    ) -> None:
        self.source = source
        self.layout = layout
        self.as_of = as_of
        self.run_by = run_by
        self.partial = partial
        self.progress = progress or (lambda obj, rows: None)
        self.report = ImportReport(source=layout.source, location=source.label)
        self.report.data_as_of = as_of
        org = Organisation.current()
        self.currency = org.currency
        self.zone = zoneinfo.ZoneInfo("UTC")
        self.people: dict[str, Person] = {}
        self.accounts: dict[str, int] = {}
        self.rates = list(CurrencyRate.objects.order_by("currency", "-valid_from"))
        self.unknown_kinds: Counter[tuple[str, str]] = Counter()
        # Spaces as typed do not make another person: "Pat  Admin" is Pat Admin.
        self.default_owner_name = " ".join((default_owner or "").split()) or None
        self.default_owner: Person | None = None

    # Running ---------------------------------------------------------------

    def run(self) -> ImportReport:
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Check each reference as its statement runs, not all at
                    # commit: the time shows in the step that causes it, and
                    # the server keeps no queue of millions of pending checks.
                    with connection.cursor() as cursor:
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        # The merges sort whole files; in memory, not on disk.
                        cursor.execute("SET LOCAL work_mem = '64MB'")
                self._import()
                if self.report.rejected and not self.partial:
                    raise ImportRefused(self.report)
        except DatabaseError as exc:
            raise self._failed(exc) from exc
        except ImportRefused:
            logger.warning(
                "import refused source=%s location=%s rejected_rows=%d problems=%d "
                "run_by=%s",
                self.layout.source,
                self.source.label,
                self.report.rejected_rows,
                len(self.report.rejected),
                self.run_by.pk if self.run_by else None,
            )
        else:
            self._move_data_clock()
            logger.info(
                "import applied source=%s location=%s checksum=%s counts=%s "
                "rejected_rows=%d run_by=%s",
                self.layout.source,
                self.source.label,
                self.source.checksum()[:12],
                {t: dict(c) for t, c in self.report.counts.items()},
                self.report.rejected_rows,
                self.run_by.pk if self.run_by else None,
            )
        self.report.checksum = self.source.checksum()
        self.report.partial = self.partial
        self.report.save_run(self.run_by)
        return self.report

    def _failed(self, exc: DatabaseError) -> ImportFailed:
        """The database stopped the import, and rolled all of it back."""
        logger.error(
            "import failed source=%s location=%s error=%s run_by=%s",
            self.layout.source,
            self.source.label,
            " ".join(str(exc).split())[:300],
            self.run_by.pk if self.run_by else None,
        )
        message = database_failure(exc)
        run = None
        try:
            with transaction.atomic():
                run = ImportRun.objects.create(
                    source=self.layout.source,
                    location=self.source.label,
                    checksum=self.source.checksum(),
                    status=ImportRun.Status.REFUSED,
                    run_by=self.run_by,
                    notes=[message],
                )
        except DatabaseError:
            # A full disk may refuse this too; the log line above stays.
            logger.warning("import failure not listed location=%s", self.source.label)
        return ImportFailed(message, run)

    def _move_data_clock(self) -> None:
        """When coachbook runs on historical data, its 'today' follows the newest export."""
        org = Organisation.current()
        if org.data_as_of and self.as_of > org.data_as_of:
            org.data_as_of = self.as_of
            org.save(update_fields=["data_as_of"])
            self.report.notes.append(
                f"The data now runs to {self.as_of:%-d %b %Y}; figures and briefs use "
                "that day as today."
            )

    def _import(self) -> None:
        present = {name.casefold() for name in self.source.objects()}
        if not present & {"opportunity", "history", "deals", "opportunityhistory"}:
            raise FileProblem(
                Path(self.source.label),
                "has no deals file; expected "
                + " or ".join(self.layout.objects["opportunity"].files),
            )
        for name in getattr(self.source, "unused_files", list)():
            self.report.notes.append(
                f"{name} was not read: it is not one of the {self.layout.title} "
                "files coachbook imports"
            )
        self._load_known_people()
        if self.default_owner_name:
            self.default_owner = self._person_named(self.default_owner_name)
        self._pipeline_stages()
        if "stages" in self.layout.objects and not self.layout.stages:
            raise FileProblem(
                Path(self.source.label),
                "has no pipeline stages file; expected "
                + " or ".join(self.layout.objects["stages"].files)
                + ". Deals name their stage by an id, and that file gives each id "
                "its name, its order and whether it is won or lost: export it "
                "with the deals",
            )
        self._users()
        self._crm_teams()
        self._accounts()
        self._opportunities()
        for obj in ("history", "history_versions"):
            self._history(obj)
        self._baselines()
        self._associations()
        for obj, kind in self.layout.activity_objects.items():
            self._activities(obj, kind)

    # Reading ---------------------------------------------------------------

    def _table(
        self, obj: str
    ) -> tuple[Columns, Iterator[tuple[int, dict[str, str]]]] | None:
        if obj not in self.layout.objects:
            return None
        rows = self.source.rows(obj)
        if rows is None:
            return None
        spec = self.layout.objects[obj]
        name = self._file_name(obj)
        first = next(rows, None)
        if first is not None:
            header = list(first[1])
        else:  # no rows: the header alone must still have the columns
            read_header = getattr(self.source, "header", None)
            header = read_header(obj) if read_header else []
        where, fallbacks = {}, {}
        for field_name, candidates in spec.columns.items():
            present = [c for c in candidates if c in header]
            if present:
                where[field_name] = present[0]
                fallbacks[field_name] = present[1:]
        missing = [f for f in spec.required if f not in where]
        if header and missing:
            columns = ", ".join(
                "/".join(spec.columns[f]) or f"(set {f} in the mapping file)"
                for f in missing
            )
            raise FileProblem(Path(name), f"missing column {columns}")

        def all_rows() -> Iterator[tuple[int, dict[str, str]]]:
            if first is not None:
                yield first
            yield from rows

        return Columns(name, where, fallbacks), all_rows()

    def _file_name(self, obj: str) -> str:
        return getattr(self.source, "file_name", lambda o: o)(obj)

    def _each(
        self, obj: str, table: str
    ) -> Iterator[tuple[Columns, int, dict[str, str]]]:
        found = self._table(obj)
        if found is None:
            return
        columns, rows = found
        count = 0
        self.report.tables[columns.file] = table
        self.report.count(table, "read", 0)
        try:
            for count, (line, row) in enumerate(rows, start=1):  # noqa: B007
                if count % 1000 == 0:
                    self.progress(obj, count)
                if EXTRA in row:
                    self.report.reject(columns.file, line, "(row)", row[EXTRA])
                    continue
                yield columns, line, row
        finally:
            self.report.count(table, "read", count)
        skipped = getattr(
            getattr(self.source, "tables", {}).get(obj), "skipped_footer_lines", 0
        )
        if skipped:
            self.report.notes.append(
                f"{columns.file}: {skipped} summary line(s) at the end of the file "
                "were skipped"
            )

    def _reject(
        self, columns: Columns, line: int, exc: Rejected | RowRejected | ValueError
    ) -> None:
        if isinstance(exc, RowRejected):
            for number, problem in enumerate(exc.problems):
                column = columns.where.get(problem.field, problem.field)
                self.report.reject(
                    columns.file, line, column, problem.reason, counted=number == 0
                )
        elif isinstance(exc, Rejected):
            # Name the column as the file has it, so the admin finds it.
            column = columns.where.get(exc.field, exc.field)
            self.report.reject(columns.file, line, column, exc.reason)
        else:
            self.report.reject(columns.file, line, "(row)", str(exc))

    # Values ----------------------------------------------------------------

    def _id(self, columns: Columns, row: dict[str, str], name: str) -> str:
        value = columns.value(row, name) or ""
        if not value:
            return ""
        return self._normalise_id(value, name)

    def _normalise_id(self, value: str, name: str) -> str:
        if self.layout.source != "salesforce":
            return value
        read = fields.salesforce_id if name == "id" else fields.salesforce_reference
        try:
            return read(value)
        except ValueError as exc:
            raise Rejected(name, str(exc)) from exc

    def _date(self, columns: Columns, row: dict[str, str], name: str) -> date | None:
        value = columns.value(row, name)
        if not value:
            return None
        try:
            day = fields.parse_date(value, day_first=self.layout.day_first)
        except ValueError as exc:
            raise Rejected(name, str(exc)) from exc
        return self._in_range(name, value, day)

    def _in_range(self, name: str, value: str, day: date | None) -> date | None:
        if day is not None and not EARLIEST <= day <= LATEST:
            raise Rejected(name, f"'{value}' is outside {EARLIEST.year}–{LATEST.year}")
        return day

    def _when(
        self, columns: Columns, row: dict[str, str], name: str
    ) -> datetime | None:
        value = columns.value(row, name)
        if not value:
            return None
        try:
            moment = fields.parse_datetime(
                value, day_first=self.layout.day_first, zone=self.zone
            )
        except ValueError as exc:
            raise Rejected(name, str(exc)) from exc
        if moment is not None:
            self._in_range(name, value, moment.date())
        return moment

    def _money(
        self, columns: Columns, row: dict[str, str], on: date
    ) -> tuple[Decimal | None, Decimal | None, str]:
        """(amount in the org's currency, amount as written, its currency)."""
        value = columns.value(row, "amount")
        code = (columns.value(row, "currency") or "").upper() or self.currency
        if len(code) != 3 or not code.isascii() or not code.isalpha():
            raise Rejected(
                "currency",
                f"'{columns.value(row, 'currency')}' is not a currency code; write "
                "the three-letter code, such as EUR",
            )
        if not value:
            return None, None, code
        try:
            parsed = fields.parse_money(
                value, default_currency=code, decimal_comma=self.layout.decimal_comma
            )
        except ValueError as exc:
            raise Rejected("amount", str(exc)) from exc
        if parsed is None:
            return None, None, code
        amount, currency = parsed
        written = columns.value(row, "currency")
        if written and currency != written.upper():
            raise Rejected(
                "amount",
                f"'{value}' is in {currency} but the row's currency is "
                f"{written.upper()}; correct one of the two",
            )
        converted = self._convert(amount, currency, on)
        if max(abs(amount), abs(converted)) > MAX_AMOUNT:
            raise Rejected(
                "amount", f"'{value}' is larger than {MAX_AMOUNT:,} {self.currency}"
            )
        return converted, amount, currency

    def _convert(self, amount: Decimal, currency: str, on: date) -> Decimal:
        if currency == self.currency:
            return amount
        for rate in self.rates:
            if rate.currency == currency and rate.valid_from <= on:
                # Half up, as a spreadsheet rounds: 3,125.625 is 3,125.63.
                return (amount * rate.rate).quantize(
                    fields.CENT, rounding=ROUND_HALF_UP
                )
        raise Rejected(
            "amount",
            f"is in {currency} and there is no {currency} rate on or before {on}; "
            f"add one under Currency rates and import again",
        )

    def _percent(self, columns: Columns, row: dict[str, str]) -> Decimal | None:
        value = columns.value(row, "probability")
        if not value:
            return None
        try:
            return fields.parse_percent(value)
        except ValueError as exc:
            raise Rejected("probability", str(exc)) from exc

    # People and teams ------------------------------------------------------

    def _person_named(self, name: str) -> Person:
        """The person a file without owners is assigned to; added as a rep if new."""
        person = Person.objects.filter(full_name__iexact=name.strip()).first()
        if person is None:
            person = Person.objects.create(
                username=Person.free_username(name),
                full_name=name.strip(),
                role=Person.Role.REP,
            )
            person.set_unusable_password()
            person.save(update_fields=["password"])
            self.report.count("people", "added as owner")
        return person

    def _load_known_people(self) -> None:
        self.people = {
            p.external_id: p
            for p in Person.objects.filter(external_id__isnull=False)
            if p.external_id
        }

    def _need_owner_column(self, columns: Columns, obj: str, things: str) -> None:
        """A file with no owner column stops the import, unless one owner was named."""
        if "owner" in columns.where and self.default_owner_name:
            note = (
                f"{columns.file} names its rows' owners: only {things} whose owner "
                f"is empty go to {self.default_owner_name}"
            )
            self.report.notes.append(note)
        if "owner" not in columns.where and self.default_owner is None:
            names = (
                "/".join(self.layout.objects[obj].columns.get("owner", [])) or "owner"
            )
            raise FileProblem(
                Path(columns.file),
                f"has no owner column ({names}), so its {things} cannot be given to "
                f"reps; export it with the owner, or say whose {things} they are "
                "(--owner on the command line, Owner on the import page)",
            )

    def _owner_id(
        self,
        columns: Columns,
        row: dict[str, str],
        name: str = "owner",
        thing: str = "deal",
    ) -> str | None:
        """The row's owner id, checked; None when the row names no owner (or
        the file has no owner column) and the user named one owner for it."""
        if name not in columns.where:
            if self.default_owner is not None:
                return None
            raise Rejected(
                "(owner)",
                f"the file has no owner column, so no {thing} can be given to a rep; "
                "export it with its owner, or name one with --owner",
            )
        owner_id = self._id(columns, row, name)
        if not owner_id and self.default_owner is not None:
            return None  # the owner the user named takes the rows with none
        if not owner_id:
            raise Rejected(
                columns.where.get(name, name), f"is empty; every {thing} needs an owner"
            )
        return owner_id

    def _person(self, owner_id: str | None) -> Person:
        """The owner with this id; added by id when the user file lacks them."""
        if owner_id is None:
            assert self.default_owner is not None
            return self.default_owner
        person = self.people.get(owner_id)
        if person is None:
            # The export names an owner its user file does not: keep the deal,
            # add the owner by id, and say so; sales ops can name them later.
            person = Person.objects.create(
                username=Person.free_username(f"{self.layout.source} {owner_id}"),
                full_name=f"{self.layout.title} user {owner_id}",
                role=Person.Role.REP,
                external_id=owner_id,
            )
            person.set_unusable_password()
            person.save(update_fields=["password"])
            self.people[owner_id] = person
            self.report.count("people", "added by id")
            if self.report.counts["people"]["added by id"] == 1:
                self.report.notes.append(
                    f"Owners the export names but its user file lacks are added "
                    f"as reps named by their id, such as '{person.full_name}'; "
                    "give them their names (and a team) under People in Data "
                    "and settings"
                )
        return person

    def _users(self) -> None:
        users: dict[str, dict[str, Any]] = {}
        lines: dict[str, int] = {}
        file, id_column, manager_column = "", "", ""
        for columns, line, row in self._each("user", "users"):
            file, id_column = columns.file, columns.where.get("id", "id")
            manager_column = columns.where.get("manager", "manager")
            try:
                user_id = self._id(columns, row, "id")
                if not user_id:
                    raise Rejected("id", "is empty; every user needs their id")
                name = columns.value(row, "name") or " ".join(
                    part
                    for part in (
                        columns.value(row, "first_name"),
                        columns.value(row, "last_name"),
                    )
                    if part
                )
                zone = columns.value(row, "time_zone") or "UTC"
                if zone not in ZONES:
                    raise Rejected("time_zone", f"'{zone}' is not a time zone name")
                active = columns.value(row, "active")
                user: dict[str, Any] = {
                    "name": name or user_id,
                    "email": columns.value(row, "email") or "",
                    "manager": self._id(columns, row, "manager"),
                    "active": fields.parse_bool(active) if active else True,
                    "zone": zone,
                }
            except (Rejected, ValueError) as exc:
                self._reject(columns, line, exc)
                continue
            if user_id not in users:
                users[user_id], lines[user_id] = user, line
            elif users[user_id] == user:
                self.report.count("users", "duplicate in file")
            else:
                self.report.reject(
                    file,
                    line,
                    id_column,
                    f"user {user_id} is also on row {lines[user_id]} with different "
                    "values; keep one of the two rows",
                )
        for looped in _manager_loops(users):
            names = " and ".join(users[u]["name"] for u in looped)
            for user_id in looped:
                self.report.reject(
                    file,
                    lines[user_id],
                    manager_column,
                    f"{names} are each other's managers, directly or through "
                    "others; correct one of their managers",
                )
            for user_id in looped:
                del users[user_id]
        if not users:
            return
        managers = {u["manager"] for u in users.values() if u["manager"] in users}
        leads = {users[m]["manager"] for m in managers} & managers
        for user_id, user in users.items():
            role = (
                Person.Role.SECOND_LINE
                if user_id in leads
                else Person.Role.MANAGER
                if user_id in managers
                else Person.Role.REP
            )
            values = {
                "full_name": user["name"],
                "email": user["email"],
                "role": role,
                "is_active": bool(user["active"]),
                "time_zone": user["zone"],
            }
            person = self.people.get(user_id)
            if person is None:
                person = Person(
                    username=Person.free_username(user["name"]),
                    external_id=user_id,
                    **values,
                )
                person.set_unusable_password()
                person.save()
                self.people[user_id] = person
                self.report.count("users", "created")
            elif any(getattr(person, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(person, k, v)
                person.save(update_fields=list(values))
                self.report.count("users", "updated")
            else:
                self.report.count("users", "unchanged")
        self._teams(users, managers, leads)

    def _teams(
        self, users: dict[str, dict[str, Any]], managers: set[str], leads: set[str]
    ) -> None:
        org = Organisation.current()
        company, _ = Team.objects.get_or_create(
            kind=Team.Kind.COMPANY, parent=None, defaults={"name": org.name}
        )
        teams: dict[str, Team] = {}

        def team_of(manager_id: str) -> Team:
            if manager_id in teams:
                return teams[manager_id]
            boss = users[manager_id]["manager"]
            parent = (
                team_of(boss) if boss in managers and boss != manager_id else company
            )
            manager = self.people[manager_id]
            team, created = Team.objects.get_or_create(
                parent=parent,
                name=f"{manager.full_name}'s team",
                defaults={
                    "kind": Team.Kind.REGION if manager_id in leads else Team.Kind.TEAM,
                    "manager": manager,
                },
            )
            if team.manager_id != manager.pk:
                team.manager = manager
                team.save(update_fields=["manager"])
            self.report.count("teams", "created" if created else "unchanged")
            teams[manager_id] = team
            return team

        for user_id, user in users.items():
            boss = user["manager"]
            person = self.people[user_id]
            team = team_of(boss) if boss in managers else None
            if team is not None and person.team_id != team.pk:
                person.team = team
                person.save(update_fields=["team"])

    def _pipeline_stages(self) -> None:
        """A CRM that keeps its stages in a file (HubSpot's pipelines) adds them to the list."""
        for columns, line, row in self._each("stages", "stages"):
            stage_id = columns.value(row, "id") or ""
            if not stage_id:
                continue
            try:
                closed = fields.parse_bool(columns.value(row, "is_closed") or "")
                won = fields.parse_bool(columns.value(row, "is_won") or "")
                order = int(Decimal(columns.value(row, "order") or "0"))
            except (ValueError, ArithmeticError) as exc:
                self._reject(columns, line, ValueError(str(exc)))
                continue
            self.layout.stages[stage_id.casefold()] = Stage(
                name=(columns.value(row, "label") or stage_id)[:100],
                order=order,
                category="won" if won else "lost" if closed else "open",
            )
            self.report.count("stages", "read from pipelines")

    def _crm_teams(self) -> None:
        """Teams a CRM names (HubSpot's), with each person's primary team."""
        names = {
            columns.value(row, "id") or "": columns.value(row, "name") or ""
            for columns, _, row in self._each("team", "teams")
        }
        if not names:
            return
        org = Organisation.current()
        company, _ = Team.objects.get_or_create(
            kind=Team.Kind.COMPANY, parent=None, defaults={"name": org.name}
        )
        teams = {}
        for team_id, name in names.items():
            team, created = Team.objects.get_or_create(
                parent=company,
                name=name or f"Team {team_id}",
                defaults={"kind": Team.Kind.TEAM},
            )
            teams[team_id] = team
            self.report.count("teams", "created" if created else "unchanged")
        for columns, line, row in self._each("team_member", "team members"):
            person = self.people.get(columns.value(row, "person") or "")
            member_of = teams.get(columns.value(row, "team") or "")
            primary = columns.value(row, "primary")
            if person is None or member_of is None:
                self.report.reject(
                    columns.file,
                    line,
                    columns.where.get("person", "person"),
                    "names a person or team that is not in the owners or teams file",
                )
                continue
            if primary in (None, "") or fields.parse_bool(primary):
                if person.team_id != member_of.pk:
                    person.team = member_of
                    person.save(update_fields=["team"])
                    self.report.count("team members", "updated")
                else:
                    self.report.count("team members", "unchanged")
            else:
                self.report.count("team members", "other team, not primary")

    # Accounts --------------------------------------------------------------

    def _accounts(self) -> None:
        """Accounts are checked row by row and written a batch at a time."""
        existing = dict(Account.objects.values_list("external_id", "pk"))
        parents: list[tuple[str, str]] = []
        batch: dict[str, dict[str, Any]] = {}
        first_seen: dict[str, tuple[int, int]] = {}  # id: (row, hash of values)
        for columns, line, row in self._each("account", "accounts"):
            try:
                account_id = self._id(columns, row, "id")
                if not account_id:
                    raise Rejected("id", "is empty; every account needs its id")
                name = columns.value(row, "name") or ""
                if not name:
                    raise Rejected(
                        columns.where["name"], "is empty; an account needs a name"
                    )
                # A column the file lacks leaves that field as it was.
                values: dict[str, Any] = {"name": name[:200]}
                if "sector" in columns.where:
                    values["sector"] = (columns.value(row, "sector") or "")[:100]
                if "employees" in columns.where:
                    employees = columns.value(row, "employees")
                    values["employees"] = _employees(employees) if employees else None
                parent = self._id(columns, row, "parent")
            except (Rejected, ValueError, ArithmeticError) as exc:
                self._reject(
                    columns,
                    line,
                    exc
                    if isinstance(exc, Rejected | ValueError)
                    else ValueError(str(exc)),
                )
                continue
            fingerprint = hash((tuple(values.items()), parent))
            if account_id in first_seen:
                first_line, first = first_seen[account_id]
                if first == fingerprint:
                    self.report.count("accounts", "duplicate in file")
                else:
                    self.report.reject(
                        columns.file,
                        line,
                        columns.where["id"],
                        f"account {account_id} is also on row {first_line} with "
                        "different values; keep one of the two rows",
                    )
                continue
            first_seen[account_id] = (line, fingerprint)
            batch[account_id] = values
            if parent:
                parents.append((account_id, parent))
            if len(batch) >= BATCH:
                self._save_accounts(batch, existing)
                batch = {}
        self._save_accounts(batch, existing)
        all_accounts = {**existing, **self.accounts}
        linked = [
            Account(pk=all_accounts[account_id], parent_id=all_accounts[parent])
            for account_id, parent in parents
            if parent in all_accounts
        ]
        Account.objects.bulk_update(linked, ["parent"], batch_size=BATCH)
        self.accounts = all_accounts

    def _save_accounts(
        self, batch: dict[str, dict[str, Any]], existing: dict[str, int]
    ) -> None:
        new = [
            Account(external_id=account_id, **values)
            for account_id, values in batch.items()
            if account_id not in existing
        ]
        Account.objects.bulk_create(new, batch_size=BATCH)
        self.report.count("accounts", "created", len(new))
        known = {existing[a]: a for a in batch if a in existing}
        changed = []
        for current in Account.objects.filter(pk__in=known).only(*FIELDS_OF_ACCOUNT):
            values = batch[known[current.pk]]
            if any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                changed.append(current)
        written = sorted({name for values in batch.values() for name in values})
        if changed:
            Account.objects.bulk_update(changed, written, batch_size=BATCH)
        self.report.count("accounts", "updated", len(changed))
        self.report.count("accounts", "unchanged", len(known) - len(changed))
        self.accounts.update(
            Account.objects.filter(external_id__in=list(batch)).values_list(
                "external_id", "pk"
            )
        )

    # Deals -----------------------------------------------------------------

    def _opportunities(self) -> None:
        """Deals are checked row by row, then compared with coachbook's copy in a few statements."""
        self.rejected_deals: set[str] = set()
        columns_of = [("line", "int"), *DEAL_FIELDS]
        first_rejection = len(self.report.rejected)
        with Staging("deal", columns_of, index=["external_id", "line"]) as stage:
            file, id_column = "", ""
            present: set[str] = set()
            for columns, line, row in self._each("opportunity", "opportunities"):
                if not present:  # the file's first row: what it has, once
                    self._need_owner_column(columns, "opportunity", "deals")
                    file, id_column = columns.file, columns.where["id"]
                    present = set(columns.where)
                try:
                    deal = self._deal(columns, row)
                except (Rejected, RowRejected, ValueError) as exc:
                    self._reject(columns, line, exc)
                    raw_id = columns.value(row, "id") or ""
                    if raw_id:
                        try:
                            self.rejected_deals.add(self._normalise_id(raw_id, "id"))
                        except Rejected:
                            pass
                    continue
                stage.add((line, *deal))
            stage.close()
            if stage.rows:
                self._drop_repeats(
                    stage,
                    [name for name, _ in DEAL_FIELDS if name != "external_id"],
                    (file, id_column),
                    "opportunities",
                    "deal",
                )
                self._keep_fields_without_columns(stage, file, present)
                self._note_lookalike_deals(stage, file)
                self._merge_deals(stage)
        # Repeats are found after reading: list the file's rejections in row
        # order again.
        self.report.rejected[first_rejection:] = sorted(
            self.report.rejected[first_rejection:], key=lambda r: r.row
        )

    def _drop_repeats(
        self,
        stage: Staging,
        fields: list[str],
        where: tuple[str, str],
        table: str,
        thing: str,
    ) -> None:
        """A record the file lists again is kept once, from its first row.

        A later row that agrees with the first is counted as a duplicate; one
        that differs is refused, naming the first row. The database finds them,
        so memory does not grow with the size of the file. `where` is the file
        and its id column, for the refusal.
        """
        file, id_column = where
        differs = " OR ".join(staging.differs(f"r.{n}", f"f.{n}") for n in fields)
        repeats = staging.fetch(
            f"""
            SELECT r.line, r.external_id, f.line, CASE WHEN {differs} THEN 1 ELSE 0 END
            FROM {stage.name} r
            JOIN (SELECT external_id, min(line) AS line FROM {stage.name}
                  GROUP BY external_id HAVING count(*) > 1) first
              ON first.external_id = r.external_id AND r.line > first.line
            JOIN {stage.name} f
              ON f.external_id = first.external_id AND f.line = first.line
            ORDER BY r.line
            """
        )
        if not repeats:
            return
        for line, record_id, first_line, different in repeats:
            if different:
                self.report.reject(
                    file,
                    line,
                    id_column,
                    f"{thing} {record_id} is also on row {first_line} "
                    "with different values; keep one of the two rows",
                )
            else:
                self.report.count(table, "duplicate in file")
        staging.run(
            f"""
            DELETE FROM {stage.name} WHERE line > (
                SELECT min(f.line) FROM {stage.name} f
                WHERE f.external_id = {stage.name}.external_id
            )
            """
        )

    def _note_lookalike_deals(self, stage: Staging, file: str) -> None:
        """Deals with different ids but the same name and amount: most often
        records loaded twice into the CRM."""
        (lookalikes,) = staging.fetch(
            f"""
            SELECT coalesce(sum(n), 0) FROM (
                SELECT count(*) AS n FROM {stage.name}
                WHERE amount IS NOT NULL
                GROUP BY name, amount
                HAVING count(*) > 1
            ) same
            """
        )[0]
        if lookalikes:
            self.report.notes.append(
                f"{file}: {lookalikes:,} deals have the same name and amount as "
                "another deal with a different id. They are "
                "kept as they are; if the CRM holds them twice by mistake, their "
                "pipeline counts twice until the copies are removed there"
            )

    def _keep_fields_without_columns(
        self, stage: Staging, file: str, present: set[str]
    ) -> None:
        """Deals already here keep the fields this file has no column for."""
        missing = [c for c in DEAL_FIELDS_BY_COLUMN if c not in present]
        if not missing:
            return
        deal = Opportunity._meta.db_table
        settings = ", ".join(
            f"{name} = (SELECT o.{name} FROM {deal} o "
            f"WHERE o.external_id = {stage.name}.external_id)"
            for column in missing
            for name in DEAL_FIELDS_BY_COLUMN[column]
        )
        kept = staging.run(
            f"""
            UPDATE {stage.name} SET {settings}
            WHERE EXISTS (
                SELECT 1 FROM {deal} o WHERE o.external_id = {stage.name}.external_id
            )
            """
        )
        spec = self.layout.objects["opportunity"]
        named = [spec.columns[c][0] for c in missing if spec.columns.get(c)]
        if kept and named:
            self.report.notes.append(
                f"{file} has no {' or '.join(named)} column, so what it would "
                f"say there is left as it was on the {plural(kept, 'deal')} "
                "already in coachbook"
            )

    def _deal(self, columns: Columns, row: dict[str, str]) -> tuple[Any, ...]:
        """The row's values in the order of DEAL_FIELDS; every bad field refused at once."""
        check = Check()
        label = columns.value(row, "stage") or ""
        stage = self.layout.stage(label) if label else None
        if not label:
            check.refuse("stage", "is empty; every deal needs its stage")
        elif stage is None:
            check.refuse(
                columns.where["stage"],
                f"'{label}' is not in the stage list; add it to your mapping file "
                "with its order and category (open, won or lost)",
            )
        external_id = check(self._id, columns, row, "id")
        if external_id == "":
            check.refuse("id", "is empty; every deal needs its id")
        close_date = check(self._date, columns, row, "close_date")
        created = check(self._when, columns, row, "created")
        money = check(self._money, columns, row, close_date or self.as_of)
        account_id = check(self._id, columns, row, "account")
        probability = check(self._percent, columns, row)
        owner_id = check(self._owner_id, columns, row)
        check.done()
        assert stage is not None
        # Only for a good row: an owner the user file lacks is added to
        # coachbook, which a refused row must not do.
        owner = self._person(owner_id)
        amount, source_amount, source_currency = money
        return (
            external_id,
            (columns.value(row, "name") or "")[:300] or "(no name)",
            owner.pk,
            self.accounts.get(account_id) if account_id else None,
            stage.name,
            stage.order,
            stage.category,
            amount,
            source_amount,
            source_currency if source_amount is not None else "",
            self.currency,
            probability,
            close_date,
            created.date() if created else None,
            columns.value(row, "next_step"),
            (columns.value(row, "segment") or "")[:100],
        )

    def _merge_deals(self, stage: Staging) -> None:
        """New deals are added; a deal already here is updated, and if its stage,
        close date or amount changed since an earlier export, that change is
        recorded as history dated by this export."""
        deal, change = Opportunity._meta.db_table, StageChange._meta.db_table
        as_of = connection.ops.adapt_datefield_value(self.as_of)
        same_export = f"snapshot:{self.as_of.isoformat()}"
        moved = " OR ".join(
            staging.differs(f"o.{name}", f"s.{name}")
            for name in ("stage", "close_date", "amount")
        )

        def changed(table: str) -> str:
            return " OR ".join(
                staging.differs(f"{table}.{name}", f"s.{name}")
                for name, _ in DEAL_FIELDS
                if name != "external_id"
            )

        # A deal a later export already updated is left as that export had it.
        current = "(o.snapshot_on IS NULL OR o.snapshot_on <= %(as_of)s)"
        params = {"as_of": as_of, "source": self.layout.source, "tag": same_export}
        joined = f"FROM {stage.name} s JOIN {deal} o ON o.external_id = s.external_id"

        older, updated, unchanged = staging.fetch(
            f"""
            SELECT
              coalesce(sum(CASE WHEN NOT {current} THEN 1 ELSE 0 END), 0),
              coalesce(sum(CASE WHEN {current} AND ({changed("o")}) THEN 1 ELSE 0 END), 0),
              coalesce(sum(CASE WHEN {current} AND NOT ({changed("o")}) THEN 1 ELSE 0 END), 0)
            {joined}
            """,
            params,
        )[0]
        # A second export of the same day: the day's row shows the deal as
        # the latest export has it, still from the stage before that day.
        again = staging.run(
            f"""
            UPDATE {change} SET to_stage = s.stage, amount = s.amount,
                close_date = s.close_date, probability = s.probability
            FROM {stage.name} s JOIN {deal} o ON o.external_id = s.external_id
            WHERE {change}.opportunity_id = o.id
              AND {change}.external_id = %(tag)s
              AND o.snapshot_on = %(as_of)s
              AND ({moved})
            """,
            params,
        )
        history = staging.run(
            f"""
            INSERT INTO {change}
                ({CHANGE_COLUMNS})
            SELECT o.id, o.stage, s.stage, %(as_of)s, s.amount, s.close_date,
                   s.probability, false, %(tag)s
            {joined}
            WHERE o.snapshot_on <= %(as_of)s AND ({moved})
            ORDER BY s.line
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        settings = ", ".join(f"{name} = s.{name}" for name, _ in DEAL_FIELDS)
        staging.run(
            f"""
            UPDATE {deal} SET {settings},
                stage_entered_on = CASE
                    WHEN {deal}.snapshot_on <= %(as_of)s AND {deal}.stage <> s.stage
                    THEN %(as_of)s ELSE {deal}.stage_entered_on END,
                snapshot_on = %(as_of)s
            FROM {stage.name} s
            WHERE {deal}.external_id = s.external_id
              AND ({deal}.snapshot_on IS NULL OR {deal}.snapshot_on <= %(as_of)s)
              AND ({changed(deal)}
                   OR {staging.differs(f"{deal}.snapshot_on", "%(as_of)s")})
            """,
            params,
        )
        undone = self._drop_undone_changes(stage, same_export)
        names = ", ".join(name for name, _ in DEAL_FIELDS)
        created = staging.run(
            f"""
            INSERT INTO {deal}
                ({names}, source, snapshot_on, amount_is_list_price)
            SELECT {", ".join(f"s.{name}" for name, _ in DEAL_FIELDS)},
                   %(source)s, %(as_of)s, false
            FROM {stage.name} s
            WHERE NOT EXISTS (
                SELECT 1 FROM {deal} o WHERE o.external_id = s.external_id
            )
            ORDER BY s.line
            """,
            params,
        )
        self.report.count("opportunities", "created", created)
        if older:
            self.report.count(
                "opportunities", "older than the last import, kept", older
            )
        self.report.count("opportunities", "updated", updated)
        self.report.count("opportunities", "unchanged", unchanged)
        self.report.count("history", "from comparing exports", history)
        if again - undone:
            self.report.count("history", "changed again the same day", again - undone)
        if undone:
            self.report.count("history", "undone the same day", undone)

    def _drop_undone_changes(self, stage: Staging, tag: str) -> int:
        """Rows of this export's day that a second export of the day has put
        back as they were: removed, with the deal's stage date as before."""
        change, deal = StageChange._meta.db_table, Opportunity._meta.db_table

        def previous(column: str) -> str:
            return f"""(SELECT p.{column} FROM {change} p
                WHERE p.opportunity_id = c.opportunity_id AND p.id <> c.id
                  AND p.changed_on <= c.changed_on
                ORDER BY p.changed_on DESC, p.id DESC LIMIT 1)"""

        same = " AND ".join(
            f"NOT ({staging.differs(f'c.{column}', previous(column))})"
            for column in ("to_stage", "amount", "close_date", "probability")
        )
        found = staging.fetch(
            f"""
            SELECT c.id, c.opportunity_id FROM {change} c
            WHERE c.external_id = %s AND c.from_stage = c.to_stage
              AND c.opportunity_id IN (
                  SELECT o.id FROM {stage.name} s
                  JOIN {deal} o ON o.external_id = s.external_id)
              AND {same}
            """,
            [tag],
        )
        for start in range(0, len(found), BATCH):
            chunk = found[start : start + BATCH]
            marks = ", ".join(["%s"] * len(chunk))
            staging.run(
                f"DELETE FROM {change} WHERE id IN ({marks})", [i for i, _ in chunk]
            )
            # The stage date goes back to the last move into the deal's stage;
            # none if coachbook has only seen it there (a first-seen row).
            staging.run(
                f"""
                UPDATE {deal} SET stage_entered_on = (
                    SELECT max(c.changed_on) FROM {change} c
                    WHERE c.opportunity_id = {deal}.id
                      AND c.to_stage = {deal}.stage AND c.from_stage <> c.to_stage
                      AND NOT (c.from_stage = '' AND c.external_id LIKE %s))
                WHERE id IN ({marks})
                """,
                ["snapshot:%", *(o for _, o in chunk)],
            )
        return len(found)

    # History ---------------------------------------------------------------

    def _history(self, obj: str) -> None:
        """History rows are checked one by one, then written and linked in a few statements."""
        columns_of = [
            ("line", "int"),
            ("deal", "text"),
            ("to_stage", "text"),
            ("changed_at", "moment"),
            ("changed_on", "date"),
            ("amount", "money"),
            ("close_date", "date"),
            ("probability", "percent"),
            ("external_id", "text"),
        ]
        first_rejection = len(self.report.rejected)
        with Staging("history", columns_of, index=["deal"]) as stage:
            file = ""
            for columns, line, row in self._each(obj, "history"):
                file = columns.file
                try:
                    stage.add(self._history_row(columns, line, row))
                except (Rejected, RowRejected, ValueError) as exc:
                    # A row of a deal coachbook does not have is refused for
                    # that, whatever else is wrong with it.
                    missing = self._missing_deal(columns, row)
                    self._reject(columns, line, missing or exc)
            stage.close()
            if stage.rows:
                self._merge_history(stage, file, columns.where["opportunity"])
        # Rows refused by the database come after those refused on reading:
        # list the file's rejections in row order again.
        self.report.rejected[first_rejection:] = sorted(
            self.report.rejected[first_rejection:], key=lambda r: r.row
        )

    def _history_row(
        self, columns: Columns, line: int, row: dict[str, str]
    ) -> tuple[Any, ...]:
        check = Check()
        deal_id = check(self._id, columns, row, "opportunity")
        if deal_id == "":
            check.refuse("opportunity", "is empty; a history row needs its deal")
        label = columns.value(row, "stage") or ""
        stage = self.layout.stage(label)
        if stage is None:
            check.refuse(
                columns.where["stage"],
                f"'{label}' is not in the stage list; add it to your mapping file",
            )
        refused = len(check.problems)
        when = check(self._when, columns, row, "created")
        if when is None and len(check.problems) == refused:  # empty, not unreadable
            check.refuse(
                columns.where["created"], "is empty; a history row needs its date"
            )
        close_date = check(self._date, columns, row, "close_date")
        on = close_date or (when.date() if when else self.as_of)
        money = check(self._money, columns, row, on)
        probability = check(self._percent, columns, row)
        history_id = check(self._id, columns, row, "id")
        check.done()
        assert stage is not None and when is not None
        return (
            line,
            deal_id,
            stage.name,
            when,
            when.date(),  # the day where it happened, not in UTC
            money[0],
            close_date,
            probability,
            history_id or f"{deal_id}:{when.isoformat()}",
        )

    def _unknown_deal(self, deal_id: str) -> str:
        if deal_id in self.rejected_deals:
            return f"deal {deal_id} was refused above, so its history is left out"
        return f"deal {deal_id} is not in the deals file or coachbook"

    def _missing_deal(self, columns: Columns, row: dict[str, str]) -> Rejected | None:
        try:
            deal_id = self._id(columns, row, "opportunity")
        except Rejected:
            return None
        if not deal_id or Opportunity.objects.filter(external_id=deal_id).exists():
            return None
        return Rejected("opportunity", self._unknown_deal(deal_id))

    def _merge_history(self, stage: Staging, file: str, deal_column: str) -> None:
        change, deal = StageChange._meta.db_table, Opportunity._meta.db_table
        unknown = staging.fetch(
            f"""
            SELECT s.line, s.deal FROM {stage.name} s
            WHERE NOT EXISTS (SELECT 1 FROM {deal} d WHERE d.external_id = s.deal)
            ORDER BY s.line
            """
        )
        for line, deal_id in unknown:
            self.report.reject(file, line, deal_column, self._unknown_deal(deal_id))
        # The deals this file speaks of, for linking below.
        staging.run("DROP TABLE IF EXISTS coachbook_stage_touched")
        staging.run(
            f"""
            CREATE TEMPORARY TABLE coachbook_stage_touched AS
            SELECT DISTINCT d.id FROM {stage.name} s
            JOIN {deal} d ON d.external_id = s.deal
            """
        )
        matched = stage.rows - len(unknown)
        # In time order, so rows of one day keep the order they happened in.
        # Each row's earlier stage is the file's row before it; _link_history
        # then corrects only the rows that history from elsewhere (an earlier
        # import, a snapshot) comes between, so a first import rewrites nothing.
        created = staging.run(
            f"""
            INSERT INTO {change}
                ({CHANGE_COLUMNS})
            SELECT d.id,
                   coalesce(lag(s.to_stage) OVER (
                       PARTITION BY s.deal ORDER BY s.changed_on, s.changed_at, s.line
                   ), ''),
                   s.to_stage, s.changed_on, s.amount, s.close_date,
                   s.probability, false, s.external_id
            FROM {stage.name} s JOIN {deal} d ON d.external_id = s.deal
            WHERE true
            ORDER BY s.changed_at, s.line
            ON CONFLICT DO NOTHING
            """
        )
        self.report.count("history", "created", created)
        self.report.count("history", "unchanged", matched - created)
        self._link_history()
        staging.run("DROP TABLE coachbook_stage_touched")

    def _link_history(self) -> None:
        """Each row's earlier stage, and the day each deal entered its current stage.

        For the deals in coachbook_stage_touched. A history file's row, and a
        row made by comparing exports, takes its earlier stage from the row
        before it: a move the file dates between two exports is then not
        counted again on the later export's day. Rows worked out from dates
        keep theirs.
        """
        change, deal = StageChange._meta.db_table, Opportunity._meta.db_table
        staging.run(
            f"""
            UPDATE {change} SET from_stage = earlier.stage
            FROM (
                SELECT c.id,
                       coalesce(lag(c.to_stage) OVER (
                           PARTITION BY c.opportunity_id ORDER BY c.changed_on, c.id
                       ), '') AS stage
                FROM {change} c
                WHERE c.opportunity_id IN (SELECT id FROM coachbook_stage_touched)
            ) earlier
            WHERE {change}.id = earlier.id
              AND NOT {change}.derived
              AND {change}.external_id <> ''
              AND {change}.from_stage <> earlier.stage
            """
        )
        staging.run(
            f"""
            UPDATE {deal} SET stage_entered_on = latest.changed_on
            FROM (
                SELECT c.opportunity_id, c.to_stage, c.changed_on,
                       row_number() OVER (
                           PARTITION BY c.opportunity_id
                           ORDER BY c.changed_on DESC, c.id DESC
                       ) AS n
                FROM {change} c
                WHERE c.to_stage <> c.from_stage
                  AND c.opportunity_id IN (SELECT id FROM coachbook_stage_touched)
            ) latest
            WHERE latest.n = 1
              AND {deal}.id = latest.opportunity_id
              AND {deal}.stage = latest.to_stage
              AND ({deal}.stage_entered_on IS NULL
                   OR {deal}.stage_entered_on <> latest.changed_on)
            """
        )

    def _baselines(self) -> None:
        """A deal seen for the first time, with no history, starts its history today."""
        first_seen = (
            Opportunity.objects.filter(
                source=self.layout.source,
                snapshot_on=self.as_of,
                stage_changes__isnull=True,
            )
            .values_list("pk", "stage", "amount", "close_date", "probability")
            .iterator(chunk_size=BATCH)
        )
        rows = (
            StageChange(
                opportunity_id=pk,
                from_stage="",
                to_stage=stage,
                changed_on=self.as_of,
                amount=amount,
                close_date=close_date,
                probability=probability,
                external_id=f"snapshot:{self.as_of.isoformat()}",
            )
            for pk, stage, amount, close_date, probability in first_seen
        )
        count = 0
        while chunk := list(itertools.islice(rows, BATCH)):
            StageChange.objects.bulk_create(chunk, ignore_conflicts=True)
            count += len(chunk)
        self.report.count("history", "first seen", count)

    # Activities ------------------------------------------------------------

    def _kind(self, obj: str, row: dict[str, str], default: str) -> str:
        """The first of the kind columns whose value names a known kind.

        A type coachbook does not know (a "LinkedIn" task type) is counted for
        a note in the report, even when a later column (Salesforce's
        TaskSubtype) still gives the activity a kind; with none, the
        activity takes the object's own kind.
        """
        unknown = ""
        kind = default
        for column in self.layout.objects[obj].columns.get("kind", []):
            value = (row.get(column) or "").strip()
            known = self.layout.kinds.get(value.casefold())
            if known:
                kind = known
                break
            if value and not unknown and value.casefold() not in NO_KIND:
                unknown = value
        if unknown:
            self.unknown_kinds[(obj, unknown)] += 1
        return kind

    def _note_unknown_kinds(self, file: str, obj: str, default: str) -> None:
        found = [(v, n) for (o, v), n in self.unknown_kinds.most_common() if o == obj]
        if not found:
            return
        listed = ", ".join(f"{value} ({n:,})" for value, n in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        self.report.notes.append(
            f"{file}: {sum(n for _, n in found):,} activities have a type coachbook "
            f"does not know: {listed}{more}. They count by their subtype where the "
            f"file gives one, otherwise as {default}s; to count them otherwise, add "
            'them under [kinds] in a mapping file (LinkedIn = "email").'
        )

    def _associations(self) -> None:
        """Which deal each activity belongs to, when the CRM keeps that in its own file."""
        self.activity_deal: dict[str, str] = {}
        for columns, _line, row in self._each("activity_deal", "activity links"):
            activity = columns.value(row, "activity") or ""
            deal = columns.value(row, "deal") or ""
            if activity and deal:
                self.activity_deal.setdefault(activity, deal)

    def _activities(self, obj: str, default_kind: str) -> None:
        """Activities are checked row by row, then written in a few statements.

        An id the file repeats is kept once (its first row). One coachbook
        already has is updated to what this export says, unless an export
        taken later was imported already. The deal and account each activity
        names are found by the database, among this import's and earlier ones'.
        """
        columns_of = [
            ("line", "int"),
            ("external_id", "text"),
            ("rep_id", "int"),
            ("what", "text"),
            ("account", "text"),
            ("kind", "text"),
            ("occurred_at", "moment"),
            ("subject", "text"),
        ]
        with Staging("activity", columns_of, index=["external_id"]) as stage:
            where = ("", "")
            for columns, line, row in self._each(obj, "activities"):
                where = (columns.file, columns.where["id"])
                try:
                    activity_id, owner, when, what, account, kind = self._activity(
                        obj, columns, row, default_kind
                    )
                except (Rejected, RowRejected, ValueError) as exc:
                    self._reject(columns, line, exc)
                    continue
                stage.add(
                    (
                        line,
                        activity_id,
                        owner.pk,
                        what or None,
                        account or None,
                        kind,
                        when,
                        (columns.value(row, "subject") or "")[:300],
                    )
                )
            stage.close()
            if stage.rows:
                fields = [name for name, _ in columns_of[2:]]
                self._drop_repeats(stage, fields, where, "activities", "activity")
                self._merge_activities(stage, obj)
        self._note_unknown_kinds(self._file_name(obj), obj, default_kind)

    def _activity(
        self, obj: str, columns: Columns, row: dict[str, str], default_kind: str
    ) -> tuple[str, Person, datetime, str, str, str]:
        check = Check()
        activity_id = check(self._id, columns, row, "id")
        refused = len(check.problems)
        when = check(self._when, columns, row, "when")
        if when is None and len(check.problems) == refused:  # empty, not unreadable
            check.refuse(
                "/".join(self.layout.objects[obj].columns["when"]),
                "is empty; an activity needs its date",
            )
        # A live source lists every linked deal; the first one counts.
        linked = (columns.value(row, "what") or "").split(";")[0].strip()
        what = (
            check(self._normalise_id, linked, "what")
            if linked
            else self.activity_deal.get(activity_id or "", "")
        )
        account = check(self._id, columns, row, "account")
        owner_id = check(self._owner_id, columns, row, "owner", "activity")
        check.done()
        assert when is not None
        owner = self._person(owner_id)  # only for a good row, as for deals
        kind = self._kind(obj, row, default_kind)
        return activity_id, owner, when, what, account, kind

    def _merge_activities(self, stage: Staging, obj: str) -> None:
        activity, deal, account = (
            Activity._meta.db_table,
            Opportunity._meta.db_table,
            Account._meta.db_table,
        )
        (distinct,) = staging.fetch(f"SELECT count(*) FROM {stage.name}")[0]
        (before,) = staging.fetch(f"SELECT coalesce(max(id), 0) FROM {activity}")[0]
        # Each activity as coachbook keeps it: its deal and account found.
        found = f"""
            SELECT s.external_id, s.rep_id, d.id AS opportunity_id,
                   coalesce(a.id, w.id) AS account_id, s.kind, s.occurred_at,
                   s.subject, s.line
            FROM {stage.name} s
            LEFT JOIN {deal} d ON d.external_id = s.what
            LEFT JOIN {account} a ON a.external_id = s.account
            LEFT JOIN {account} w ON w.external_id = s.what
        """
        fields = [
            "rep_id",
            "opportunity_id",
            "account_id",
            "kind",
            "occurred_at",
            "subject",
        ]
        updated = 0
        if before and not self._older_than_last_import():
            changed = " OR ".join(
                staging.differs(f"{activity}.{n}", f"n.{n}") for n in fields
            )
            updated = staging.run(
                f"""
                UPDATE {activity} SET {", ".join(f"{n} = n.{n}" for n in fields)}
                FROM ({found}) n
                WHERE {activity}.external_id = n.external_id
                  AND {activity}.source = %s AND ({changed})
                """,
                [self.layout.source],
            )
        created = staging.run(
            f"""
            INSERT INTO {activity}
                (external_id, source, {", ".join(fields)})
            SELECT n.external_id, %s, {", ".join(f"n.{f}" for f in fields)}
            FROM ({found}) n
            WHERE true
            ORDER BY n.line
            ON CONFLICT DO NOTHING
            """,
            [self.layout.source],
        )
        (unlinked,) = staging.fetch(
            f"""
            SELECT count(*) FROM {stage.name} s
            WHERE s.what IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {deal} d WHERE d.external_id = s.what)
              AND NOT EXISTS (SELECT 1 FROM {account} w WHERE w.external_id = s.what)
            """
        )[0]
        if unlinked:
            self.report.notes.append(
                f"{self._file_name(obj)}: "
                f"{plural(unlinked, 'activity', 'activities')} linked to a deal or "
                "account coachbook does not have (not in this export or an "
                "earlier one, or a record of another kind), kept without that link"
            )
        self.report.count("activities", "created", created)
        self.report.count("activities", "updated", updated)
        self.report.count("activities", "unchanged", distinct - created - updated)
        for kind, n in staging.fetch(
            f"""
            SELECT a.kind, count(*) FROM {activity} a
            WHERE a.id > %s
              AND EXISTS (SELECT 1 FROM {stage.name} s WHERE s.external_id = a.external_id)
            GROUP BY a.kind ORDER BY a.kind
            """,
            [before],
        ):
            self.report.count("activities", kind, n)

    def _older_than_last_import(self) -> bool:
        """Whether an export taken after this one was imported from this CRM."""
        latest = (
            ImportRun.objects.filter(
                source=self.layout.source, status=ImportRun.Status.APPLIED
            )
            .exclude(data_as_of=None)
            .order_by("-data_as_of")
            .values_list("data_as_of", flat=True)
            .first()
        )
        return latest is not None and latest > self.as_of


def _employees(text: str) -> int:
    """A head count as exports write it: 1200, 1,200 or 1200.0."""
    try:
        count = Decimal(text.replace(",", "").replace(" ", ""))
    except ArithmeticError:
        count = Decimal("NaN")
    if not count.is_finite() or count != count.to_integral() or not 0 <= count < 10**9:
        raise Rejected("employees", f"'{text}' is not a number of employees")
    return int(count)


def _manager_loops(users: dict[str, dict[str, Any]]) -> list[list[str]]:
    """Groups of users who are, through their managers, their own manager."""
    loops: list[list[str]] = []
    settled: set[str] = set()
    for start in users:
        path: list[str] = []
        on_path: set[str] = set()
        user = start
        while user in users and user not in settled and user not in on_path:
            path.append(user)
            on_path.add(user)
            user = users[user]["manager"]
        # Someone who is their own manager simply heads a team.
        if user in on_path and path.index(user) < len(path) - 1:
            loops.append(path[path.index(user) :])
        settled.update(path)
    return loops


def default_as_of() -> date:
    return datetime.now(UTC).date()


def export_day_problem(day: date) -> str | None:
    """Why `day` cannot be the day an export was taken, or None.

    An export dated in the future would make every real export after it look
    older than the last one, so none of them would change a deal. A day of
    slack allows for an export taken where it is already tomorrow.
    """
    latest = default_as_of() + timedelta(days=1)
    if day > latest:
        return f"{day:%-d %b %Y} is in the future; give the day the export was taken"
    return None
