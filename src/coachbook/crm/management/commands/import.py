"""coachbook import: load CRM data, targets or currency rates from files."""

from argparse import ArgumentTypeError
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from coachbook.crm.importers.crm_export import (
    CrmImporter,
    default_as_of,
    export_day_problem,
)
from coachbook.crm.importers.layouts import LAYOUTS, LayoutProblem
from coachbook.crm.importers.maven import import_maven
from coachbook.crm.importers.report import (
    ImportFailed,
    print_report,
    record_unreadable,
    write_rejections,
)
from coachbook.crm.importers.scorecard import import_activity_targets, import_rates
from coachbook.crm.importers.sources import FolderSource
from coachbook.crm.importers.targets import import_targets
from coachbook.lib.commands import CoachbookCommand
from coachbook.lib.csvfiles import FileProblem
from coachbook.lib.words import plural


def _export_day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(
            f"'{text}' is not a date; write it as year-month-day, such as 2024-06-07"
        ) from None
    problem = export_day_problem(day)
    if problem:
        raise ArgumentTypeError(problem)
    return day


class Command(CoachbookCommand):
    help = (
        "Import CRM data or targets.\n\n"
        "  coachbook import maven path/to/maven-crm\n"
        "  coachbook import salesforce path/to/export --as-of 2024-06-30\n"
        "  coachbook import salesforce path/to/export --mapping our-org.toml --partial\n"
        "  coachbook import targets path/to/targets.csv\n"
        "  coachbook import activity-targets path/to/activity-targets.csv\n"
        "  coachbook import rates path/to/rates.csv\n\n"
        "A Salesforce folder holds any of User.csv, Account.csv, Opportunity.csv,\n"
        "OpportunityHistory.csv, Task.csv and Event.csv, as Data Loader or the\n"
        "weekly Data Export writes them. Import each week's export with its date\n"
        "(--as-of) and coachbook records what changed on every deal since the last one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "source",
            choices=["maven", "targets", "activity-targets", "rates", *LAYOUTS],
        )
        parser.add_argument(
            "path", type=Path, nargs="?", help="The file or folder (not with --live)."
        )
        parser.add_argument(
            "--live",
            action="store_true",
            help="Read from the CRM's API instead of files; credentials come from "
            "the COACHBOOK_SALESFORCE_* or COACHBOOK_HUBSPOT_TOKEN settings.",
        )
        parser.add_argument(
            "--since",
            type=datetime.fromisoformat,
            help="With --live: only records changed after this moment (ISO date-time).",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Mark imported targets as demo targets (shown as such in the product).",
        )
        parser.add_argument(
            "--as-of",
            type=_export_day,
            help="The date the export was taken (YYYY-MM-DD); changes are dated by it. "
            "Default: today.",
        )
        parser.add_argument(
            "--mapping",
            type=Path,
            help="A TOML file that renames columns or stages for your org.",
        )
        parser.add_argument(
            "--day-first",
            action="store_true",
            help="The files write dates day first (31/12/2024).",
        )
        parser.add_argument(
            "--owner",
            help="Whose deals these are, when the export has no owner column "
            "(a person's full name; added as a rep if new).",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Apply the good rows and write the rejected ones to a report, "
            "instead of refusing the whole import.",
        )

    def handle(self, *args, source: str, path: Path, demo: bool, **options) -> None:
        console = self.console()
        if path is None and not (options.get("live") and source in LAYOUTS):
            raise CommandError("Give the file or folder to import, or --live.")
        try:
            if source == "maven":
                if not path.is_dir():
                    raise CommandError(
                        f"{path} is not a folder; give the folder with the five CSVs"
                    )
                report = import_maven(path)
            elif source == "targets":
                report = import_targets(path, demo=demo)
            elif source == "activity-targets":
                report = import_activity_targets(path)
            elif source == "rates":
                report = import_rates(path)
            else:
                report = self._crm(source, path, console, **options)
        except (FileProblem, LayoutProblem) as exc:
            if path is not None:
                record_unreadable(
                    source,
                    str(path),
                    sorted(path.iterdir()) if path.is_dir() else [path],
                    str(exc),
                    None,
                )
            raise CommandError(f"{exc}. Nothing was imported.") from exc

        print_report(console, report)
        if report.rejected and report.partial:
            out = write_rejections(
                report,
                Path(settings.DATA_DIR)
                / "import-reports"
                / f"{source}-{report.checksum[:12]}.csv",
            )
            console.print(
                f"Left out: {plural(report.rejected_rows, 'row')}, listed in {out}.",
                soft_wrap=True,  # a path broken over lines cannot be copied
            )
        elif not report.applied:
            count = report.rejected_rows
            raise CommandError(
                f"{count} row{'s were' if count != 1 else ' was'} rejected, so nothing "
                "was imported. "
                "Fix the rows above and run the import again, or add --partial to "
                "import the good rows now."
            )

    def _unzipped(self, path: Path, layout) -> FolderSource:
        """The archive's files in a scratch folder, removed when the command ends."""
        import tempfile
        import zipfile

        from coachbook.crm.importers.jobs import unzip

        scratch = tempfile.TemporaryDirectory(prefix="coachbook-import-")
        self._scratch = scratch  # kept until the command object goes
        try:
            unzip(path, Path(scratch.name))
        except zipfile.BadZipFile as exc:
            raise CommandError(
                f"{path} is not a .zip archive that can be opened"
            ) from exc
        feed = FolderSource(Path(scratch.name), layout)
        feed.label = str(path)
        return feed

    def _crm(self, source: str, path: Path | None, console, **options):
        layout = LAYOUTS[source]()
        if options.get("mapping"):  # before the files are found: it may rename them
            layout = layout.with_overrides(options["mapping"])
        if options.get("live"):
            from coachbook.crm.connectors.base import ConnectorError
            from coachbook.crm.importers.live import live_source

            try:
                feed = live_source(source, since=options.get("since"))
            except ConnectorError as exc:
                raise CommandError(str(exc)) from exc
        elif path is not None and path.is_file() and path.suffix.lower() == ".zip":
            feed = self._unzipped(path, layout)
        elif path is None or not path.is_dir():
            raise CommandError(
                f"{path} is not a folder or .zip of {layout.title} export files"
            )
        else:
            feed = FolderSource(path, layout)
        if options.get("day_first"):
            layout.day_first = True
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("Reading…")

            def tick(obj: str, rows: int) -> None:
                progress.update(task, description=f"{obj}: {rows:,} rows read")

            importer = CrmImporter(
                feed,
                layout,
                as_of=options.get("as_of") or default_as_of(),
                partial=options.get("partial", False),
                progress=tick,
                default_owner=options.get("owner"),
            )
            try:
                return importer.run()
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
            except Exception as exc:
                from coachbook.crm.connectors.base import ConnectorError

                if isinstance(exc, ConnectorError):
                    raise CommandError(f"{exc}. Nothing was imported.") from exc
                raise
