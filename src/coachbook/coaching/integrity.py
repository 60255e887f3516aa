"""Check that every rep's chain of records still holds (`coachbook verify`).

A rep's records are numbered 1, 2, 3… and each one's hash covers its content
and the previous record's hash. Walking the chain in number order finds:

- **content changed**: the stored content no longer gives the record's hash;
- **link broken**: the record does not point at the record before it (its
  previous hash, or the row it links to, is not the predecessor's);
- **record missing**: a number is skipped, or a finalised session has no record.

When retention has removed a rep's oldest records, the chain starts from the
rep's ChainAnchor: the first remaining record must carry the anchor's number
plus one and the anchor's hash. Each record's amendments form a chain of their
own that starts from the record's hash (see Record.amend).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from coachbook.coaching.models import Amendment, ChainAnchor, Record, Session
from coachbook.coaching.records import chain_hash
from coachbook.lib.words import plural
from coachbook.people.models import Person

logger = logging.getLogger("coachbook.integrity")

CONTENT_CHANGED = "content changed"
LINK_BROKEN = "link broken"
RECORD_MISSING = "record missing"
AMENDMENT_CHANGED = "amendment changed"
AMENDMENT_MISSING = "amendment missing"


@dataclass(frozen=True)
class Problem:
    rep: str
    number: int | None
    record_id: int | None
    problem: str
    detail: str = ""

    @property
    def row(self) -> tuple[str, int | None, int | None, str]:
        """The problem without its explanation, for comparing."""
        return (self.rep, self.number, self.record_id, self.problem)


@dataclass
class Report:
    records: int = 0
    chains: int = 0
    amendments: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        return (
            f"{plural(self.records, 'record')} in {plural(self.chains, 'chain')} "
            f"checked; {plural(len(self.problems), 'problem')}"
        )


def _short(value: str) -> str:
    return f"{value[:12]}…" if value else "empty"


def _reps(rep: Person | None) -> list[Person]:
    if rep is not None:
        return [rep]
    ids = (
        set(Record.objects.values_list("rep_id", flat=True))
        | set(ChainAnchor.objects.values_list("rep_id", flat=True))
        | set(Session.objects.finalised().values_list("rep_id", flat=True))
    )
    return list(Person.objects.filter(pk__in=ids).order_by("full_name", "pk"))


def _check_amendments(record: Record, report: Report, name: str) -> None:
    base = record.content_hash
    expected = 1
    known = True
    for amendment in Amendment.objects.filter(record=record).order_by("number"):
        report.amendments += 1
        if amendment.number > expected:
            for missing in range(expected, amendment.number):
                report.problems.append(
                    Problem(
                        name,
                        record.number,
                        record.pk,
                        AMENDMENT_MISSING,
                        f"amendment {missing} is not in the database",
                    )
                )
            # The next amendment chains from the missing one: it cannot be checked.
            known = False
        content = {"reason": amendment.reason, "text": amendment.text}
        if known and chain_hash(content, base) != amendment.content_hash:
            report.problems.append(
                Problem(
                    name,
                    record.number,
                    record.pk,
                    AMENDMENT_CHANGED,
                    f"amendment {amendment.number} no longer matches its hash",
                )
            )
        base, expected, known = amendment.content_hash, amendment.number + 1, True


def _check_chain(rep: Person, report: Report) -> None:
    name = rep.full_name or rep.username
    anchor = ChainAnchor.objects.filter(rep=rep).first()
    expected_number = anchor.last_removed_number + 1 if anchor else 1
    expected_hash = anchor.last_removed_hash if anchor else ""
    expected_id: int | None = None
    missing = 0

    records = Record.objects.filter(rep=rep).order_by("number")
    for record in records.iterator(chunk_size=200):
        report.records += 1
        if record.number < expected_number:
            # Only possible with an anchor: retention removed this number already.
            report.problems.append(
                Problem(
                    name,
                    record.number,
                    record.pk,
                    LINK_BROKEN,
                    f"retention removed records up to {expected_number - 1}, "
                    "yet this one is still here",
                )
            )
            continue
        link_known = record.number == expected_number
        for number in range(expected_number, record.number):
            missing += 1
            report.problems.append(
                Problem(
                    name,
                    number,
                    None,
                    RECORD_MISSING,
                    f"the chain skips from {expected_number - 1} to {record.number}",
                )
            )

        # The hash covers the content and the previous hash. When only the
        # stored previous hash was altered, the content still gives the hash
        # through the true predecessor's: that is a broken link, not new content.
        hashes = {chain_hash(record.content, record.previous_hash)}
        if link_known and record.previous_hash != expected_hash:
            hashes.add(chain_hash(record.content, expected_hash))
        if record.content_hash not in hashes:
            report.problems.append(
                Problem(
                    name,
                    record.number,
                    record.pk,
                    CONTENT_CHANGED,
                    "its content no longer gives its hash",
                )
            )
        if link_known:
            wrong = []
            if record.previous_hash != expected_hash:
                wrong.append(
                    f"previous hash {_short(record.previous_hash)} "
                    f"should be {_short(expected_hash)}"
                )
            if record.previous_id != expected_id:
                wrong.append(
                    f"links to record id {record.previous_id} instead of {expected_id}"
                )
            if wrong:
                report.problems.append(
                    Problem(
                        name, record.number, record.pk, LINK_BROKEN, "; ".join(wrong)
                    )
                )
        _check_amendments(record, report, name)
        expected_number = record.number + 1
        expected_hash = record.content_hash
        expected_id = record.pk

    # A record removed from the end of the chain leaves no gap; its session,
    # finalised without a record, shows it. Gaps already account for some.
    orphans = list(
        Session.objects.finalised()
        .filter(rep=rep, record__isnull=True)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    for extra in range(len(orphans) - missing):
        report.problems.append(
            Problem(
                name,
                expected_number + extra,
                None,
                RECORD_MISSING,
                "finalised session(s) "
                + ", ".join(str(pk) for pk in orphans)
                + " have no record",
            )
        )


def verify_chains(rep: Person | None = None) -> Report:
    """Walk every rep's chain (or one rep's) and list what does not hold."""
    report = Report()
    for person in _reps(rep):
        report.chains += 1
        _check_chain(person, report)
    logger.info(
        "verify records=%d chains=%d amendments=%d problems=%d rep=%s",
        report.records,
        report.chains,
        report.amendments,
        len(report.problems),
        rep.pk if rep else "all",
    )
    return report
