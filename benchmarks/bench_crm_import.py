"""Time the Salesforce importer on a generated export, against DuckDB reading the same files.

.venv/bin/python benchmarks/bench_crm_import.py                  # small, about 2 minutes
.venv/bin/python benchmarks/bench_crm_import.py --scale medium --keep /tmp/sf-medium
.venv/bin/python benchmarks/bench_crm_import.py --databases postgresql

Scales (users are the reps plus one manager per 8 reps and a director per 8
managers; accounts one per ten deals):

    small    100 reps,    20,000 deals,    100,000 history rows,    200,000 activities
    medium   1,000 reps,  200,000 deals,  1,000,000 history rows,  2,000,000 activities
    full     1,000 reps, 1,000,000 deals, 5,000,000 history rows, 10,000,000 activities

Each import runs in a fresh process on a fresh database (SQLite: a temporary
file; PostgreSQL: a scratch database this script creates and drops), migrated
by another process first, so its peak memory (ru_maxrss) is the import's own.
Rows per second are all data rows read across the six files over the
import's wall-clock seconds, commit included.

DuckDB's read_csv of the same files is the ceiling: count(*) per file, and
CREATE TABLE AS per file into a DuckDB database file. The target is the
importer on PostgreSQL at a third of DuckDB's rate at least, with peak memory
under 1 GB.

When PostgreSQL is measured, so are two floors under the work of any
importer that writes there, printed beside the DuckDB ceiling:

- bare COPY: PostgreSQL's own COPY of each file into a table of text columns,
  with no checks and no index;
- coachbook's tables: once the import is done, the deals, history rows and
  activities it wrote, already checked and linked, copied out and COPY'd back
  into tables shaped like coachbook's (the same indexes, unique keys and
  references, checked as the importer has them checked), in one transaction.
  No importer that keeps those indexes and references can write faster.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen_salesforce  # noqa: E402

SCALES = {
    "small": dict(reps=100, opportunities=20_000, history=100_000, activities=200_000),
    "medium": dict(
        reps=1_000, opportunities=200_000, history=1_000_000, activities=2_000_000
    ),
    "full": dict(
        reps=1_000,
        opportunities=1_000_000,
        history=5_000_000,
        activities=10_000_000,
    ),
}
SEED = 1
AS_OF = gen_salesforce.AS_OF
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"
TARGET_RATIO = 1 / 3
MEMORY_LIMIT = 1_000_000_000  # bytes
PHASES = ("users", "accounts", "opportunities", "history", "baselines")


# The child processes ----------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coachbook.settings")
    os.environ.setdefault("COACHBOOK_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def child_migrate() -> None:
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def child_import(folder: Path, as_of: date) -> None:
    """Import `folder`, timing each phase; print one JSON line with the figures."""
    import resource

    _django()
    from coachbook.crm.importers.crm_export import CrmImporter
    from coachbook.crm.importers.layouts import salesforce
    from coachbook.crm.importers.sources import FolderSource

    started_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    layout = salesforce()
    # (phase, rows read, seconds, peak RSS in bytes when the phase ended)
    phases: list[tuple[str, int, float, int]] = []
    importer = CrmImporter(FolderSource(folder, layout), layout, as_of=as_of)

    def read_so_far() -> int:
        return sum(c.get("read", 0) for c in importer.report.counts.values())

    def timed(name: str, method):
        def run(*args):
            label = args[0] if args else name  # _activities("task") -> "task"
            rows, began = read_so_far(), time.perf_counter()
            try:
                return method(*args)
            finally:
                phases.append(
                    (
                        label,
                        read_so_far() - rows,
                        time.perf_counter() - began,
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                    )
                )

        return run

    for phase in (*PHASES, "activities"):
        method = getattr(importer, f"_{phase}", None)
        if method is not None:  # phases the importer no longer has are "other"
            setattr(importer, f"_{phase}", timed(phase, method))

    began = time.perf_counter()
    report = importer.run()
    took = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    status = Path("/proc/self/status")
    hwm = next(
        (
            int(line.split()[1]) * 1024
            for line in (status.read_text().splitlines() if status.exists() else [])
            if line.startswith("VmHWM:")
        ),
        None,
    )
    print(
        json.dumps(
            {
                "seconds": took,
                "rows": sum(c.get("read", 0) for c in report.counts.values()),
                "applied": bool(report.applied),
                "rejected": len(report.rejected),
                "first_rejections": [str(r) for r in report.rejected[:3]],
                "phases": phases,
                "peak_rss": peak,
                "vm_hwm": hwm,
                "start_rss": started_rss,
                "counts": {t: dict(c) for t, c in report.counts.items()},
            }
        )
    )


# The parent -------------------------------------------------------------------


VERSIONED = [
    "src/coachbook/crm/importers/crm_export.py",
    "src/coachbook/crm/importers/layouts.py",
    "src/coachbook/crm/importers/sources.py",
    "src/coachbook/crm/importers/staging.py",
    "src/coachbook/lib/tables.py",
    "src/coachbook/lib/fields.py",
]


def code_version() -> str:
    """A digest of the importer's source files, to tie figures to the code they measure."""
    digest = hashlib.sha256()
    for name in VERSIONED:
        path = REPO / name
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:12]


def generate(folder: Path, scale: str) -> dict:
    """The export for `scale` in `folder`, reused when a previous run left it there."""
    marker = folder / "generated.json"
    wanted = {"scale": scale, "seed": SEED, **SCALES[scale]}
    if marker.exists():
        info = json.loads(marker.read_text())
        if {k: info.get(k) for k in wanted} == wanted and all(
            (folder / name).exists() for name in info["rows"]
        ):
            print(f"reusing the {scale} export in {folder}")
            return info
    info = json.loads(run_child(["--child-generate", str(folder), "--scale", scale]))
    marker.write_text(json.dumps(info))
    total = sum(info["rows"].values())
    print(
        f"generated in {info['seconds']:.1f} s ({total / info['seconds']:,.0f} rows/s)"
    )
    return info


def child_generate(folder: Path, scale: str) -> None:
    began = time.perf_counter()
    rows = gen_salesforce.generate(folder, seed=SEED, as_of=AS_OF, **SCALES[scale])
    took = time.perf_counter() - began
    wanted = {"scale": scale, "seed": SEED, **SCALES[scale]}
    print(json.dumps({**wanted, "rows": rows, "seconds": took}))


def describe(folder: Path, info: dict) -> int:
    total_rows = sum(info["rows"].values())
    total_bytes = sum((folder / name).stat().st_size for name in info["rows"])
    print(
        f"export: {total_rows:,} rows in {len(info['rows'])} files, "
        f"{total_bytes / 1e6:,.1f} MB, in {folder}"
    )
    for name, rows in info["rows"].items():
        size = (folder / name).stat().st_size
        print(f"  {name:<24} {rows:>12,} rows {size / 1e6:>9,.1f} MB")
    return total_rows


def duckdb_ceiling(folder: Path, info: dict) -> dict[str, float]:
    figures = json.loads(run_child(["--child-duckdb", str(folder)]))
    print(
        f"\nDuckDB {figures.pop('version')} ({figures.pop('threads')} threads), the same files:"
    )
    expected = sum(info["rows"].values())
    rates = {}
    for label, (rows, took) in figures.items():
        assert rows == expected, f"DuckDB read {rows} rows, expected {expected}"
        rates[label] = rows / took
        print(
            f"  {label:<26} {rows:>12,} rows {took:8.2f} s {rows / took:>12,.0f} rows/s"
        )
    return rates


def child_duckdb(folder: Path) -> None:
    """count(*) of read_csv per file, then CREATE TABLE AS per file into a database file."""
    import duckdb

    info = json.loads((folder / "generated.json").read_text())
    files = [folder / name for name in info["rows"]]
    with tempfile.TemporaryDirectory(prefix="coachbook-duckdb-") as scratch:
        con = duckdb.connect(str(Path(scratch) / "ceiling.duckdb"))
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        figures: dict = {"version": duckdb.__version__, "threads": threads}
        for label in ("read_csv count(*)", "CREATE TABLE AS read_csv"):
            rows, began = 0, time.perf_counter()
            for n, path in enumerate(files):
                source = f"read_csv('{path}', header=true)"
                if label.startswith("CREATE"):
                    con.execute(f"CREATE TABLE t{n} AS SELECT * FROM {source}")
                    rows += con.execute(f"SELECT count(*) FROM t{n}").fetchone()[0]
                else:
                    rows += con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
            if label.startswith("CREATE"):
                con.execute("CHECKPOINT")
            figures[label] = (rows, time.perf_counter() - began)
        con.close()
    print(json.dumps(figures))


def postgres_copy_floor(folder: Path, info: dict, pg_url: str) -> float:
    """PostgreSQL's own COPY of each file into a bare table: no checks, no index.

    Any importer that writes to PostgreSQL does at least this much work, so
    its rate bounds what an importer with checks, indexes and references can
    reach on this machine.
    """
    figures = json.loads(run_child(["--child-pg-copy", str(folder), "--pg", pg_url]))
    print(
        f"\nPostgreSQL {figures.pop('version')} COPY into a bare table, the same files:"
    )
    total_rows, total_seconds = 0, 0.0
    for name, (rows, took) in figures.items():
        assert rows == info["rows"][name], f"COPY read {rows} rows of {name}"
        total_rows, total_seconds = total_rows + rows, total_seconds + took
        print(
            f"  {name:<26} {rows:>12,} rows {took:8.2f} s {rows / took:>12,.0f} rows/s"
        )
    rate = total_rows / total_seconds
    print(
        f"  {'all files':<26} {total_rows:>12,} rows {total_seconds:8.2f} s {rate:>12,.0f} rows/s"
    )
    return rate


def child_pg_copy(folder: Path, pg_url: str) -> None:
    import psycopg

    info = json.loads((folder / "generated.json").read_text())
    name = f"coachbook_bench_copy_{os.getpid()}"
    admin = f"{pg_url.rstrip('/')}/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    figures: dict = {}
    try:
        with psycopg.connect(f"{pg_url.rstrip('/')}/{name}") as con:
            figures["version"] = con.execute("SHOW server_version").fetchone()[0]
            for n, file_name in enumerate(info["rows"]):
                path = folder / file_name
                with open(path, newline="", encoding="utf-8-sig") as text:
                    header = next(csv.reader(text))
                columns = ", ".join(f"c{i} text" for i in range(len(header)))
                began = time.perf_counter()
                con.execute(f"CREATE TABLE t{n} ({columns})")
                with con.cursor() as cur, open(path, "rb") as raw:
                    with cur.copy(
                        f"COPY t{n} FROM STDIN (FORMAT csv, HEADER true)"
                    ) as copy:
                        while chunk := raw.read(1 << 20):
                            copy.write(chunk)
                    con.commit()
                    rows = cur.execute(f"SELECT count(*) FROM t{n}").fetchone()[0]
                figures[file_name] = (rows, time.perf_counter() - began)
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(figures))


FLOOR_TABLES = ("crm_opportunity", "crm_stagechange", "crm_activity")


def child_pg_schema_floor(url: str) -> None:
    """COPY the imported rows back into tables built like coachbook's; time it."""
    import psycopg

    figures: dict = {}
    with psycopg.connect(url) as con:
        for table in FLOOR_TABLES:
            copy = f"floor_{table}"
            spool = tempfile.TemporaryFile()
            with con.cursor() as cur:
                with cur.copy(f"COPY {table} TO STDOUT (FORMAT binary)") as out:
                    for chunk in out:
                        spool.write(chunk)
                references = cur.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                ).fetchall()
                cur.execute(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL)")
                for (definition,) in references:
                    cur.execute(f"ALTER TABLE {copy} ADD {definition}")
            con.commit()
            spool.seek(0)
            began = time.perf_counter()
            with con.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
                with cur.copy(f"COPY {copy} FROM STDIN (FORMAT binary)") as into:
                    while chunk := spool.read(1 << 20):
                        into.write(chunk)
                rows = cur.rowcount
            con.commit()
            figures[table] = (rows, time.perf_counter() - began)
            spool.close()
    print(json.dumps(figures))


def schema_floor(url: str) -> tuple[int, float]:
    figures = json.loads(run_child(["--child-pg-schema-floor", url]))
    print(
        "\nPostgreSQL COPY of the imported rows into tables built like coachbook's "
        "(indexes, unique keys, references):"
    )
    total_rows, total_seconds = 0, 0.0
    for table, (rows, took) in figures.items():
        total_rows, total_seconds = total_rows + rows, total_seconds + took
        print(
            f"  {table:<26} {rows:>12,} rows {took:8.2f} s {rows / took:>12,.0f} rows/s"
        )
    print(
        f"  {'all three':<26} {total_rows:>12,} rows {total_seconds:8.2f} s "
        f"{total_rows / total_seconds:>12,.0f} rows/s"
    )
    return total_rows, total_seconds


def run_child(
    args: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> str:
    """Run this script in a fresh process; its stdout.

    The generator and DuckDB run in children too: the parent stays small, so
    an import child does not start with the parent's high-water mark (Linux
    carries ru_maxrss across fork and exec).
    """
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(
            f"{' '.join(args[:1])} failed with exit code {result.returncode}"
        )
    return result.stdout


def import_on(
    vendor: str, folder: Path, scratch: Path, pg_url: str, timeout: float | None
) -> dict | None:
    env = dict(os.environ)
    env["COACHBOOK_LOG_LEVEL"] = "WARNING"
    env["COACHBOOK_DATA_DIR"] = str(scratch / f"data-{vendor}")
    drop = None
    if vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    else:
        import psycopg

        name = f"coachbook_bench_{os.getpid()}"
        admin = f"{pg_url.rstrip('/')}/postgres"
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}"')
            con.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        env["DATABASE_URL"] = f"{pg_url.rstrip('/')}/{name}"
    try:
        run_child(["--child-migrate"], env, None)
        try:
            out = run_child(
                ["--child-import", str(folder), "--as-of", AS_OF.isoformat()],
                env,
                timeout,
            )
        except subprocess.TimeoutExpired:
            print(f"\n{vendor}: stopped after {timeout:.0f} s (--timeout)")
            return None
        figures = json.loads(out.strip().splitlines()[-1])
        if vendor == "postgresql":
            figures["schema_floor"] = schema_floor(env["DATABASE_URL"])
        return figures
    finally:
        if drop:
            drop()


def show(vendor: str, figures: dict) -> None:
    rate = figures["rows"] / figures["seconds"]
    print(
        f"\n{vendor}: {figures['rows']:,} rows in {figures['seconds']:.1f} s = "
        f"{rate:,.0f} rows/s; peak RSS {figures['peak_rss'] / 1e6:,.0f} MB "
        f"(after start-up {figures['start_rss'] / 1e6:,.0f} MB"
        + (f", VmHWM {figures['vm_hwm'] / 1e6:,.0f} MB" if figures["vm_hwm"] else "")
        + "); "
        f"applied={figures['applied']} rejected={figures['rejected']}"
    )
    for table, counts in figures["counts"].items():
        print(f"  {table}: " + ", ".join(f"{n:,} {what}" for what, n in counts.items()))
    for rejection in figures["first_rejections"]:
        print(f"  rejected: {rejection}")
    accounted = 0.0
    for phase, rows, seconds, peak in figures["phases"]:
        accounted += seconds
        per_s = f"{rows / seconds:>10,.0f} rows/s" if rows and seconds else ""
        print(
            f"  {phase:<14} {rows:>12,} rows {seconds:9.2f} s {per_s:<16}"
            f" peak {peak / 1e6:5,.0f} MB"
        )
    print(
        f"  {'commit, other':<14} {'':>12}      {figures['seconds'] - accounted:9.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=list(SCALES), default="small")
    parser.add_argument(
        "--keep",
        type=Path,
        help="generate the export into this folder and leave it there; "
        "a later run with the same scale reuses it",
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgresql",
        help="comma-separated: sqlite, postgresql (default both)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG_URL", PG_DEFAULT),
        help=f"PostgreSQL server to make the scratch database on (default {PG_DEFAULT})",
    )
    parser.add_argument(
        "--timeout", type=float, help="give up on an import after this many seconds"
    )
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--child-migrate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-duckdb", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-import", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-pg-copy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-pg-schema-floor", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_generate:
        return child_generate(args.child_generate, args.scale)
    if args.child_duckdb:
        return child_duckdb(args.child_duckdb)
    if args.child_migrate:
        return child_migrate()
    if args.child_import:
        return child_import(args.child_import, args.as_of)
    if args.child_pg_copy:
        return child_pg_copy(args.child_pg_copy, args.pg)
    if args.child_pg_schema_floor:
        return child_pg_schema_floor(args.child_pg_schema_floor)

    vendors = [v.strip() for v in args.databases.split(",") if v.strip()]
    scratch = Path(tempfile.mkdtemp(prefix="coachbook-crm-bench-"))
    folder = args.keep or scratch / "export"
    try:
        version = code_version()
        print(f"scale: {args.scale} ({SCALES[args.scale]})")
        print(
            f"importer code: {version} (sha256 of {', '.join(Path(n).name for n in VERSIONED)})"
        )
        info = generate(folder, args.scale)
        describe(folder, info)
        ceiling = {} if args.no_duckdb else duckdb_ceiling(folder, info)
        copy_floor = (
            postgres_copy_floor(folder, info, args.pg)
            if "postgresql" in vendors
            else None
        )
        results = {}
        for vendor in vendors:
            figures = import_on(vendor, folder, scratch, args.pg, args.timeout)
            if figures is not None:
                show(vendor, figures)
                results[vendor] = figures

        print("\nsummary")
        if copy_floor is not None:
            for label, duck in ceiling.items():
                print(
                    f"  PostgreSQL bare COPY / DuckDB {label}: {copy_floor:,.0f} / "
                    f"{duck:,.0f} = {copy_floor / duck:.4f} (no checks, no index: "
                    "no importer writing to PostgreSQL here goes faster)"
                )
        for vendor, figures in results.items():
            if "schema_floor" in figures:
                rows, seconds = figures["schema_floor"]
                for label, duck in ceiling.items():
                    print(
                        f"  PostgreSQL COPY into coachbook's tables / DuckDB {label}: "
                        f"{rows / seconds:,.0f} / {duck:,.0f} = "
                        f"{rows / seconds / duck:.4f} (rows already checked: no "
                        "importer keeping these indexes and references goes faster)"
                    )
            rate = figures["rows"] / figures["seconds"]
            for label, duck in ceiling.items():
                ratio = rate / duck
                verdict = "meets" if ratio >= TARGET_RATIO else "misses"
                print(
                    f"  {vendor} importer / DuckDB {label}: {rate:,.0f} / {duck:,.0f} "
                    f"= {ratio:.4f} ({verdict} the target of {TARGET_RATIO:.3f})"
                )
            peak = figures["peak_rss"]
            print(
                f"  {vendor} peak memory {peak / 1e6:,.0f} MB: "
                f"{'under' if peak < MEMORY_LIMIT else 'NOT under'} 1 GB"
            )
        if code_version() != version:
            print(
                f"  WARNING: the importer's code changed during this run "
                f"({version} -> {code_version()}); the figures may mix versions"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
