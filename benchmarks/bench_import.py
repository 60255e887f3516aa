"""Time the Maven import on the real data: first load, then a re-run that changes nothing.

.venv/bin/python benchmarks/bench_import.py
DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/bench_import.py
"""

import time

from _setup import MAVEN_DIR, start


def main() -> None:
    start()
    from django.db import connection

    from coachbook.crm.importers.maven import import_maven
    from coachbook.crm.models import Opportunity

    print(f"database: {connection.vendor}")
    for label in ("first import", "re-import (no changes)", "re-import (no changes)"):
        began = time.perf_counter()
        report = import_maven(MAVEN_DIR)
        took = time.perf_counter() - began
        assert report.applied, report.rejected
        rows = sum(c.get("read", 0) for c in report.counts.values())
        print(f"{label:<24} {took:6.2f} s  {rows / took:9,.0f} rows/s  ({rows} rows)")
    print(
        f"opportunities in the database: {Opportunity.objects.count()}  (target: under 5 s)"
    )


if __name__ == "__main__":
    main()
