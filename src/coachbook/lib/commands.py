"""A base for coachbook's management commands."""

import argparse
import sys
from typing import IO, cast

from django.core.management.base import BaseCommand, CommandError, SystemCheckError
from rich.console import Console


class CoachbookCommand(BaseCommand):
    """Keeps the line breaks of a command's help, so its examples read as
    examples, and says why a command stopped in plain words."""

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            # Django would print "CommandError: " before the message; the
            # person at the terminal needs only the message.
            from_terminal = getattr(self, "_called_from_command_line", False)
            if not from_terminal or options.get("traceback"):
                raise
            if isinstance(exc, SystemCheckError):
                raise
            self.stderr.write(str(exc))
            sys.exit(exc.returncode)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def console(self, width: int = 110) -> Console:
        """Rich output on the command's own stdout, so tests can capture it."""
        return Console(file=cast(IO[str], self.stdout), width=width)
