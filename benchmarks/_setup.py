"""Shared start-up for benchmarks: a throwaway database unless DATABASE_URL is set."""

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAVEN_DIR = REPO / "data" / "maven-crm"
TARGETS = REPO / "data" / "targets.csv"


def start() -> None:
    os.environ.setdefault(
        "COACHBOOK_DATA_DIR", tempfile.mkdtemp(prefix="coachbook-bench-")
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coachbook.settings")
    os.environ.setdefault("COACHBOOK_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(REPO / "src"))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
