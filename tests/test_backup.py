"""`coachbook backup` and `coachbook restore`, checked with plain SQL.

The backup runs in-process against the test database. The restore runs as
`coachbook restore` in a subprocess against a second, empty database: a SQLite
file, or a scratch PostgreSQL database when the tests run on PostgreSQL.
Expected values are read from the source with plain SQL, and the restored
database is read with the sqlite3 module or psycopg, never through the code
under test.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import secrets
import sqlite3
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from coaching_helpers import DAY, FIRST_DAY, MANAGER, REP, finalised_session, person

pytestmark = pytest.mark.django_db

# The tables a coaching history lives in, plus two CRM and people tables.
TABLES = [
    "coaching_session",
    "coaching_record",
    "coaching_amendment",
    "coaching_action",
    "coaching_auditevent",
    "coaching_agendaitem",
    "coaching_template",
    "crm_opportunity",
    "crm_stagechange",
    "people_person",
    "people_team",
]
RECORDS = (
    "SELECT id, rep_id, number, content_hash, previous_hash, previous_id "
    "FROM coaching_record ORDER BY id"
)
AMENDMENTS = (
    "SELECT id, record_id, number, reason, text, content_hash "
    "FROM coaching_amendment ORDER BY id"
)
# Permissions by name: their ids differ from one database to the next.
GROUP_PERMISSIONS = (
    "SELECT g.name, t.app_label, p.codename FROM auth_group g "
    "JOIN auth_group_permissions gp ON gp.group_id = g.id "
    "JOIN auth_permission p ON p.id = gp.permission_id "
    "JOIN django_content_type t ON t.id = p.content_type_id ORDER BY 1, 2, 3"
)
PERSON_GROUPS = "SELECT person_id, group_id FROM people_person_groups ORDER BY 1, 2"
PERSON_PERMISSIONS = (
    "SELECT pp.person_id, t.app_label, p.codename FROM people_person_user_permissions pp "
    "JOIN auth_permission p ON p.id = pp.permission_id "
    "JOIN django_content_type t ON t.id = p.content_type_id ORDER BY 1, 2, 3"
)
MANIFEST_PREFIX = b'{"coachbook_backup": '


# Helpers ------------------------------------------------------------------


def source_sql(query: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return cursor.fetchall()


def source_counts() -> dict[str, int]:
    return {t: source_sql(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}


def manifest_of(path: Path) -> dict:
    """The manifest, read straight from the file's first line."""
    with gzip.open(path, "rb") as f:
        line = f.readline()
    assert line.startswith(MANIFEST_PREFIX) and line.endswith(b",\n")
    return json.loads(line[len(MANIFEST_PREFIX) : -2])


class Target:
    """A second database: `coachbook` runs against it in a subprocess."""

    def __init__(self, url: str, folder: Path, sqlite_path: Path | None = None):
        self.url = url
        self.folder = folder
        self.sqlite_path = sqlite_path

    def coachbook(self, *args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "COACHBOOK_DATA_DIR": str(self.folder),
            "DJANGO_SETTINGS_MODULE": "coachbook.settings",
        }
        return subprocess.run(
            [sys.executable, "-m", "coachbook", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def migrate(self) -> None:
        done = self.coachbook("migrate", "--verbosity", "0")
        assert done.returncode == 0, done.stderr

    def sql(self, query: str) -> list[tuple]:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(query).fetchall()
        import psycopg

        with psycopg.connect(self.url) as db:
            return db.execute(query).fetchall()

    def counts(self) -> dict[str, int]:
        return {t: self.sql(f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}


def sqlite_target(folder: Path, migrate: bool = True) -> Target:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "restore.sqlite3"
    target = Target(f"sqlite:///{path}", folder, sqlite_path=path)
    if migrate:
        target.migrate()
    return target


def _postgres_url(name: str) -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "localhost"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


@pytest.fixture
def postgres_target(tmp_path):
    """A scratch PostgreSQL database beside the test database, migrated, then dropped."""
    if connection.vendor != "postgresql":
        pytest.skip("runs when the tests run on PostgreSQL")
    import psycopg

    name = f"coachbook_restore_{secrets.token_hex(4)}"
    admin_url = _postgres_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        target = Target(_postgres_url(name), tmp_path / "pg")
        target.folder.mkdir()
        target.migrate()
        yield target
    finally:
        with psycopg.connect(admin_url, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def target(request, tmp_path) -> Target:
    """An empty, migrated database of the vendor the tests run on."""
    if connection.vendor == "postgresql":
        return request.getfixturevalue("postgres_target")
    return sqlite_target(tmp_path / "sqlite")


@pytest.fixture
def history():
    """Two finalised sessions for one rep (two chained records) and an amendment.

    Also a group with permissions, and a person in it with one of their own.
    """
    _, first = finalised_session(day=FIRST_DAY)
    _, second = finalised_session(day=DAY)
    manager = person(MANAGER)
    first.amend(manager, "Wrong due date", "Action 1 is due on 12 Dec.")
    group = Group.objects.create(name="Enablement")
    group.permissions.set(
        Permission.objects.filter(codename__in=["view_record", "change_template"])
    )
    manager.groups.add(group)
    manager.user_permissions.add(Permission.objects.get(codename="view_opportunity"))
    return first, second


def backup(path: Path) -> str:
    out = StringIO()
    call_command("backup", str(path), stdout=out)
    return out.getvalue()


# Backup --------------------------------------------------------------------


def test_the_backup_holds_every_coachbook_table_and_a_manifest(
    history, tmp_path, caplog
):
    path = tmp_path / "coachbook.json.gz"
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="coachbook.ops"):
        output = backup(path)
    seconds = time.monotonic() - started
    print(
        f"backup of the test database: {seconds:.2f} s, {path.stat().st_size:,} bytes"
    )

    manifest = manifest_of(path)
    counts = manifest["counts"]
    for table, rows in source_counts().items():
        app, model = table.split("_", 1)
        assert counts[f"{app}.{model}"] == rows, table
    assert counts["auth.group"] == source_sql("SELECT COUNT(*) FROM auth_group")[0][0]
    assert not any(
        name.split(".")[0] in {"contenttypes", "sessions", "admin", "axes"}
        or name == "auth.permission"
        for name in counts
    )
    assert manifest["total_rows"] == sum(counts.values())
    assert manifest["database_vendor"] == connection.vendor
    applied = source_sql(
        "SELECT name FROM django_migrations WHERE app = 'coaching' ORDER BY name"
    )
    assert manifest["migrations"]["coaching"] == [name for (name,) in applied]
    assert manifest["chain_breaks"] == []

    # The whole file is one JSON document, with one row per model and pk.
    document = json.loads(gzip.decompress(path.read_bytes()))
    assert document["coachbook_backup"] == manifest
    rows = document["data"]
    assert len(rows) == manifest["total_rows"]
    assert len({(row["model"], row["pk"]) for row in rows}) == len(rows)
    # Permissions go by name, since their ids differ between databases.
    [group] = [
        row
        for row in rows
        if row["model"] == "auth.group" and row["fields"]["name"] == "Enablement"
    ]
    assert ["view_record", "coaching", "record"] in group["fields"]["permissions"]

    assert "coaching.record" in output and manifest["data_sha256"] in output
    [log] = [r.getMessage() for r in caplog.records if r.name == "coachbook.ops"]
    assert str(path) in log and f"rows={manifest['total_rows']}" in log
    assert f"vendor={connection.vendor}" in log and manifest["data_sha256"] in log
    assert REP not in log


def test_a_failed_backup_leaves_the_old_file_and_no_partial_file(tmp_path, monkeypatch):
    path = tmp_path / "coachbook.json.gz"
    path.write_bytes(b"yesterday's backup")

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr("coachbook.ops.backup.chain_problems", broken)
    with pytest.raises(RuntimeError, match="disk trouble"):
        backup(path)

    assert path.read_bytes() == b"yesterday's backup"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_backup_into_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        backup(tmp_path / "nowhere" / "coachbook.json.gz")


# Restore -------------------------------------------------------------------


def test_a_backup_restores_into_an_empty_database(history, target, tmp_path):
    first, second = history
    path = tmp_path / "coachbook.json.gz"
    backup(path)
    expected_counts = source_counts()
    expected_records = source_sql(RECORDS)
    expected_amendments = source_sql(AMENDMENTS)
    expected_access = [
        source_sql(q) for q in (GROUP_PERMISSIONS, PERSON_GROUPS, PERSON_PERMISSIONS)
    ]
    assert expected_counts["coaching_record"] >= 2
    assert expected_counts["coaching_amendment"] >= 1
    assert all(expected_access)

    started = time.monotonic()
    restored = target.coachbook("restore", str(path))
    print(f"restore into {target.url}: {time.monotonic() - started:.2f} s")
    assert restored.returncode == 0, restored.stderr

    assert target.counts() == expected_counts
    assert target.sql(RECORDS) == expected_records
    assert target.sql(AMENDMENTS) == expected_amendments
    assert [
        target.sql(q) for q in (GROUP_PERMISSIONS, PERSON_GROUPS, PERSON_PERMISSIONS)
    ] == expected_access
    chain = target.sql(
        "SELECT number, content_hash, previous_hash, previous_id FROM coaching_record "
        f"WHERE rep_id = {first.rep_id} ORDER BY number"
    )
    assert [row[0] for row in chain] == [1, 2]
    assert chain[0][1] == first.content_hash and chain[0][2] == ""
    assert chain[1][1] == second.content_hash
    assert chain[1][2] == chain[0][1]
    assert chain[1][3] == first.pk
    assert "coaching.record" in restored.stdout
    assert "coachbook.ops backup restored" in restored.stderr

    # The restored database backs up to the very same data, byte for byte.
    again = tmp_path / "again.json.gz"
    done = target.coachbook("backup", str(again))
    assert done.returncode == 0, done.stderr
    assert manifest_of(again)["data_sha256"] == manifest_of(path)["data_sha256"]

    # A second restore into it is refused and changes nothing.
    refused = target.coachbook("restore", str(path))
    assert refused.returncode != 0
    assert "already holds coachbook data" in refused.stderr
    assert "only goes into an empty database" in refused.stderr
    assert target.counts() == expected_counts


def test_restore_into_a_database_with_data_is_refused_and_changes_nothing(
    target, tmp_path
):
    path = tmp_path / "coachbook.json.gz"
    backup(path)
    if target.sqlite_path is not None:
        with sqlite3.connect(target.sqlite_path) as db:
            db.execute("INSERT INTO people_team (name, kind) VALUES ('West', 'team')")
    else:
        import psycopg

        with psycopg.connect(target.url) as db:
            db.execute("INSERT INTO people_team (name, kind) VALUES ('West', 'team')")
    before = target.counts()

    refused = target.coachbook("restore", str(path))

    assert refused.returncode != 0
    message = " ".join(refused.stderr.split())
    assert "already holds coachbook data: 1 row in 1 table (people.team 1)" in message
    assert "coachbook migrate" in message
    assert target.counts() == before


def test_a_changed_backup_is_refused(target, tmp_path):
    path = tmp_path / "coachbook.json.gz"
    backup(path)
    content = bytearray(gzip.decompress(path.read_bytes()))
    at = content.index(b'"full_name":"', content.index(b"\n")) + len(b'"full_name":"')
    content[at] = ord("X") if content[at] != ord("X") else ord("Y")
    tampered = tmp_path / "tampered.json.gz"
    tampered.write_bytes(gzip.compress(bytes(content)))
    before = target.counts()

    refused = target.coachbook("restore", str(tampered))

    assert refused.returncode != 0
    message = " ".join(refused.stderr.split())
    assert "does not match the checksum in its manifest" in message
    assert "Nothing was restored" in message
    assert target.counts() == before


def test_a_backup_from_a_newer_coachbook_is_refused(tmp_path):
    path = tmp_path / "coachbook.json.gz"
    backup(path)
    raw = gzip.decompress(path.read_bytes())
    first, rest = raw.split(b"\n", 1)
    manifest = json.loads(first[len(MANIFEST_PREFIX) : -1])
    manifest["migrations"]["coaching"].append("0999_from_the_future")
    newer = tmp_path / "newer.json.gz"
    newer.write_bytes(
        gzip.compress(MANIFEST_PREFIX + json.dumps(manifest).encode() + b",\n" + rest)
    )

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(newer), stdout=StringIO())

    assert "coaching 0999_from_the_future" in str(refused.value)
    assert "newer coachbook" in str(refused.value)


def test_restore_into_an_unmigrated_database_is_refused(tmp_path):
    path = tmp_path / "coachbook.json.gz"
    backup(path)
    target = sqlite_target(tmp_path / "bare", migrate=False)

    refused = target.coachbook("restore", str(path))

    assert refused.returncode != 0
    assert "Run `coachbook migrate`" in " ".join(refused.stderr.split())


def test_a_sqlite_backup_restores_into_postgresql(history, postgres_target, tmp_path):
    """PostgreSQL → SQLite → PostgreSQL, and the records survive both ways."""
    path = tmp_path / "from-postgresql.json.gz"
    backup(path)
    expected_counts = source_counts()
    expected_records = source_sql(RECORDS)

    lite = sqlite_target(tmp_path / "sqlite")
    done = lite.coachbook("restore", str(path))
    assert done.returncode == 0, done.stderr
    assert lite.sql(RECORDS) == expected_records
    from_sqlite = tmp_path / "from-sqlite.json.gz"
    done = lite.coachbook("backup", str(from_sqlite))
    assert done.returncode == 0, done.stderr
    assert manifest_of(from_sqlite)["database_vendor"] == "sqlite"

    done = postgres_target.coachbook("restore", str(from_sqlite))
    assert done.returncode == 0, done.stderr
    assert postgres_target.counts() == expected_counts
    assert postgres_target.sql(RECORDS) == expected_records
    # New rows get fresh ids: the sequences moved past the restored ones.
    [(next_id,)] = postgres_target.sql(
        "SELECT nextval(pg_get_serial_sequence('coaching_auditevent', 'id'))"
    )
    [(max_id,)] = postgres_target.sql("SELECT MAX(id) FROM coaching_auditevent")
    assert next_id > max_id
