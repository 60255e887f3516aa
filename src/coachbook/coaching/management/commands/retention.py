"""coachbook retention: export, then remove, records older than the retention period."""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from rich.table import Table

from coachbook.coaching.retention import Plan, RetentionError, run_retention
from coachbook.lib.commands import CoachbookCommand
from coachbook.people.models import Organisation


class Command(CoachbookCommand):
    help = (
        "Remove finalised sessions and their records once they are older than "
        "COACHBOOK_RETENTION_YEARS, after writing each record (with its amendments "
        "and audit events) to DIR as JSON with a manifest of SHA-256s.\n\n"
        "  coachbook retention --dry-run\n"
        "  coachbook retention --export /srv/coachbook/retention-2025\n"
        "  coachbook retention --export DIR --as-of 2025-01-01"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--export",
            type=Path,
            metavar="DIR",
            help="Folder for the exported records and manifest; needed unless --dry-run.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be removed and what stays; change nothing.",
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help="The day to count back from (YYYY-MM-DD); default: the organisation's today.",
        )

    def handle(
        self,
        *args,
        export: Path | None,
        dry_run: bool,
        as_of: date | None,
        **options,
    ) -> None:
        as_of = as_of or Organisation.current().today()
        if not 1970 <= as_of.year <= 2200:
            raise CommandError(f"--as-of {as_of} is out of range.")
        if settings.COACHBOOK_RETENTION_YEARS == 0:
            run_retention(export, as_of, dry_run=dry_run)
            self.stdout.write(
                "Retention is off (COACHBOOK_RETENTION_YEARS is 0): records are kept "
                "forever. Nothing was removed."
            )
            return
        if export is None and not dry_run:
            raise CommandError(
                "Give --export DIR: records are removed only after they are exported. "
                "Use --dry-run to see what would go."
            )
        try:
            outcome = run_retention(export, as_of, dry_run=dry_run)
        except (RetentionError, OSError) as exc:
            raise CommandError(str(exc)) from exc

        plan = outcome.plan
        console = self.console()
        console.print(
            f"Retention: {plan.years} years as of {plan.as_of}; sessions before "
            f"{plan.cutoff} are old enough to go.",
            highlight=False,
        )
        print_plan(console, plan, dry_run)
        if dry_run:
            console.print(
                f"Dry run: {len(plan.remove)} record(s) would be removed; nothing was changed.",
                highlight=False,
            )
        elif outcome.export is None:
            console.print("Nothing was removed.", highlight=False)
        else:
            # One fact a line, unwrapped: a path or a checksum broken across
            # lines cannot be copied.
            for line in (
                f"Removed {len(plan.remove)} record(s) and their sessions.",
                f"Exported to {outcome.export.folder}",
                f"Manifest {outcome.export.manifest.name}",
                f"SHA-256 {outcome.export.manifest_sha256}",
            ):
                console.print(line, highlight=False, soft_wrap=True)


def print_plan(console, plan: Plan, dry_run: bool) -> None:
    if plan.remove:
        table = Table(
            title="Would be removed" if dry_run else "Removed", title_justify="left"
        )
        for column in ("rep", "record", "session date", "manager", "hash"):
            table.add_column(column)
        for record in plan.remove:
            table.add_row(
                record.rep.full_name,
                str(record.number),
                record.session.local_date.isoformat(),
                record.session.manager.full_name,
                record.content_hash[:16],
            )
        console.print(table)
    if plan.kept:
        table = Table(title="Old enough, but kept", title_justify="left")
        for column in ("rep", "record", "session date", "why"):
            table.add_column(column)
        for kept in plan.kept:
            table.add_row(
                kept.record.rep.full_name,
                str(kept.record.number),
                kept.record.session.local_date.isoformat(),
                kept.reason,
            )
        console.print(table)
