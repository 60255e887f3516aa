"""coachbook backup: write all coachbook data to one file."""

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from coachbook.lib.commands import CoachbookCommand
from coachbook.ops.backup import BackupError, counts_table, write_backup


class Command(CoachbookCommand):
    help = (
        "Write a backup of all coachbook data (people, CRM data, sessions, records,\n"
        "audit trail, groups) to one gzip-compressed JSON file.\n\n"
        "  coachbook backup /backups/coachbook-2025-01-31.json.gz"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="The file to write; replaced only once complete."
        )

    def handle(self, *args, path: Path, **options) -> None:
        try:
            result = write_backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc

        manifest = result.manifest
        table = counts_table(
            f"Backup of {manifest['database_vendor']} data", manifest["counts"]
        )
        console = self.console()
        console.print(table)
        console.print(
            f"Wrote {result.path} ({result.size_bytes / 1e6:.1f} MB) "
            f"in {result.seconds:.1f} s.\nsha256 of the data: {manifest['data_sha256']}"
        )
        if manifest["chain_breaks"]:
            console.print(
                f"Warning: {len(manifest['chain_breaks'])} record chain problem(s) in "
                "this database (kept as they are in the backup): "
                + "; ".join(manifest["chain_breaks"][:5])
            )
