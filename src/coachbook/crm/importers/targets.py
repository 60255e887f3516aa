"""Import of quotas: one row per rep per fiscal quarter.

Columns: rep, period (FY2017-Q4), quota, currency (optional, the
organisation's by default), coverage_ratio (optional, 3 by default).
"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from coachbook.crm.importers.report import ImportRefused, ImportReport, checksum_of
from coachbook.crm.models import Target
from coachbook.lib.csvfiles import EXTRA, read_rows
from coachbook.lib.periods import parse_quarter_key
from coachbook.lib.values import parse_amount
from coachbook.people.models import Organisation, Person

logger = logging.getLogger(__name__)

COLUMNS = ["rep", "period", "quota"]


def import_targets(
    path: Path, demo: bool = False, run_by: Person | None = None
) -> ImportReport:
    path = Path(path)
    report = ImportReport(source="targets", location=str(path))
    report.checksum = checksum_of([path]) if path.is_file() else ""
    org = Organisation.current()
    reps = {
        p.full_name.casefold(): p for p in Person.objects.filter(role=Person.Role.REP)
    }
    existing = {(t.rep_id, t.period_start): t for t in Target.objects.all()}
    file = path.name
    seen: dict[tuple[int, object], int] = {}

    try:
        with transaction.atomic():
            for number, row in read_rows(path, COLUMNS):
                report.count("targets", "read")
                if EXTRA in row:
                    report.reject(file, number, EXTRA, row[EXTRA])
                    continue
                rep = reps.get(row["rep"].casefold())
                if rep is None:
                    report.reject(
                        file, number, "rep", f"'{row['rep']}' is not a rep in coachbook"
                    )
                    continue
                try:
                    quarter = parse_quarter_key(
                        row["period"], org.fiscal_year_start_month
                    )
                except ValueError as exc:
                    report.reject(file, number, "period", str(exc))
                    continue
                try:
                    quota = parse_amount(row["quota"])
                except ValueError as exc:
                    report.reject(file, number, "quota", str(exc))
                    continue
                try:
                    ratio = parse_amount(row.get("coverage_ratio") or "3", Decimal(100))
                    if ratio < Decimal("0.1"):
                        raise ValueError(f"'{row['coverage_ratio']}' is below 0.1")
                except ValueError as exc:
                    report.reject(
                        file, number, "coverage_ratio", f"{exc}; use a ratio like 3"
                    )
                    continue
                currency = (row.get("currency") or org.currency).strip().upper()
                if currency != org.currency:
                    report.reject(
                        file,
                        number,
                        "currency",
                        f"quotas must be in {org.currency}, the organisation's currency",
                    )
                    continue
                if (rep.pk, quarter.start) in seen:
                    report.reject(
                        file,
                        number,
                        "period",
                        f"{rep} already has a target for {quarter.label} on row "
                        f"{seen[(rep.pk, quarter.start)]}",
                    )
                    continue
                seen[(rep.pk, quarter.start)] = number

                values = {
                    "period": quarter.key,
                    "period_end": quarter.end,
                    "quota": quota,
                    "currency": currency,
                    "coverage_ratio": ratio,
                    "is_demo": demo,
                }
                target = existing.get((rep.pk, quarter.start))
                if target is None:
                    Target.objects.create(rep=rep, period_start=quarter.start, **values)
                    report.count("targets", "created")
                elif any(getattr(target, k) != v for k, v in values.items()):
                    Target.objects.filter(pk=target.pk).update(**values)
                    report.count("targets", "updated")
                else:
                    report.count("targets", "unchanged")
            if report.rejected:
                raise ImportRefused(report)
            if report.counts:
                org.targets_are_demo = demo
                org.save(update_fields=["targets_are_demo"])
    except ImportRefused:
        logger.warning("targets import refused rejected=%d", len(report.rejected))
    else:
        logger.info(
            "targets import applied counts=%s", dict(report.counts.get("targets", {}))
        )
    report.save_run(run_by)

    return report
