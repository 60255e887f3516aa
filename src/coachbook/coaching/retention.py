"""Retention: export, then remove, finalised sessions older than the retention period.

Records leave a rep's chain oldest first. Each removed record is written to the
export folder as JSON (with its amendments, the session's actions and audit
events) next to a manifest of SHA-256s, and the files are synced to disk
before anything is deleted. The deletion runs in one transaction under
RetentionPermits, the only thing the database triggers of migration 0005 let
remove a record; the rep's ChainAnchor then holds the last removed record's
number and hash so the remaining chain still verifies.

A record stays, with the reason, when its session still has open actions (they
would vanish unanswered), when an older record of the rep stays, or when it is
the rep's newest record: finalising the next session links to the newest
record, so removing it would restart the chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from coachbook.coaching.models import (
    Action,
    Amendment,
    AuditEvent,
    ChainAnchor,
    Record,
    RetentionPermit,
    Session,
)
from coachbook.coaching.records import as_json

logger = logging.getLogger("coachbook.retention")

ACTION = "removed by retention"
MANIFEST_FORMAT = "coachbook-retention-export"


class RetentionError(Exception):
    """Retention cannot go ahead; the message says why in plain words."""


@dataclass(frozen=True)
class Kept:
    record: Record
    reason: str


@dataclass
class Plan:
    as_of: date
    years: int
    cutoff: date
    remove: list[Record] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)


@dataclass
class Export:
    folder: Path
    manifest: Path
    manifest_sha256: str
    files: list[dict[str, Any]]


@dataclass
class Outcome:
    plan: Plan
    export: Export | None = None
    event: AuditEvent | None = None


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def make_plan(as_of: date, years: int) -> Plan:
    """Which records go and which old ones stay, with why."""
    cutoff = years_before(as_of, years)
    plan = Plan(as_of=as_of, years=years, cutoff=cutoff)
    # Local dates differ from UTC by less than a day: narrow in SQL, decide in Python.
    near = datetime.combine(cutoff + timedelta(days=2), time(), tzinfo=UTC)
    rep_ids = sorted(
        set(
            Session.objects.finalised()
            .filter(scheduled_at__lt=near)
            .values_list("rep_id", flat=True)
        )
    )
    for rep_id in rep_ids:
        chain = list(
            Record.objects.filter(rep_id=rep_id)
            .select_related("session", "session__manager", "rep")
            .order_by("number")
        )
        blocked = False
        for record in chain:
            if record.session.local_date >= cutoff:
                break
            if blocked:
                plan.kept.append(
                    Kept(
                        record,
                        "an older record of this rep stays; records go oldest first",
                    )
                )
                continue
            if record is chain[-1]:
                plan.kept.append(
                    Kept(
                        record,
                        "the newest record of a rep stays, so the chain continues",
                    )
                )
                break
            still_open = Action.objects.filter(session=record.session).open().count()
            if still_open:
                plan.kept.append(
                    Kept(
                        record,
                        f"{still_open} action(s) agreed in this session are still open; "
                        "mark them done or dropped first",
                    )
                )
                blocked = True
                continue
            plan.remove.append(record)

    return plan


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def export_payload(record: Record) -> dict[str, Any]:
    """The record as `as_json` writes it, with what else goes when its session goes."""
    session = record.session
    payload: dict[str, Any] = json.loads(as_json(record))
    payload["record_id"] = record.pk
    payload["session"] = {
        "id": session.pk,
        "date": session.local_date.isoformat(),
        "manager": session.manager.full_name,
        "finalised_at": _iso(session.finalised_at),
    }
    payload["actions"] = [
        {
            "id": action.pk,
            "task": action.task,
            "owner": action.owner.full_name if action.owner else None,
            "due_date": _iso(action.due_date),
            "status": action.status,
            "closed_on": _iso(action.closed_on),
            "dispositions": [
                {
                    "session_id": d.session_id,
                    "outcome": d.outcome,
                    "reason": d.reason,
                    "new_due_date": _iso(d.new_due_date),
                }
                for d in action.dispositions.order_by("pk")
            ],
        }
        for action in session.actions.select_related("owner").order_by("pk")
    ]
    payload["audit_events"] = [
        {
            "id": event.pk,
            "at": event.at.isoformat(),
            "actor": event.actor.full_name if event.actor else None,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "before": event.before,
            "after": event.after,
        }
        for event in AuditEvent.objects.filter(session=session)
        .select_related("actor")
        .order_by("at", "pk")
    ]
    return payload


def _write(path: Path, data: bytes) -> None:
    # "x": an export never overwrites an earlier one.
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _sync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_export(plan: Plan, folder: Path) -> Export:
    """Write each record to be removed, and the manifest, and sync them to disk."""
    folder.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    manifest_path = folder / f"manifest-{now:%Y%m%dT%H%M%S}Z.json"
    names = {r.pk: f"rep-{r.rep_id}-record-{r.number}.json" for r in plan.remove}
    taken = [
        name
        for name in [manifest_path.name, *names.values()]
        if (folder / name).exists()
    ]
    if taken:
        raise RetentionError(
            f"{folder} already holds {', '.join(taken)}; an export never overwrites "
            "files. Give another folder. Nothing was removed."
        )

    files = []
    for record in plan.remove:
        data = json.dumps(
            export_payload(record), indent=2, ensure_ascii=False, cls=DjangoJSONEncoder
        ).encode()
        _write(folder / names[record.pk], data)
        files.append(
            {
                "file": names[record.pk],
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "rep_id": record.rep_id,
                "record": record.number,
                "record_id": record.pk,
                "content_hash": record.content_hash,
            }
        )
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "created_at": now.isoformat(),
        "as_of": plan.as_of.isoformat(),
        "retention_years": plan.years,
        "removed_before": plan.cutoff.isoformat(),
        "files": files,
    }
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    _write(manifest_path, data)
    _sync_folder(folder)

    return Export(folder, manifest_path, hashlib.sha256(data).hexdigest(), files)


def remove(plan: Plan, export: Export) -> AuditEvent:
    """Delete the planned records and their sessions; the caller holds the transaction."""
    now = timezone.now()
    by_rep: dict[int, list[Record]] = {}
    for record in plan.remove:
        by_rep.setdefault(record.rep_id, []).append(record)
    session_ids = [r.session_id for r in plan.remove]

    RetentionPermit.objects.bulk_create(
        [RetentionPermit(session_id=pk) for pk in session_ids]
    )
    for rep_id, records in by_rep.items():
        last = records[-1]
        # The first remaining record lets go of its removed predecessor; its
        # previous hash stays and now matches the rep's anchor.
        Record.objects.filter(rep_id=rep_id, previous_id=last.pk).update(previous=None)
        for record in reversed(records):
            session = record.session
            # Explicitly first: deleting the session would otherwise try to
            # blank their session (an update the audit trail refuses).
            AuditEvent.objects.filter(session=session).delete()
            Amendment.objects.filter(record=record).delete()
            Record.objects.filter(pk=record.pk).delete()
            session.delete()  # with its agenda, reviews, notes and actions
        ChainAnchor.objects.update_or_create(
            rep_id=rep_id,
            defaults={
                "last_removed_number": last.number,
                "last_removed_hash": last.content_hash,
                "removed_at": now,
            },
        )
    RetentionPermit.objects.filter(session_id__in=session_ids).delete()

    return AuditEvent.objects.create(
        actor=None,
        session=None,
        action=ACTION,
        object_type="record",
        object_id=export.manifest.name,
        after={
            "as_of": plan.as_of.isoformat(),
            "retention_years": plan.years,
            "removed_before": plan.cutoff.isoformat(),
            "records": [
                {
                    "rep_id": r.rep_id,
                    "number": r.number,
                    "record_id": r.pk,
                    "session_id": r.session_id,
                    "content_hash": r.content_hash,
                }
                for r in plan.remove
            ],
            "export": str(export.folder),
            "manifest": export.manifest.name,
            "manifest_sha256": export.manifest_sha256,
        },
    )


def run_retention(
    folder: Path | None, as_of: date, *, dry_run: bool = False
) -> Outcome:
    """Plan, and unless it is a dry run, export and remove, all in one transaction.

    With COACHBOOK_RETENTION_YEARS at 0 records are kept forever: nothing is planned.
    """
    years = settings.COACHBOOK_RETENTION_YEARS
    if years < 0:
        raise RetentionError(
            f"COACHBOOK_RETENTION_YEARS is {years}; give 0 (keep forever) or more."
        )
    if years == 0:
        outcome = Outcome(Plan(as_of=as_of, years=0, cutoff=date.min))
    elif dry_run:
        outcome = Outcome(make_plan(as_of, years))
    elif folder is None:
        raise RetentionError(
            "Give --export DIR: records are removed only once exported."
        )
    else:
        with transaction.atomic():
            # Hold the chains still while they are planned, exported and cut.
            list(Record.objects.select_for_update().values_list("pk", flat=True))
            plan = make_plan(as_of, years)
            outcome = Outcome(plan)
            if plan.remove:
                outcome.export = write_export(plan, folder)
                outcome.event = remove(plan, outcome.export)
    plan = outcome.plan
    logger.info(
        "retention dry_run=%s removed=%d reps=%d kept=%d as_of=%s years=%d "
        "manifest_sha256=%s",
        dry_run,
        0 if dry_run else len(plan.remove),
        len({r.rep_id for r in plan.remove}),
        len(plan.kept),
        plan.as_of.isoformat(),
        years,
        outcome.export.manifest_sha256 if outcome.export else None,
    )
    return outcome
