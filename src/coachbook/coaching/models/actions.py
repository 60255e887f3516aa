"""Actions agreed in sessions, and what later sessions decided about them."""

from __future__ import annotations

from django.db import models

from coachbook.coaching.models.sessions import Session
from coachbook.people.models import Person


class ActionQuerySet(models.QuerySet["Action"]):
    def open(self) -> ActionQuerySet:
        return self.filter(status=Action.Status.OPEN)


class Action(models.Model):
    """A commitment made in a session, followed up in later ones."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="actions"
    )
    rep = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="coaching_actions"
    )
    task = models.TextField(blank=True)
    owner = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_actions",
    )
    due_date = models.DateField(null=True, blank=True)
    expected_result = models.TextField(blank=True)
    escalation_point = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(null=True, blank=True)
    # The rep reports an action done; the manager then verifies it or sends it back.
    reported_done_at = models.DateTimeField(null=True, blank=True)
    report_note = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    sent_back_note = models.TextField(blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        # Numbered in the order they were agreed; "Action 2" stays action 2.
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.task or f"Action {self.pk}"

    @property
    def awaiting_verification(self) -> bool:
        return self.status == self.Status.OPEN and self.reported_done_at is not None

    def missing_fields(self) -> list[str]:
        checks = {
            "task": self.task.strip(),
            "owner": self.owner_id,
            "due date": self.due_date,
            "expected result": self.expected_result.strip(),
            "escalation point": self.escalation_point.strip(),
        }
        return [name for name, value in checks.items() if not value]


class Disposition(models.Model):
    """What a session decided about an action left open by an earlier one."""

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        CARRIED = "carried", "Carried forward"
        DROPPED = "dropped", "Dropped"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="dispositions"
    )
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, related_name="dispositions"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    new_due_date = models.DateField(
        null=True,
        blank=True,
        help_text="For an action carried forward: when it is now due.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "action"], name="disposition_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: action {self.action_id}"
