from __future__ import annotations

import json
import os
from pathlib import Path

from django.db import models

from coachbook.people.models import Person


class Account(models.Model):
    """A customer company, as the CRM knows it."""

    external_id = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=100, blank=True)
    office_location = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subsidiaries",
    )
    employees = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something the company sells, with its list price."""

    name = models.CharField(max_length=100, unique=True)
    series = models.CharField(max_length=100, blank=True)
    list_price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")

    def __str__(self) -> str:
        return self.name


class Opportunity(models.Model):
    """A deal a rep is working, keyed by the CRM's own id.

    A field the source does not carry at all is left null (the brief then says
    it cannot judge it); a field the source carries but leaves empty is "".
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    external_id = models.CharField(max_length=100, unique=True)
    source = models.CharField(max_length=40)
    name = models.CharField(max_length=300)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="deals")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.CharField(max_length=100)
    stage_position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=4, choices=Status.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    amount_is_list_price = models.BooleanField(default=False)
    # `amount` is in the organisation's currency; what the CRM said is kept here.
    currency = models.CharField(max_length=3, default="USD")
    source_amount = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True
    )
    source_currency = models.CharField(max_length=3, blank=True)
    probability = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    segment = models.CharField(max_length=100, blank=True)
    snapshot_on = models.DateField(
        null=True,
        blank=True,
        help_text="The as-of date of the export this deal was last read from.",
    )
    created_on = models.DateField(null=True, blank=True)
    stage_entered_on = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    # Null: the source has no such field; "": the source has it, left empty.
    next_step = models.TextField(null=True, blank=True)  # noqa: DJ001
    decision_process = models.TextField(null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["owner", "close_date"]),
        ]

    def __str__(self) -> str:
        return self.name


class StageChange(models.Model):
    """One row of a deal's history: its stage, amount and close date from that day.

    A row whose from_stage equals its to_stage records a change of amount or
    close date without a stage move.
    """

    opportunity = models.ForeignKey(
        Opportunity, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(max_length=100, blank=True)
    to_stage = models.CharField(max_length=100)
    changed_on = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    probability = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    derived = models.BooleanField(
        default=False,
        help_text="Worked out from dates on the deal, not a history file.",
    )
    # Where the row came from: a history file's own id, or "snapshot:<date>"
    # when two exports of the deal were compared. Empty for derived rows.
    external_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["changed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "to_stage", "changed_on"],
                condition=models.Q(external_id=""),
                name="stage_change_once",
            ),
            models.UniqueConstraint(
                fields=["opportunity", "external_id"],
                condition=~models.Q(external_id=""),
                name="history_row_once",
            ),
        ]
        indexes = [models.Index(fields=["changed_on"])]

    def __str__(self) -> str:
        start = self.from_stage or "start"
        return f"{self.opportunity_id}: {start} → {self.to_stage} on {self.changed_on}"


class Activity(models.Model):
    """A call, email, meeting or task by a rep."""

    class Kind(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        TASK = "task", "Task"

    external_id = models.CharField(max_length=100, unique=True)
    rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="activities")
    opportunity = models.ForeignKey(
        Opportunity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%Y-%m-%d}"


class ActivityTarget(models.Model):
    """How many calls, emails or meetings a week a rep (or every rep of a team) should log."""

    rep = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activity_targets",
    )
    kind = models.CharField(max_length=10, choices=Activity.Kind.choices)
    per_week = models.PositiveSmallIntegerField()
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rep", "kind"], name="activity_target_once"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(rep__isnull=True),
                name="default_activity_target_once",
            ),
        ]

    def __str__(self) -> str:
        who = self.rep or "every rep"
        return f"{who}: {self.per_week} {self.get_kind_display().lower()}s a week"


class CurrencyRate(models.Model):
    """What one unit of a currency is worth in the organisation's currency, from a date."""

    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_from"], name="rate_once")
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} from {self.valid_from}"


class Target(models.Model):
    """A rep's quota for one fiscal quarter, and the pipeline coverage they should hold."""

    rep = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="targets")
    period = models.CharField(max_length=12, help_text="Fiscal quarter, e.g. FY2017-Q4")
    period_start = models.DateField()
    period_end = models.DateField()
    quota = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    coverage_ratio = models.DecimalField(max_digits=5, decimal_places=2, default=3)
    is_demo = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rep", "period_start"], name="target_once")
        ]

    def __str__(self) -> str:
        return f"{self.rep} {self.period}"


class ImportRun(models.Model):
    """One import of a file or folder: what came in, what was refused, who ran it."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"

    source = models.CharField(max_length=40)
    location = models.CharField(max_length=500)
    checksum = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices)
    run_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict)
    rejected = models.JSONField(default=list)
    notes = models.JSONField(default=list)
    data_as_of = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.source} import {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    # The counts every file has, in the order the reports show them.
    MAIN_OUTCOMES = ("read", "created", "updated", "unchanged", "rejected")

    @property
    def rejected_rows(self) -> int:
        """Rows refused: a row with several bad fields is one row."""
        return len({(r.get("file"), r.get("row")) for r in self.rejected})

    @property
    def ordered_counts(self) -> list[tuple[str, list[tuple[str, int]]]]:
        """Each line of counts with read, created, ... rejected first, then the rest."""

        def rank(outcome: str) -> int:
            main = self.MAIN_OUTCOMES
            return main.index(outcome) if outcome in main else len(main)

        return [
            (table, sorted(counts.items(), key=lambda item: rank(item[0])))
            for table, counts in self.counts.items()
        ]


class ImportJob(models.Model):
    """An import started from the page: it runs in the background and reports progress."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Finished"
        FAILED = "failed", "Stopped with an error"

    source = models.CharField(max_length=40)
    folder = models.CharField(max_length=500)
    options = models.JSONField(default=dict)
    state = models.CharField(max_length=8, choices=State.choices, default=State.WAITING)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_done = models.PositiveBigIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejections_file = models.CharField(max_length=500, blank=True)
    started_by = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source} import {self.pk} ({self.get_state_display()})"

    # While an import runs, everything it writes to the database stays unseen
    # until it ends (it is one transaction), so its progress goes to a file
    # beside the upload, which any web process can read.
    PROGRESS_FILE = "progress.json"

    def write_progress(self, rows_done: int, step: str) -> None:
        folder = Path(self.folder)
        scratch = folder / f".{self.PROGRESS_FILE}"
        scratch.write_text(json.dumps({"rows_done": rows_done, "step": step}))
        os.replace(scratch, folder / self.PROGRESS_FILE)  # never half-written

    def read_progress(self) -> None:
        """Take the running import's progress from its file, when there is one."""
        if self.state != self.State.RUNNING or not self.folder:
            return
        try:
            progress = json.loads((Path(self.folder) / self.PROGRESS_FILE).read_text())
            self.rows_done = int(progress["rows_done"])
            self.step = str(progress["step"])[:200]
        except (OSError, ValueError, KeyError, TypeError):
            return  # not started yet: nothing read so far

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_done * 100 / self.rows_total))
