"""Server time and SQL queries for the prep brief and the session page, for every rep.

    .venv/bin/python benchmarks/bench_pages.py

Each rep gets a session on the last date of the data with its brief prepared;
then the session page and the rep page (which computes the brief live) are
rendered through Django's test client, several times each.
"""

import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from _setup import MAVEN_DIR, TARGETS, start

ROUNDS = 3


def main() -> None:
    start()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from coachbook.coaching.brief import build_brief
    from coachbook.coaching.models import Session
    from coachbook.crm.importers.maven import import_maven
    from coachbook.crm.importers.targets import import_targets
    from coachbook.people.models import Organisation, Person

    setup_test_environment()
    import_maven(MAVEN_DIR)
    import_targets(TARGETS, demo=True)
    as_of = Organisation.current().data_as_of
    client = Client()

    timings: dict[str, list[float]] = {"brief": [], "session page": [], "rep page": []}
    queries: dict[str, list[tuple[int, int]]] = {k: [] for k in timings}
    reps = Person.objects.filter(role=Person.Role.REP).select_related("team__manager")
    for rep in reps:
        deals = rep.deals.filter(status="open").count()
        session = Session.objects.plan(
            rep.manager,
            rep,
            datetime.combine(
                as_of, datetime.min.time().replace(hour=10), ZoneInfo("UTC")
            ),
        )
        session.prepare(rep.manager)
        # Each page is fetched as the rep's own manager, as in real use.
        client.force_login(rep.manager)
        for _ in range(ROUNDS):
            for name, run in (
                ("brief", lambda rep=rep: build_brief(rep, as_of)),
                ("session page", lambda s=session: client.get(f"/sessions/{s.pk}/")),
                ("rep page", lambda rep=rep: client.get(f"/reps/{rep.pk}/")),
            ):
                reset_queries()
                with CaptureQueriesContext(connection) as ctx:
                    began = time.perf_counter()
                    result = run()
                    timings[name].append((time.perf_counter() - began) * 1000)
                if hasattr(result, "status_code"):
                    assert result.status_code == 200, (name, rep, result.status_code)
                queries[name].append((deals, len(ctx.captured_queries)))

    print(f"database: {connection.vendor}; {reps.count()} reps; {ROUNDS} rounds each")
    print(f"{'what':<14}{'median ms':>10}{'p95 ms':>9}{'worst ms':>10}{'queries':>14}")
    for name, values in timings.items():
        values.sort()
        counts = sorted({q for _, q in queries[name]})
        p95 = values[int(len(values) * 0.95) - 1]
        print(
            f"{name:<14}{statistics.median(values):>10.1f}{p95:>9.1f}{values[-1]:>10.1f}"
            f"{f'{counts[0]}–{counts[-1]}':>14}"
        )
    by_deals = sorted(queries["session page"])
    print(
        "session page queries: "
        f"{by_deals[0][1]} for a rep with {by_deals[0][0]} open deals, "
        f"{by_deals[-1][1]} for a rep with {by_deals[-1][0]} open deals"
    )
    print(
        "targets: median under 150 ms, worst under 400 ms; queries must not grow with deals"
    )


if __name__ == "__main__":
    main()
