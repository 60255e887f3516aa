"""Import of activity targets and currency rates: small CSVs an admin keeps.

Activity targets: rep (empty for every rep), activity (call, email, meeting,
task), per_week. Currency rates: currency, rate (one unit in the
organisation's currency), valid_from (YYYY-MM-DD). Each file applies whole or
not at all, and re-importing it changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from coachbook.crm.importers.report import ImportRefused, ImportReport, checksum_of
from coachbook.crm.models import Activity, ActivityTarget, CurrencyRate
from coachbook.lib.csvfiles import EXTRA, read_rows
from coachbook.people.models import Organisation, Person

logger = logging.getLogger(__name__)


def _run(
    path: Path,
    source: str,
    columns: list[str],
    apply_row: Callable[[int, dict[str, str], ImportReport], None],
    run_by: Person | None,
) -> ImportReport:
    path = Path(path)
    report = ImportReport(source=source, location=str(path))
    report.checksum = checksum_of([path]) if path.is_file() else ""
    report.tables[path.name] = source  # refused rows count beside the rows read
    try:
        with transaction.atomic():
            for number, row in read_rows(path, columns):
                report.count(source, "read")
                if EXTRA in row:
                    report.reject(path.name, number, EXTRA, row[EXTRA])
                    continue
                apply_row(number, row, report)
            if report.rejected:
                raise ImportRefused(report)
    except ImportRefused:
        logger.warning("%s import refused rejected=%d", source, len(report.rejected))
    else:
        logger.info("%s import applied counts=%s", source, dict(report.counts[source]))
    report.save_run(run_by)
    return report


def _keep(model: Any, lookup: dict[str, Any], **value: Any) -> str:
    """Save one value of the row `lookup` finds; created, updated or unchanged."""
    [(field, wanted)] = value.items()
    row, created = model.objects.get_or_create(**lookup, defaults=value)
    if created:
        return "created"
    if getattr(row, field) == wanted:
        return "unchanged"
    model.objects.filter(pk=row.pk).update(**value)
    return "updated"


def import_activity_targets(path: Path, run_by: Person | None = None) -> ImportReport:
    reps = {
        p.full_name.casefold(): p for p in Person.objects.filter(role=Person.Role.REP)
    }
    seen: dict[tuple[int | None, str], int] = {}

    def apply_row(number: int, row: dict[str, str], report: ImportReport) -> None:
        name = row.get("rep", "").strip()
        rep = reps.get(name.casefold()) if name else None
        if name and rep is None:
            report.reject(
                path.name, number, "rep", f"'{name}' is not a rep in coachbook"
            )
            return
        kind = row["activity"].strip().casefold().rstrip("s")
        if kind not in Activity.Kind.values:
            report.reject(
                path.name,
                number,
                "activity",
                f"'{row['activity']}' is not one of {', '.join(Activity.Kind.values)}",
            )
            return
        try:
            per_week = int(row["per_week"])
            if not 0 <= per_week <= 1000:
                raise ValueError
        except ValueError:
            report.reject(
                path.name,
                number,
                "per_week",
                f"'{row['per_week']}' is not a whole number of a week's activities",
            )
            return
        key = (rep.pk if rep else None, kind)
        if key in seen:
            report.reject(
                path.name,
                number,
                "activity",
                f"repeats row {seen[key]} for the same rep and activity",
            )
            return
        seen[key] = number
        outcome = _keep(ActivityTarget, {"rep": rep, "kind": kind}, per_week=per_week)
        report.count("activity-targets", outcome)

    return _run(
        path, "activity-targets", ["rep", "activity", "per_week"], apply_row, run_by
    )


def import_rates(path: Path, run_by: Person | None = None) -> ImportReport:
    home = Organisation.current().currency
    seen: dict[tuple[str, date], int] = {}

    def apply_row(number: int, row: dict[str, str], report: ImportReport) -> None:
        currency = row["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha() or currency == home:
            report.reject(
                path.name,
                number,
                "currency",
                f"'{row['currency']}' is not a three-letter code of another currency than {home}",
            )
            return
        try:
            # Kept to eight decimals, as the rates table holds them.
            rate = Decimal(row["rate"].strip()).quantize(Decimal("1e-8"))
            if not 0 < rate < 10**10:
                raise InvalidOperation
        except InvalidOperation:
            report.reject(
                path.name, number, "rate", f"'{row['rate']}' is not a positive number"
            )
            return
        try:
            valid_from = date.fromisoformat(row["valid_from"].strip())
        except ValueError:
            report.reject(
                path.name,
                number,
                "valid_from",
                f"'{row['valid_from']}' is not a date like 2024-01-31",
            )
            return
        if (currency, valid_from) in seen:
            report.reject(
                path.name,
                number,
                "valid_from",
                f"repeats row {seen[currency, valid_from]}: {currency} from "
                f"{valid_from} again; keep one of the two rows",
            )
            return
        seen[currency, valid_from] = number
        outcome = _keep(
            CurrencyRate, {"currency": currency, "valid_from": valid_from}, rate=rate
        )
        report.count("currency-rates", outcome)

    return _run(
        path, "currency-rates", ["currency", "rate", "valid_from"], apply_row, run_by
    )
