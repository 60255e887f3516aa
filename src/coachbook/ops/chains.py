"""The record hash chains as the backup sees them: `coachbook verify`'s check, as text.

A backup notes the chain problems a database already had, and a restore
refuses only problems that the copy added.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS


def chain_problems(using: str = DEFAULT_DB_ALIAS) -> tuple[list[str], int]:
    """Where the record and amendment chains do not hold, and how many records there are."""
    from coachbook.coaching.integrity import verify_chains

    if using != DEFAULT_DB_ALIAS:
        raise ValueError("Record chains are checked on the default database only.")
    report = verify_chains()
    problems = [
        f"record {p.number} (id {p.record_id}) of {p.rep}: {p.problem}"
        for p in report.problems
    ]
    return problems, report.records
