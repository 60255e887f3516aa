"""Shared test setup: the real Maven data, imported once per test run."""

import importlib
from pathlib import Path

import pytest

from coachbook.crm.importers.maven import import_maven
from coachbook.crm.importers.targets import import_targets

REPO = Path(__file__).resolve().parent.parent
MAVEN_DIR = REPO / "data" / "maven-crm"
TARGETS_FILE = REPO / "data" / "targets.csv"


def load_demo_data() -> None:
    report = import_maven(MAVEN_DIR)
    assert report.applied, report.rejected
    report = import_targets(TARGETS_FILE, demo=True)
    assert report.applied, report.rejected


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Import the real data once; each test's changes roll back around it.

    When no collected test uses the database, pytest-django leaves it
    uncreated, and there is nothing to load.
    """
    from django.db import connection

    with django_db_blocker.unblock():
        if "crm_account" in connection.introspection.table_names():
            load_demo_data()


@pytest.fixture(scope="session", autouse=True)
def end_leftover_connections(django_db_setup, django_db_blocker):
    """At the end of the run, end connections the live server's threads left open.

    On PostgreSQL the test database cannot be dropped while one is open. This
    runs after the live server has stopped and before the database is dropped.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(scope="session", autouse=True)
def flush_lifts_the_record_guards():
    """Let the flush between transactional tests empty the guarded tables on SQLite.

    SQLite's flush is DELETE FROM, which the triggers of migration 0005 refuse for
    records, amendments, audit events and finalised sessions; PostgreSQL's is
    TRUNCATE, which row triggers do not see. Rather than give the production
    triggers a wildcard permit, the test flush drops them and puts them back in
    one transaction, so a failed flush leaves them in place.
    """
    from django.db import connection, transaction
    from django.test import TransactionTestCase

    guards = importlib.import_module(
        "coachbook.coaching.migrations.0005_immutable_records"
    )
    flush = TransactionTestCase._fixture_teardown

    def flush_past_the_guards(self) -> None:
        if connection.vendor != "sqlite":
            return flush(self)
        with transaction.atomic():
            guards.drop_guards(connection)
            flush(self)
            guards.add_guards(connection)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", flush_past_the_guards)
        yield


@pytest.fixture
def maven_dir() -> Path:
    return MAVEN_DIR


@pytest.fixture
def real_data(transactional_db):
    """For tests on a live server: the flush between such tests empties the database."""
    from django.apps import apps

    from coachbook.crm.models import Opportunity

    # The flush also empties what data migrations wrote: put the default template back.
    importlib.import_module(
        "coachbook.coaching.migrations.0003_default_template"
    ).create(apps, None)
    if not Opportunity.objects.exists():
        load_demo_data()


@pytest.fixture
def readers_not_locked_out():
    """The tests' in-memory SQLite shares one cache between connections and
    locks a whole table while the import writes to it, so the page's progress
    request would fail where the product's own database (a file in WAL mode)
    lets readers go on. Reading without those locks gives the page what it
    gets in production."""

    def read_uncommitted(sender, connection, **kwargs) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA read_uncommitted = 1")

    from django.db import connections
    from django.db.backends.signals import connection_created

    for open_connection in connections.all(initialized_only=True):
        read_uncommitted(None, open_connection)
    connection_created.connect(read_uncommitted)
    yield
    connection_created.disconnect(read_uncommitted)
