"""coachbook import: load CRM data or targets from files."""

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from coachbook.crm.importers.maven import import_maven
from coachbook.crm.importers.report import print_report
from coachbook.crm.importers.targets import import_targets
from coachbook.lib.commands import CoachbookCommand
from coachbook.lib.csvfiles import FileProblem


class Command(CoachbookCommand):
    help = (
        "Import CRM data or targets.\n\n"
        "  coachbook import maven path/to/maven-crm\n"
        "  coachbook import targets path/to/targets.csv"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=["maven", "targets"])
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Mark imported targets as demo targets (shown as such in the product).",
        )

    def handle(self, *args, source: str, path: Path, demo: bool, **options) -> None:
        console = self.console()
        try:
            if source == "maven":
                if not path.is_dir():
                    raise CommandError(
                        f"{path} is not a folder; give the folder with the five CSVs"
                    )
                report = import_maven(path)
            else:
                report = import_targets(path, demo=demo)
        except FileProblem as exc:
            raise CommandError(f"{exc}. Nothing was imported.") from exc

        print_report(console, report)
        if not report.applied:
            raise CommandError(
                f"{len(report.rejected)} rows were rejected, so nothing was imported. "
                "Fix the rows above and run the import again."
            )
