"""Backups: every coachbook row in one gzip-compressed JSON file, and back.

A backup is logical (Django's serializers, primary keys kept), so a SQLite
backup restores into PostgreSQL and the other way round. Once decompressed the
file is one JSON document, laid out in lines:

    {"coachbook_backup": {...the manifest...},
    "data": [
    {"fields":{...},"model":"people.team","pk":1},
    ...
    {"fields":{...},"model":"coaching.auditevent","pk":9}
    ]}

The first line holds the manifest: format, versions, when and from which
database vendor, the applied migrations per app, the row count per model, and
`data_sha256`, the SHA-256 of every byte after that first line. Each row is one
line, so a restore reads the file row by row instead of all at once.

Included: every model of every `coachbook.*` app (found at run time, so models
added later are included) and auth groups. Left out: content types and
permissions (migrate creates them; group and person permissions are written
as natural keys), login sessions, the admin log and login-attempt tables.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import logging
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any, cast

import django
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Prefetch
from django.utils import timezone
from rich.table import Table

from coachbook.lib.words import plural
from coachbook.ops.chains import chain_problems

logger = logging.getLogger("coachbook.ops")

FORMAT = "coachbook-backup"
FORMAT_VERSION = 1
MANIFEST_PREFIX = b'{"coachbook_backup": '

# Tables that `coachbook migrate` fills with starting rows (the default
# coaching template, the Sales ops group). A freshly migrated database counts as empty despite
# them, and a restore replaces them with the backup's rows. A new data
# migration that fills another table must add it here.
FILLED_BY_MIGRATE = frozenset({"coaching.template", "auth.group"})

# Foreign keys to these are written as natural keys, because their primary
# keys differ from one database to the next (migrate creates them).
NATURAL_KEY_MODELS: tuple[type[models.Model], ...] = (ContentType, Permission)

_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why in plain words."""


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    size_bytes: int
    seconds: float


@dataclass
class RestoreResult:
    path: Path
    manifest: dict[str, Any]
    database: str
    counts: dict[str, int]
    seconds: float
    records_checked: int
    warnings: list[str] = field(default_factory=list)


# What goes into a backup ----------------------------------------------------


def backup_models() -> list[type[models.Model]]:
    """Every concrete coachbook model and auth groups, in Django's dependency order.

    That order only places models with natural keys (people, groups) first;
    foreign keys are checked at commit, so the rest may come in any order.
    """
    app_list: list[tuple[Any, list[type[models.Model]]]] = []
    for app_config in apps.get_app_configs():
        if app_config.name.startswith("coachbook.") or app_config.label == "auth":
            chosen = [
                model
                for model in app_config.get_models()
                if model._meta.managed
                and not model._meta.proxy
                and (app_config.label != "auth" or model is Group)
            ]
            if chosen:
                app_list.append((app_config, chosen))

    return serializers.sort_dependencies(app_list, allow_cycles=True)


def label(model: type[models.Model]) -> str:
    return model._meta.label_lower


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, except that times keep their microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time) and not (
            isinstance(o, datetime.time) and timezone.is_aware(o)
        ):
            return o.isoformat()
        return super().default(o)


def _dumps(obj: Any) -> bytes:
    return json.dumps(
        obj, cls=_Encoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


class _RowSerializer(PythonSerializer):
    """Django's Python serializer, handing each row on as soon as it is built.

    Foreign keys to content types and permissions are natural keys; all
    others are primary keys, which a backup keeps.
    """

    def __init__(self, emit: Callable[[dict[str, Any]], None]) -> None:
        self.emit = emit

    def end_object(self, obj: models.Model) -> None:
        self.emit(self.get_dump_object(obj))
        self._current = None

    def handle_fk_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: Any) -> None:
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_m2m_field(obj, field)
        current = cast(dict[str, Any], self._current)
        if field.name in current:
            current[field.name].sort()


def _auto_m2m(model: type[models.Model]) -> list[Any]:
    """The many-to-many fields whose link table Django made (written with the model)."""
    return [
        m2m
        for m2m in model._meta.local_many_to_many
        if cast(type[models.Model], m2m.remote_field.through)._meta.auto_created
    ]


def _rows(model: type[models.Model], using: str) -> Iterator[models.Model]:
    queryset = model._base_manager.using(using).order_by("pk")
    lookups: list[str | Prefetch] = []
    for m2m in _auto_m2m(model):
        if m2m.remote_field.model is Permission:
            lookups.append(
                Prefetch(
                    m2m.name,
                    queryset=Permission.objects.using(using).select_related(
                        "content_type"
                    ),
                )
            )
        else:
            lookups.append(m2m.name)
    if lookups:
        return queryset.prefetch_related(*lookups).iterator(chunk_size=500)
    return queryset.iterator(chunk_size=2000)


# Backup -------------------------------------------------------------------------


def describe_database(connection: BaseDatabaseWrapper) -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {settings['NAME']}"
    where = settings.get("HOST") or "localhost"
    if settings.get("PORT"):
        where += f":{settings['PORT']}"
    return f"the {connection.display_name} database {settings['NAME']!r} on {where}"


@contextmanager
def _snapshot(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """One transaction, so every table is read as of the same moment."""
    if connection.in_atomic_block:
        # Already inside the caller's transaction (tests): read within it.
        yield
        return
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # The project opens SQLite transactions IMMEDIATE, which takes the write
        # lock. A read needs none: a deferred transaction reads one snapshot
        # (WAL) while the application keeps writing.
        mode = getattr(connection, "transaction_mode", None)
        connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
        try:
            with transaction.atomic(using=connection.alias):
                yield
        finally:
            connection.transaction_mode = mode  # type: ignore[attr-defined]
        return
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
                )
        yield


def applied_migrations(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _coachbook_version() -> str:
    try:
        return metadata.version("coachbook")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_data(out: IO[bytes], using: str) -> tuple[str, Counter[str]]:
    """Write the data section; return its SHA-256 and the rows per model."""
    digest = hashlib.sha256()
    counts: Counter[str] = Counter()
    first = True

    def write(chunk: bytes) -> None:
        digest.update(chunk)
        out.write(chunk)

    def emit(row: dict[str, Any]) -> None:
        nonlocal first
        write((b"" if first else b",\n") + _dumps(row))
        first = False
        counts[row["model"]] += 1

    write(b'"data": [\n')
    for model in backup_models():
        counts[label(model)] += 0
        _RowSerializer(emit).serialize(_rows(model, using))
    write(b"\n]}\n" if not first else b"]}\n")

    return digest.hexdigest(), counts


def write_backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write a backup of the database to `path`, atomically."""
    started = time.monotonic()
    path = Path(path).expanduser()
    if path.is_dir():
        raise BackupError(
            f"{path} is a folder; give a file name, like {path / 'coachbook.json.gz'}"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BackupError(f"The folder {folder} does not exist; create it first.")

    connection = connections[using]
    where = describe_database(connection)
    try:
        behind = _unapplied(connection)
    except DatabaseError as exc:
        raise BackupError(f"Cannot read {where}: {exc}. Check DATABASE_URL.") from exc
    if behind:
        raise BackupError(
            f"{_first_upper(where)} is behind this coachbook: {behind}. A backup "
            "needs the database and the code to match: run `coachbook migrate` first, "
            "or make the backup with the coachbook version that last migrated it."
        )
    with tempfile.TemporaryFile(dir=folder) as data:
        created_at = timezone.now()
        try:
            with _snapshot(connection):
                sha256, counts = _write_data(data, using)
                breaks, _ = chain_problems(using)
                migrations = applied_migrations(connection)
        except DatabaseError as exc:
            raise BackupError(
                f"Could not read {where}: {exc}. No backup was written."
            ) from exc
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "coachbook_version": _coachbook_version(),
            "django_version": django.get_version(),
            "created_at": created_at.isoformat(),
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "counts": dict(counts),
            "total_rows": sum(counts.values()),
            "chain_breaks": breaks,
            "data_sha256": sha256,
        }
        data.seek(0)
        # Into a hidden file beside the target, renamed over it only once complete:
        # a failed backup never leaves a half-written file at `path`.
        fd, temp_name = tempfile.mkstemp(
            dir=folder, prefix=f".{path.name}.", suffix=".part"
        )
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as raw:
                with gzip.GzipFile(
                    filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0
                ) as out:
                    out.write(MANIFEST_PREFIX + _dumps(manifest) + b",\n")
                    while chunk := data.read(_CHUNK):
                        out.write(chunk)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    _fsync_folder(folder)

    size = path.stat().st_size
    logger.info(
        "backup written path=%s vendor=%s rows=%d sha256=%s bytes=%d",
        path,
        connection.vendor,
        manifest["total_rows"],
        sha256,
        size,
    )
    return BackupResult(path, manifest, size, time.monotonic() - started)


# Reading a backup file -------------------------------------------------------------


@contextmanager
def _open(path: Path) -> Iterator[IO[bytes]]:
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    try:
        with gzip.open(path, "rb") as stream:
            yield cast(IO[bytes], stream)
    except gzip.BadGzipFile as exc:
        raise BackupError(
            f"{path} is not a coachbook backup: it is not gzip-compressed."
        ) from exc
    except (EOFError, OSError) as exc:
        raise BackupError(
            f"{path} is incomplete or damaged ({exc}). Nothing was restored; use another copy."
        ) from exc


def _manifest(stream: IO[bytes], path: Path) -> dict[str, Any]:
    line = stream.readline(1 << 24)
    if not (line.startswith(MANIFEST_PREFIX) and line.endswith(b",\n")):
        raise BackupError(f"{path} is not a coachbook backup: it has no manifest.")
    try:
        manifest = json.loads(line[len(MANIFEST_PREFIX) : -2])
    except ValueError as exc:
        raise BackupError(f"{path} has a damaged manifest: {exc}.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a coachbook backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} was written in backup format {manifest.get('format_version')} "
            f"(by coachbook {manifest.get('coachbook_version')}); this coachbook reads "
            f"format {FORMAT_VERSION}. Restore it with the coachbook version that made it."
        )
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    with _open(Path(path)) as stream:
        return _manifest(stream, Path(path))


def verify_file(path: Path) -> dict[str, Any]:
    """The manifest, once the data is checked against its checksum."""
    path = Path(path)
    with _open(path) as stream:
        manifest = _manifest(stream, path)
        digest = hashlib.sha256()
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != manifest.get("data_sha256"):
        raise BackupError(
            f"The backup file {path} is damaged or was changed: its data does not match "
            f"the checksum in its manifest (expected {manifest.get('data_sha256')}, "
            f"found {digest.hexdigest()}). Nothing was restored. Use another copy of the backup."
        )
    return manifest


def _data_rows(stream: IO[bytes], path: Path, digest: Any) -> Iterator[dict[str, Any]]:
    """The rows of a verified file, one at a time, hashing the lines as they go."""
    header = stream.readline()
    digest.update(header)
    if header != b'"data": [\n':
        raise BackupError(f"{path} has no data section.")
    for line in stream:
        digest.update(line)
        if line == b"]}\n":
            return
        yield json.loads(line.rstrip(b"\n").removesuffix(b","))
    raise BackupError(f"{path} ends before its data does.")


# Restore ----------------------------------------------------------------------------


def _unapplied(connection: BaseDatabaseWrapper) -> str:
    """The migrations the code has and the database lacks, in words ('' if none)."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return ""
    names = ", ".join(f"{m.app_label} {m.name}" for m, _ in plan[:3])
    more = ", …" if len(plan) > 3 else ""
    return f"{plural(len(plan), 'migration')} not applied yet ({names}{more})"


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _migration_checks(
    manifest: dict[str, Any], connection: BaseDatabaseWrapper, where: str
) -> list[str]:
    """Refuse an unmigrated database or a backup newer than the code; return warnings."""
    behind = _unapplied(connection)
    if behind:
        raise BackupError(
            f"{_first_upper(where)} is not ready: {behind}. Run `coachbook migrate` "
            "against it first, then restore again."
        )

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    installed = {app.label for app in apps.get_app_configs()}
    # Only the apps whose rows are in the backup matter.
    data_apps = {name.split(".")[0] for name in manifest.get("counts", {})}
    newer: list[str] = []
    for app, names in manifest.get("migrations", {}).items():
        if app not in data_apps:
            continue
        if app not in installed:
            newer.append(f"the app {app!r}, which this version does not have")
            continue
        newer += [f"{app} {name}" for name in names if (app, name) not in known]
    if newer:
        raise BackupError(
            f"The backup was made by a newer coachbook (version "
            f"{manifest.get('coachbook_version')}): it has what this version does "
            f"not know: {', '.join(newer)}. Upgrade coachbook to that version or "
            "later, run `coachbook migrate`, then restore again."
        )

    backed_up = {
        (app, name)
        for app, names in manifest.get("migrations", {}).items()
        for name in names
    }
    older = sorted(
        f"{app} {name}"
        for app, names in applied_migrations(connection).items()
        if app in data_apps
        for name in names
        if (app, name) not in backed_up
    )
    if older:
        return [
            "The backup was made before these migrations, so their data changes are "
            f"not in it: {', '.join(older)}."
        ]
    return []


def _current_counts(models_: list[type[models.Model]], using: str) -> dict[str, int]:
    return {label(m): m._base_manager.using(using).count() for m in models_}


def _refuse_if_not_empty(
    models_: list[type[models.Model]], using: str, where: str
) -> None:
    counts = {
        name: n
        for name, n in _current_counts(models_, using).items()
        if n and name not in FILLED_BY_MIGRATE
    }
    if counts:
        top = sorted(counts.items(), key=lambda item: -item[1])
        shown = ", ".join(f"{name} {n:,}" for name, n in top[:5])
        raise BackupError(
            f"{_first_upper(where)} already holds coachbook data: "
            f"{plural(sum(counts.values()), 'row')} in {plural(len(counts), 'table')} "
            f"({shown}{', …' if len(top) > 5 else ''}). "
            "A restore only goes into an empty database, so nothing was changed. "
            "Create a new database, point DATABASE_URL at it, run `coachbook migrate`, "
            "then run the restore again."
        )


def restore_backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Load a backup into an empty, migrated database, all or nothing."""
    started = time.monotonic()
    path = Path(path).expanduser()
    manifest = verify_file(path)
    connection = connections[using]
    where = describe_database(connection)
    try:
        warnings = _migration_checks(manifest, connection, where)
    except DatabaseError as exc:
        raise BackupError(
            f"Cannot read {where} ({exc}). Check DATABASE_URL, run `coachbook migrate`, "
            "then restore again."
        ) from exc
    ours = backup_models()
    known = {label(m) for m in ours}
    unknown = sorted(set(manifest["counts"]) - known)
    if unknown:
        raise BackupError(
            f"The backup holds tables this coachbook does not have: {', '.join(unknown)}. "
            "Restore it with the coachbook version that made it."
        )

    loaded: Counter[str] = Counter()
    with transaction.atomic(using=using):
        _refuse_if_not_empty(ours, using, where)
        for model in ours:
            if label(model) in FILLED_BY_MIGRATE and label(model) in manifest["counts"]:
                model._base_manager.using(using).all().delete()

        digest = hashlib.sha256()
        with _open(path) as stream:
            _manifest(stream, path)
            try:
                for item in serializers.deserialize(
                    "python", _data_rows(stream, path, digest), using=using
                ):
                    # A raw insert: no model save() (records refuse saves), no
                    # UPDATE attempt (triggers may forbid updates on records).
                    item.save(using=using, force_insert=True)
                    loaded[label(type(item.object))] += 1
            except (DeserializationError, DatabaseError) as exc:
                raise BackupError(
                    f"A row of the backup could not be loaded: {exc}. Nothing was restored."
                ) from exc
            if stream.read(1) or digest.hexdigest() != manifest["data_sha256"]:
                raise BackupError(
                    f"The backup file {path} changed while it was being restored. "
                    "Nothing was restored; run the restore again."
                )

        touched = list(ours)
        for model in ours:
            touched += [m2m.remote_field.through for m2m in _auto_m2m(model)]
        try:
            # New rows get ids after the restored ones (PostgreSQL sequences).
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), touched):
                    cursor.execute(sql)
            connection.check_constraints(
                table_names=[m._meta.db_table for m in touched]
            )
        except DatabaseError as exc:
            raise BackupError(
                f"The restored rows do not fit together: {exc}. Nothing was restored."
            ) from exc

        counts = _current_counts(ours, using)
        expected = {name: manifest["counts"].get(name, 0) for name in counts}
        wrong = {
            name: (expected[name], counts[name], loaded[name])
            for name in counts
            if counts[name] != expected[name] or loaded[name] != expected[name]
        }
        if wrong:
            detail = "; ".join(
                f"{name}: {want:,} in the manifest, {got:,} in the database"
                for name, (want, got, _) in wrong.items()
            )
            raise BackupError(
                f"The restored rows do not add up ({detail}). Nothing was restored."
            )

        problems, checked = chain_problems(using)
        new = sorted(set(problems) - set(manifest.get("chain_breaks", [])))
        if new:
            raise BackupError(
                "After loading, record hash chains do not hold: "
                + "; ".join(new[:5])
                + (" …" if len(new) > 5 else "")
                + ". Nothing was restored."
            )
        if problems:
            warnings.append(
                f"{plural(len(problems), 'record chain problem')} already in the "
                "database the backup was made from, kept as they were: "
                + "; ".join(problems[:5])
            )

    total = sum(counts.values())
    logger.info(
        "backup restored path=%s vendor=%s rows=%d sha256=%s",
        path,
        connection.vendor,
        total,
        manifest["data_sha256"],
    )
    return RestoreResult(
        path=path,
        manifest=manifest,
        database=where,
        counts=counts,
        seconds=time.monotonic() - started,
        records_checked=checked,
        warnings=warnings,
    )


def counts_table(title: str, counts: dict[str, int]) -> Table:
    """Rows per table, with a total, as both commands print them."""
    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    table.add_section()
    table.add_row("total", f"{sum(counts.values()):,}")
    return table
