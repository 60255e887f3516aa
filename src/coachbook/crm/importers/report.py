"""What an import did, in numbers a sales ops admin can check against their file."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from coachbook.crm.models import ImportRun
from coachbook.lib.words import plural
from coachbook.people.models import Person


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row}, {self.field}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    location: str
    checksum: str = ""
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_as_of: date | None = None
    # Asked to apply the good rows and list the rejected ones.
    partial: bool = False
    run: ImportRun | None = None
    # Which line of counts a file's rows go to ("Opportunity.csv" ->
    # "opportunities"); a file not named here counts under its own name.
    tables: dict[str, str] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        """Rows refused: a row with several bad fields is one row."""
        return len({(r.file, r.row) for r in self.rejected})

    @property
    def applied(self) -> bool:
        return self.partial or not self.rejected

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(table, Counter())[outcome] += n

    def reject(
        self, file: str, row: int, field_name: str, reason: str, *, counted: bool = True
    ) -> None:
        """One refused field; `counted` is False for a row's second and later ones."""
        self.rejected.append(Rejection(file, row, field_name, reason))
        if counted:
            self.count(self.tables.get(file, Path(file).stem), "rejected")

    def save_run(self, run_by: Person | None) -> ImportRun:
        self.run = ImportRun.objects.create(
            source=self.source,
            location=self.location,
            checksum=self.checksum,
            status=ImportRun.Status.APPLIED
            if self.applied
            else ImportRun.Status.REFUSED,
            run_by=run_by,
            counts={table: dict(c) for table, c in self.counts.items()},
            rejected=[r.__dict__ for r in self.rejected],
            notes=self.notes,
            data_as_of=self.data_as_of,
        )
        return self.run


def checksum_of(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())

    return digest.hexdigest()


def record_unreadable(
    source: str, location: str, paths: list[Path], problem: str, run_by: Person | None
) -> ImportRun:
    """An import stopped by a file it could not read at all: kept in the list of
    imports with the reason, so the admin's history has every attempt."""
    files = [p for p in paths if p.is_file()]
    return ImportRun.objects.create(
        source=source,
        location=location,
        checksum=checksum_of(files) if files else "",
        status=ImportRun.Status.REFUSED,
        run_by=run_by,
        notes=[problem],
    )


class ImportRefused(Exception):
    """Raised inside the import transaction so that nothing is kept."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(f"{len(report.rejected)} rows rejected")


def print_report(console: Console, report: ImportReport) -> None:
    """The report as a table of counts, the choices made, and every rejected row."""
    table = Table(
        title=f"Import from {report.location}",
        title_justify="left",
        caption=None
        if report.applied
        else "What the import would have done. None of it was kept.",
        caption_justify="left",
    )
    outcomes = ImportRun.MAIN_OUTCOMES
    table.add_column("records")
    for outcome in outcomes:
        table.add_column(outcome, justify="right")
    table.add_column("also")
    for name, counts in report.counts.items():
        also = ", ".join(
            f"{n} {outcome}"
            for outcome, n in counts.items()
            if outcome not in outcomes and n
        )
        # An outcome that does not apply to these records is left blank, not 0.
        table.add_row(
            name, *(f"{counts[o]:,}" if o in counts else "" for o in outcomes), also
        )
    console.print(table)

    # Notes and reasons quote the files and name mapping sections such as
    # [kinds]: printed as written, not read as styles. A rejected row stays on
    # one line, so a saved or searched output has one line per problem.
    for note in report.notes:
        console.print(f"• {escape(note)}", highlight=False, soft_wrap=True)
    for rejection in report.rejected:
        console.print(
            f"[red]rejected[/red] {escape(str(rejection))}",
            highlight=False,
            soft_wrap=True,
        )
    if report.applied and report.rejected:
        rows = plural(report.rejected_rows, "rejected row")
        console.print(f"[yellow]Import applied without the {rows}.[/yellow]")
    elif report.applied:
        console.print("[green]Import applied.[/green]")


def write_rejections(report: ImportReport, path: Path) -> Path:
    """Every rejected row as CSV (file, row, field, reason), for the admin to fix and re-import."""
    import csv

    from coachbook.lib.csvfiles import safe_cell

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["file", "row", "field", "reason"])
        for r in report.rejected:
            writer.writerow([safe_cell(v) for v in (r.file, r.row, r.field, r.reason)])
    return path


class ImportFailed(Exception):
    """The database stopped an import partway; its transaction was rolled back.

    The message is for the admin who ran it: what happened, that nothing was
    kept, and what to do. `run` is the import's entry in the list of imports,
    when the database could still take one.
    """

    def __init__(self, message: str, run: ImportRun | None) -> None:
        super().__init__(message)
        self.run = run


def database_failure(exc: Exception) -> str:
    """What to tell the admin when the database stopped an import."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "full" in reason.casefold() or "space" in reason.casefold():
        advice = "Free space on the disk that holds the database, then import again."
    else:
        advice = (
            "Import again; if it stops the same way, give this message to whoever "
            "runs coachbook."
        )
    return (
        f"The database stopped the import ({reason}). Nothing was imported: the "
        f"data is as it was before. {advice}"
    )
