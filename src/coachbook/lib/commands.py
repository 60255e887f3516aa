"""A base for coachbook's management commands."""

import argparse
from typing import IO, cast

from django.core.management.base import BaseCommand
from rich.console import Console


class CoachbookCommand(BaseCommand):
    """Keeps the line breaks of a command's help, so its examples read as examples."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser

    def console(self, width: int = 110) -> Console:
        """Rich output on the command's own stdout, so tests can capture it."""
        return Console(file=cast(IO[str], self.stdout), width=width)
