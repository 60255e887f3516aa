"""A Salesforce import killed with SIGKILL halfway leaves the database as it was.

The import runs as `coachbook import salesforce` in a real process on its own
database: a temporary SQLite file always, and a scratch PostgreSQL database
(created and dropped here) when the suite runs with DATABASE_URL on
PostgreSQL. A small first export is imported fully so the database is not
empty; then a bigger export is started, killed once it is writing, and every
crm_* and people_* table must hold exactly what it held before, row for row.
A normal import of the bigger export afterwards must still work.

The exports come from benchmarks/gen_salesforce.py. The bigger one is sized
to take several seconds with the importer as it is; the whole test stays
under about 20 seconds per database.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
FIRST_AS_OF = "2025-06-23"
LATER_AS_OF = "2025-06-30"
SMALL = dict(reps=10, opportunities=100, history=300, activities=500, seed=7)
# Big enough that the import is still running well after the kill signal is
# due (PostgreSQL: two seconds after it first writes), even on a fast machine.
BIG = dict(reps=20, opportunities=30_000, history=60_000, activities=15_000, seed=7)
TIMEOUT = 180  # seconds for any one command; a hang fails instead of blocking


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_salesforce", REPO / "benchmarks" / "gen_salesforce.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> tuple[Path, Path]:
    gen = _generator()
    root = tmp_path_factory.mktemp("salesforce-exports")
    small, big = root / "small", root / "big"
    gen.generate(small, **SMALL)
    gen.generate(big, **BIG)
    return small, big


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


# The databases -----------------------------------------------------------------


class Database:
    """One scratch database: its URL for the commands, and plain reads of its tables."""

    url: str

    def tables(self) -> list[str]:
        raise NotImplementedError

    def rows(self, table: str) -> list[tuple]:
        raise NotImplementedError

    def import_is_writing(self, proc: subprocess.Popen) -> bool:
        raise NotImplementedError

    def settle(self) -> None:
        """Wait until nothing of the killed import is left running."""

    def state(self) -> dict[str, tuple[int, str]]:
        """Every crm_* and people_* table: its row count and a digest of its rows."""
        state = {}
        for table in self.tables():
            rows = self.rows(table)
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            state[table] = (len(rows), digest)
        return state

    def count(self, table: str) -> int:
        return len(self.rows(table))

    def rows_where(self, query: str) -> list[tuple]:
        raise NotImplementedError


class SQLiteDatabase(Database):
    def __init__(self, folder: Path) -> None:
        self.path = folder / "db.sqlite3"
        self.wal = folder / "db.sqlite3-wal"
        self.url = f"sqlite:///{self.path}"

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def tables(self) -> list[str]:
        with self._connect() as con:
            names = con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND (name LIKE 'crm\\_%' ESCAPE '\\' OR name LIKE 'people\\_%' ESCAPE '\\') "
                "ORDER BY name"
            ).fetchall()
        return [name for (name,) in names]

    def rows(self, table: str) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute(f'SELECT * FROM "{table}"').fetchall()
        finally:
            con.close()

    def rows_where(self, query: str) -> list[tuple]:
        con = self._connect()
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def before_import(self) -> None:
        # An empty write-ahead log, so its growth shows the import writing.
        con = self._connect()
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()

    def import_is_writing(self, proc: subprocess.Popen) -> bool:
        # Inside its one transaction the import's pages spill from SQLite's
        # page cache into the log; 2 MB of them is well under way.
        return self.wal.exists() and self.wal.stat().st_size > 2_000_000

    def integrity(self) -> str:
        con = self._connect()
        try:
            return con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()


class PostgresDatabase(Database):
    def __init__(self, server_url: str, name: str) -> None:
        import psycopg

        self.psycopg = psycopg
        parts = urlsplit(server_url)
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))
        self.url = urlunsplit(parts._replace(path=f"/{name}"))
        self.name = name
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{name}"')

    def drop(self) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def tables(self) -> list[str]:
        with self.psycopg.connect(self.url) as con:
            names = con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' "
                "AND (table_name LIKE 'crm\\_%' OR table_name LIKE 'people\\_%') "
                "ORDER BY table_name"
            ).fetchall()
        return [name for (name,) in names]

    def rows(self, table: str) -> list[tuple]:
        with self.psycopg.connect(self.url) as con:
            return con.execute(f'SELECT * FROM "{table}"').fetchall()

    def rows_where(self, query: str) -> list[tuple]:
        with self.psycopg.connect(self.url) as con:
            return con.execute(query).fetchall()

    def before_import(self) -> None:
        pass

    def _import_backends(self) -> list[tuple]:
        """(seconds connected, has a transaction id) of each other session on the database."""
        with self.psycopg.connect(self.admin_url, autocommit=True) as con:
            return con.execute(
                "SELECT extract(epoch FROM now() - backend_start)::float, "
                "backend_xid IS NOT NULL FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            ).fetchall()

    def import_is_writing(self, proc: subprocess.Popen) -> bool:
        # A transaction gets an id at its first write. Once the import has
        # written, give it two seconds from connecting, so it is past the
        # people and accounts and into the deals.
        backends = self._import_backends()
        self.has_written = getattr(self, "has_written", False) or any(
            xid for _, xid in backends
        )
        return self.has_written and any(age > 2.0 for age, _ in backends)

    def settle(self) -> None:
        # The server rolls the killed client's transaction back when it sees
        # the connection gone; wait for that backend to end.
        deadline = time.monotonic() + 30
        while self._import_backends():
            assert time.monotonic() < deadline, "the killed import's backend lingers"
            time.sleep(0.05)


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                _postgres_url() is None,
                reason="runs when DATABASE_URL names a PostgreSQL server",
            ),
        ),
    ]
)
def database(request, tmp_path):
    if request.param == "sqlite":
        yield SQLiteDatabase(tmp_path)
        return
    pytest.importorskip("psycopg")
    db = PostgresDatabase(_postgres_url(), f"coachbook_interrupted_{os.getpid()}")
    try:
        yield db
    finally:
        db.drop()


# The commands ------------------------------------------------------------------


def _env(db: Database, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        COACHBOOK_DATA_DIR=str(data_dir),
        COACHBOOK_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="coachbook.settings",
        PYTHONPATH=os.pathsep.join(
            [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    )
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coachbook", *args]


def _run(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        _command(*args),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, (
        f"coachbook {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


def _ids(folder: Path, *files: str) -> set[str]:
    ids = set()
    for name in files:
        with open(folder / name, encoding="utf-8", newline="") as f:
            ids.update(row["Id"] for row in csv.DictReader(f))
    return ids


def _wait_for(condition: Callable[[], bool], proc: subprocess.Popen, out: Path):
    deadline = time.monotonic() + 60
    while not condition():
        if proc.poll() is not None:
            pytest.fail(
                "the import ended (exit code "
                f"{proc.returncode}) before it could be killed; make BIG larger.\n"
                + out.read_text(errors="replace")[-3000:]
            )
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.02)


# The test ----------------------------------------------------------------------


def test_a_killed_import_leaves_the_database_as_it_was(database, exports, tmp_path):
    small, big = exports
    env = _env(database, tmp_path / "data")

    _run(env, "migrate", "-v0")
    _run(env, "import", "salesforce", str(small), "--as-of", FIRST_AS_OF)
    before = database.state()
    assert before["crm_opportunity"][0] == SMALL["opportunities"]
    assert before["people_person"][0] > SMALL["reps"]
    assert before["crm_activity"][0] == SMALL["activities"]

    database.before_import()
    output = tmp_path / "killed-import.txt"
    with open(output, "w") as out:
        proc = subprocess.Popen(
            _command("import", "salesforce", str(big), "--as-of", LATER_AS_OF),
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(lambda: database.import_is_writing(proc), proc, output)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    database.settle()

    after = database.state()
    assert after.keys() == before.keys()
    changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert not changed, f"tables changed by the killed import: {changed}"
    if isinstance(database, SQLiteDatabase):
        assert database.integrity() == "ok"

    # The same export imports normally afterwards, with every deal and activity.
    _run(env, "import", "salesforce", str(big), "--as-of", LATER_AS_OF)
    deals = _ids(small, "Opportunity.csv") | _ids(big, "Opportunity.csv")
    activities = _ids(small, "Task.csv", "Event.csv") | _ids(
        big, "Task.csv", "Event.csv"
    )
    assert database.count("crm_opportunity") == len(deals)
    assert database.count("crm_activity") == len(activities)


def _failing_import(env: dict[str, str], big: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command("import", "salesforce", str(big), "--as-of", LATER_AS_OF),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def _only_the_failure_is_listed(database: Database, before, after, message: str):
    """Nothing changed but one more import in the list: refused, with the message."""
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {"crm_importrun"}
    assert after["crm_importrun"][0] == before["crm_importrun"][0] + 1
    (status, notes) = database.rows_where(
        "SELECT status, notes FROM crm_importrun ORDER BY id DESC LIMIT 1"
    )[0]
    assert status == "refused"
    assert message in str(notes)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB disk of its own (tmpfs), unmounted afterwards."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small disk for the test needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], check=True
    )
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_an_import_that_fills_the_disk_leaves_the_database_as_it_was(
    small_disk, exports
):
    small, big = exports
    database = SQLiteDatabase(small_disk)
    env = _env(database, small_disk / "data")
    env["TMPDIR"] = str(small_disk)  # SQLite's scratch files fill the same disk
    _run(env, "migrate", "-v0")
    _run(env, "import", "salesforce", str(small), "--as-of", FIRST_AS_OF)
    before = database.state()
    # Leave the bigger import 2 MB, far less than it writes.
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * (shutil.disk_usage(small_disk).free - 2_000_000))

    result = _failing_import(env, big)

    assert result.returncode == 1, result.stdout + result.stderr
    message = (
        "The database stopped the import (database or disk is full). Nothing was "
        "imported: the data is as it was before. Free space on the disk that holds "
        "the database, then import again."
    )
    assert message in " ".join(result.stderr.split()), result.stderr
    assert "Traceback" not in result.stderr
    filler.unlink()
    _only_the_failure_is_listed(database, before, database.state(), message)
    assert database.integrity() == "ok"
    # With room again, the same export imports whole.
    _run(env, "import", "salesforce", str(big), "--as-of", LATER_AS_OF)
    assert database.count("crm_opportunity") == len(
        _ids(small, "Opportunity.csv") | _ids(big, "Opportunity.csv")
    )


@pytest.mark.skipif(
    _postgres_url() is None, reason="runs when DATABASE_URL names a PostgreSQL server"
)
def test_an_import_the_database_stops_leaves_it_as_it_was(exports, tmp_path):
    small, big = exports
    database = PostgresDatabase(_postgres_url(), f"coachbook_stopped_{os.getpid()}")
    try:
        env = _env(database, tmp_path / "data")
        _run(env, "migrate", "-v0")
        _run(env, "import", "salesforce", str(small), "--as-of", FIRST_AS_OF)
        before = database.state()
        # The server cancels any statement that runs over 50 ms: the first
        # merge of the bigger export's thousands of rows does.
        env["PGOPTIONS"] = "-c statement_timeout=50"

        result = _failing_import(env, big)

        assert result.returncode == 1, result.stdout + result.stderr
        message = (
            "The database stopped the import (canceling statement due to statement "
            "timeout). Nothing was imported: the data is as it was before."
        )
        assert message in " ".join(result.stderr.split()), result.stderr
        assert "Traceback" not in result.stderr
        _only_the_failure_is_listed(database, before, database.state(), message)
    finally:
        database.drop()
