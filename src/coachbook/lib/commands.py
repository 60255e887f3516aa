"""A base for coachbook's management commands."""

import argparse

from django.core.management.base import BaseCommand


class CoachbookCommand(BaseCommand):
    """Keeps the line breaks of a command's help, so its examples read as examples."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser
