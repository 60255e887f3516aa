"""The one-on-one itself and how it moves from planned to finalised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models, transaction

from coachbook.coaching.exceptions import SessionLocked, SessionRefused
from coachbook.coaching.models.templates import Template
from coachbook.people.models import Person

if TYPE_CHECKING:
    from coachbook.coaching.models.records import Record


class SessionQuerySet(models.QuerySet["Session"]):
    def for_rep(self, rep: Person) -> SessionQuerySet:
        return self.filter(rep=rep)

    def finalised(self) -> SessionQuerySet:
        return self.filter(state=Session.State.FINALISED)

    def not_finished(self) -> SessionQuerySet:
        return self.exclude(state__in=[Session.State.CLOSED, Session.State.FINALISED])

    def plan(
        self,
        manager: Person,
        rep: Person,
        starts_at,
        duration_minutes: int | None = None,
        template: Template | None = None,
    ) -> Session:
        """Put a one-on-one in the diary, in the manager's time zone."""
        template = template or Template.default()
        return self.create(
            manager=manager,
            rep=rep,
            template=template,
            scheduled_at=starts_at,
            time_zone=manager.time_zone,
            duration_minutes=duration_minutes or template.duration_minutes,
        )


class Session(models.Model):
    """One one-on-one between a manager and a rep.

    It moves planned → prepared (the brief is frozen) → in progress → closed
    (the procedure's rules are met) → finalised (the record is written and
    nothing changes any more). The methods that move it live in
    `coachbook.coaching.services`.
    """

    class State(models.TextChoices):
        PLANNED = "planned", "Planned"
        PREPARED = "prepared", "Prepared"
        IN_PROGRESS = "in_progress", "In progress"
        CLOSED = "closed", "Closed"
        FINALISED = "finalised", "Finalised"

    manager = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="sessions_run"
    )
    rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="sessions")
    template = models.ForeignKey(Template, on_delete=models.PROTECT)
    scheduled_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64)
    duration_minutes = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PLANNED
    )

    brief = models.JSONField(null=True, blank=True)
    brief_as_of = models.DateField(null=True, blank=True)
    agenda_sent_at = models.DateTimeField(null=True, blank=True)

    # Step 3: open.
    time_confirmed = models.BooleanField(default=False)
    expected_outcomes = models.TextField(blank=True)
    # Step 5: pipeline and activity.
    pipeline_new_opportunities = models.TextField(blank=True)
    pipeline_activity = models.TextField(blank=True)
    pipeline_velocity = models.TextField(blank=True)
    pipeline_coverage_gaps = models.TextField(blank=True)
    pipeline_forecast_concerns = models.TextField(blank=True)
    # Step 9: close.
    summary = models.TextField(blank=True)
    next_meeting_at = models.DateTimeField(null=True, blank=True)
    top_follow_ups = models.JSONField(default=list, blank=True)
    compliance_confirmed = models.JSONField(default=list, blank=True)
    # The manager's own notes: never shown to the rep, never part of the record.
    private_notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["rep", "scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.rep} with {self.manager}, {self.local_date}"

    @property
    def local_start(self):
        from zoneinfo import ZoneInfo

        return self.scheduled_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def local_date(self):
        return self.local_start.date()

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.PREPARED, self.State.IN_PROGRESS)

    def check_editable(self) -> None:
        if not self.is_editable:
            raise SessionLocked(
                f"This session is {self.get_state_display().lower()}; it can no longer be changed."
            )

    def default_next_meeting(self):
        """Same local time, one cadence later, in the session's own time zone.

        Adding days to the local wall-clock time (not to the UTC instant) keeps
        a 10:00 meeting at 10:00 across a daylight-saving change.
        """
        from datetime import timedelta
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(self.time_zone)
        local = self.scheduled_at.astimezone(zone).replace(tzinfo=None)

        return (local + timedelta(days=self.rep.cadence_days)).replace(tzinfo=zone)

    @transaction.atomic
    def prepare(self, actor: Person) -> None:
        """Freeze the prep brief as of the session date and generate the agenda."""
        from coachbook.coaching.agenda import build_agenda
        from coachbook.coaching.audit import audit
        from coachbook.coaching.brief import build_brief

        if self.state not in (self.State.PLANNED, self.State.PREPARED):
            raise SessionLocked("The brief is frozen once the session has started.")
        self.brief = build_brief(self.rep, self.local_date, session=self)
        self.brief_as_of = self.local_date
        self.state = self.State.PREPARED
        self.save(update_fields=["brief", "brief_as_of", "state"])
        build_agenda(self)
        audit(
            actor,
            self,
            "prepared",
            self,
            after={"brief_as_of": self.brief_as_of.isoformat()},
        )

    @transaction.atomic
    def start(
        self, actor: Person, expected_outcomes: str, duration_minutes: int
    ) -> None:
        """Step 3: the time available is confirmed and the outcomes stated."""
        from coachbook.coaching.agenda import rebalance
        from coachbook.coaching.audit import audit, snapshot

        self.check_editable()
        fields = ["state", "time_confirmed", "expected_outcomes", "duration_minutes"]
        before = snapshot(self, fields)
        self.state = self.State.IN_PROGRESS
        self.time_confirmed = True
        self.expected_outcomes = expected_outcomes
        self.duration_minutes = duration_minutes
        self.save(update_fields=fields)
        rebalance(self)
        audit(actor, self, "opened", self, before, snapshot(self, fields))

    @transaction.atomic
    def close(self, actor: Person) -> None:
        """Step 9: close, once every rule of the procedure is met."""
        from django.utils import timezone

        from coachbook.coaching.audit import audit
        from coachbook.coaching.rules import closing_problems

        self.check_editable()
        problems = closing_problems(self)
        if problems:
            raise SessionRefused(problems)
        self.state = self.State.CLOSED
        self.closed_at = timezone.now()
        self.save(update_fields=["state", "closed_at"])
        audit(actor, self, "closed", self, after={"state": self.state})

    @transaction.atomic
    def finalise(self, actor: Person) -> Record:
        """Step 10: write the frozen, hash-chained record and settle earlier actions."""
        from django.utils import timezone

        from coachbook.coaching.audit import audit
        from coachbook.coaching.models.actions import Action, Disposition
        from coachbook.coaching.models.records import Record
        from coachbook.coaching.records import chain_hash, record_content

        if self.state != self.State.CLOSED:
            raise SessionLocked("Close the session before finalising its record.")

        # Settle the actions that this session dispositioned.
        # An action another session settled in the meantime keeps that outcome.
        for disposition in self.dispositions.select_related("action"):
            action = Action.objects.select_for_update().get(pk=disposition.action_id)
            if action.status != Action.Status.OPEN:
                continue
            if disposition.outcome == Disposition.Outcome.CARRIED:
                if disposition.new_due_date:
                    action.due_date = disposition.new_due_date
                    action.save(update_fields=["due_date"])
                continue
            action.status = disposition.outcome
            action.closed_on = self.local_date
            action.save(update_fields=["status", "closed_on"])

        # Lock the rep's chain so two finalisations cannot share a predecessor.
        previous = (
            Record.objects.select_for_update()
            .filter(rep=self.rep)
            .order_by("-number")
            .first()
        )
        content = record_content(self)
        previous_hash = previous.content_hash if previous else ""
        record = Record.objects.create(
            session=self,
            rep=self.rep,
            number=(previous.number + 1) if previous else 1,
            content=content,
            content_hash=chain_hash(content, previous_hash),
            previous=previous,
            previous_hash=previous_hash,
            created_by=actor,
        )
        self.state = self.State.FINALISED
        self.finalised_at = timezone.now()
        self.save(update_fields=["state", "finalised_at"])
        audit(
            actor,
            self,
            "finalised",
            record,
            after={"content_hash": record.content_hash},
        )
        self._plan_next(actor)

        return record

    def _plan_next(self, actor: Person) -> Session | None:
        """Put the next meeting agreed at close in the diary, unless one is there."""
        from coachbook.coaching.audit import audit

        if not self.next_meeting_at:
            return None
        later = Session.objects.filter(rep=self.rep, scheduled_at__gt=self.scheduled_at)
        if later.exists():
            return None
        upcoming = Session.objects.plan(
            self.manager,
            self.rep,
            self.next_meeting_at,
            self.duration_minutes,
            self.template,
        )
        audit(actor, upcoming, "planned", upcoming, after={"from_session": self.pk})

        return upcoming
