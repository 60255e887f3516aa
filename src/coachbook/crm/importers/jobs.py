"""Imports started from the page: run in a background thread, with progress to poll."""

from __future__ import annotations

import logging
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connection

from coachbook.crm.importers.crm_export import CrmImporter, default_as_of
from coachbook.crm.importers.layouts import LAYOUTS, LayoutProblem
from coachbook.crm.importers.maven import import_maven
from coachbook.crm.importers.report import (
    ImportFailed,
    ImportReport,
    record_unreadable,
    write_rejections,
)
from coachbook.crm.importers.scorecard import import_activity_targets, import_rates
from coachbook.crm.importers.sources import FolderSource
from coachbook.crm.importers.targets import import_targets
from coachbook.crm.models import ImportJob
from coachbook.lib.csvfiles import FileProblem

logger = logging.getLogger(__name__)

SINGLE_FILE: dict[str, Callable[..., ImportReport]] = {
    "targets": import_targets,
    "activity-targets": import_activity_targets,
    "rates": import_rates,
}


def upload_folder(job_id: int) -> Path:
    return Path(settings.DATA_DIR) / "uploads" / f"import-{job_id}"


def unpack(upload, folder: Path) -> None:
    """Save an uploaded file in the job's folder; a .zip is opened, flat and safely."""
    name = Path(upload.name).name
    if name.lower().endswith(".zip"):
        unzip(upload, folder)
        return
    with open(folder / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def unzip(archive_file, folder: Path) -> None:
    """The archive's files, flat in `folder`: folders inside it are ignored, so no
    name in it can write outside `folder`."""
    with zipfile.ZipFile(archive_file) as archive:
        for member in archive.infolist():
            if member.is_dir():
                continue
            target = folder / Path(member.filename).name
            with archive.open(member) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)


def count_rows(folder: Path) -> int:
    """Lines in the folder's files: the progress bar's length, close enough."""
    total = 0
    for path in folder.iterdir():
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                total += chunk.count(b"\n")
    return total


def start(job: ImportJob) -> None:
    threading.Thread(target=run_job, args=(job.pk,), daemon=True).start()


def run_job(job_id: int) -> None:
    close_old_connections()
    job = ImportJob.objects.get(pk=job_id)
    job.state = ImportJob.State.RUNNING
    folder = Path(job.folder)
    job.rows_total = count_rows(folder)
    job.save(update_fields=["state", "rows_total"])
    logger.info("import job started job=%s source=%s", job.pk, job.source)
    try:
        report = _run(job, folder)
    except (FileProblem, LayoutProblem) as exc:
        # Name what the admin uploaded, not the server's folder for it.
        message = (
            str(exc).replace(str(folder) + "/", "").replace(str(folder), "The upload")
        )
        job.state, job.error = (
            ImportJob.State.FAILED,
            f"{message}. Nothing was imported.",
        )
        job.run = record_unreadable(
            job.source,
            f"upload {job.pk}",
            sorted(folder.iterdir()),
            message,
            job.started_by,
        )
        logger.warning(
            "import job refused job=%s run=%s problem=%s", job.pk, job.run.pk, message
        )
        job.save(update_fields=["state", "error", "run"])
    except ImportFailed as exc:
        job.state, job.error, job.run = ImportJob.State.FAILED, str(exc), exc.run
        job.save(update_fields=["state", "error", "run"])
    except Exception:  # noqa: BLE001 - the page must say the job stopped, whatever the cause
        logger.exception("import job failed job=%s", job.pk)
        job.state = ImportJob.State.FAILED
        job.error = (
            "The import stopped on an unexpected error, and nothing was imported. "
            "The server log has the details for whoever runs coachbook."
        )
        job.save(update_fields=["state", "error"])
    else:
        job.run = report.run
        job.state = ImportJob.State.DONE
        job.rows_done = job.rows_total
        if report.rejected:
            job.rejections_file = str(
                write_rejections(report, folder / "rejected-rows.csv")
            )
        job.save(update_fields=["run", "state", "rows_done", "rejections_file"])
        logger.info(
            "import job finished job=%s run=%s rejected=%d",
            job.pk,
            report.run.pk if report.run else None,
            len(report.rejected),
        )
    finally:
        connection.close()


def _run(job: ImportJob, folder: Path) -> ImportReport:
    options = job.options
    run_by = job.started_by
    if job.source == "maven":
        return import_maven(folder, run_by=run_by)
    if job.source in SINGLE_FILE:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv")
        if len(files) != 1:
            raise FileProblem(folder, "needs exactly one CSV file for this import")
        return SINGLE_FILE[job.source](files[0], run_by=run_by)

    layout = LAYOUTS[job.source]()
    mapping = folder / "mapping.toml"
    if mapping.exists():
        layout = layout.with_overrides(mapping)
    if options.get("day_first"):  # unticked keeps what the mapping file says
        layout.day_first = True
    finished: dict[str, int] = {}
    last_write = [0.0]

    def tick(obj: str, rows: int) -> None:
        finished[obj] = rows
        now = time.monotonic()
        if now - last_write[0] >= 0.5:
            last_write[0] = now
            job.write_progress(sum(finished.values()), f"{obj}: {rows:,} rows read")

    as_of = options.get("as_of")
    return CrmImporter(
        FolderSource(folder, layout),
        layout,
        as_of=date.fromisoformat(as_of) if as_of else default_as_of(),
        run_by=run_by,
        partial=bool(options.get("partial")),
        progress=tick,
        default_owner=options.get("owner") or None,
    ).run()
