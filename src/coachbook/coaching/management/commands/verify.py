"""coachbook verify: check that every rep's chain of records still holds."""

from django.core.management.base import CommandError, CommandParser
from rich.table import Table

from coachbook.coaching.integrity import verify_chains
from coachbook.lib.commands import CoachbookCommand
from coachbook.people.models import Person


class Command(CoachbookCommand):
    help = (
        "Recompute every record's hash and check each rep's chain of records and "
        "amendments. Exits 1 when anything does not match.\n\n"
        "  coachbook verify\n"
        '  coachbook verify --rep "Darcel Schlecht"'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rep", help="Check only this rep's chain (full name).")

    def handle(self, *args, rep: str | None, **options) -> None:
        person = None
        if rep is not None:
            person = Person.objects.filter(full_name__iexact=rep.strip()).first()
            if person is None:
                raise CommandError(f"No one called '{rep}'. Check the spelling.")
        report = verify_chains(person)

        console = self.console()
        if report.problems:
            table = Table(title="Problems", title_justify="left")
            for column in ("rep", "record", "record id", "problem", "detail"):
                table.add_column(column)
            for p in report.problems:
                table.add_row(
                    p.rep,
                    str(p.number) if p.number is not None else "—",
                    str(p.record_id) if p.record_id is not None else "—",
                    p.problem,
                    p.detail,
                )
            console.print(table)
        console.print(report.summary(), highlight=False)
        if not report.ok:
            raise CommandError(
                "The records do not match their hashes; see the problems above.",
                returncode=1,
            )
