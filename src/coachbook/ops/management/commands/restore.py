"""coachbook restore: load a backup into an empty database."""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from coachbook.lib.commands import CoachbookCommand
from coachbook.ops.backup import BackupError, counts_table, restore_backup


class Command(CoachbookCommand):
    help = (
        "Load a backup made by `coachbook backup` into an empty database.\n\n"
        "The database must be migrated and hold no coachbook data yet:\n\n"
        "  export DATABASE_URL=postgres://user@host:5432/coachbook_new\n"
        "  coachbook migrate\n"
        "  coachbook restore /backups/coachbook-2025-01-31.json.gz\n\n"
        "It loads all or nothing, then checks the row counts and the record hash chains."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="A file written by coachbook backup."
        )

    def handle(self, *args, path: Path, **options) -> None:
        try:
            result = restore_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

        manifest = result.manifest
        table = counts_table(f"Restored into {result.database}", result.counts)
        console = self.console()
        console.print(table)
        made = datetime.fromisoformat(manifest["created_at"]).astimezone(UTC)
        console.print(
            f"Restored {result.path}, made {made:%Y-%m-%d %H:%M} UTC on "
            f"{manifest['database_vendor']} by coachbook {manifest['coachbook_version']}, "
            f"in {result.seconds:.1f} s. Row counts match the backup; "
            f"{result.records_checked:,} record(s) re-hashed along their chains."
        )
        for warning in result.warnings:
            console.print(f"Warning: {warning}")
