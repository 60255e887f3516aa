"""Sessions, what they covered, the actions they produced and the frozen records."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction

from coachbook.crm.models import Opportunity
from coachbook.people.models import Person


class SessionLocked(Exception):
    """The session is past the point where this change is allowed."""


class SessionRefused(Exception):
    """The session cannot close: the procedure's rules are not met."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class Template(models.Model):
    """One sales motion's way of coaching.

    Time boxes are minutes per agenda section for a session of
    `duration_minutes`; a shorter or longer session scales them. The deal cap
    is how many deals fit the deal review; deals whose risk is above the
    tolerance need an escalation decision.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    duration_minutes = models.PositiveSmallIntegerField(default=45)
    time_boxes = models.JSONField(default=dict)
    deal_cap = models.PositiveSmallIntegerField(default=3)
    risk_tolerance = models.PositiveSmallIntegerField(default=25)
    deal_review_fields = models.JSONField(default=list, blank=True)
    skill_catalogue = models.JSONField(default=list)
    development_catalogue = models.JSONField(default=list)
    default_cadence_days = models.PositiveSmallIntegerField(default=14)
    compliance_checklist = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Check the JSON settings an admin edits, so a typo cannot break sessions."""
        from coachbook.coaching.agenda import SECTIONS
        from coachbook.coaching.rules import REGULATED_TOPICS

        errors: dict[str, str] = {}
        boxes = self.time_boxes
        if not isinstance(boxes, dict) or not boxes:
            errors["time_boxes"] = 'Give minutes per section, like {"deals": 15}.'
        else:
            unknown = set(boxes) - set(SECTIONS)
            bad = [k for k, v in boxes.items() if not isinstance(v, int) or v < 0]
            if unknown:
                errors["time_boxes"] = "Unknown sections: " + ", ".join(sorted(unknown))
            elif bad or not sum(boxes.values()):
                errors["time_boxes"] = (
                    "Minutes must be whole numbers of 0 or more, not all 0."
                )
        for field in ("skill_catalogue", "development_catalogue"):
            items = getattr(self, field)
            if (
                not isinstance(items, list)
                or not items
                or not all(isinstance(i, str) and i.strip() for i in items)
            ):
                errors[field] = "Give a list of one or more names."
        checklist = self.compliance_checklist
        if not isinstance(checklist, list) or not all(
            isinstance(i, str)
            or (
                isinstance(i, dict)
                and isinstance(i.get("check"), str)
                and i.get("topic", "") in {"", *REGULATED_TOPICS}
            )
            for i in checklist
        ):
            errors["compliance_checklist"] = (
                'Each item is a check, or {"topic": ..., "check": ...} with a topic of '
                + ", ".join(REGULATED_TOPICS)
                + "."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def default(cls) -> Template:
        return (
            cls.objects.filter(is_default=True).first()
            or cls.objects.order_by("pk").first()
        )


class SessionQuerySet(models.QuerySet):
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


class AgendaItem(models.Model):
    """A line of the agenda, with its time box."""

    class Kind(models.TextChoices):
        OPENING = "opening", "Open the session"
        DEALS = "deals", "Deal review"
        PIPELINE = "pipeline", "Pipeline and activity review"
        SKILL = "skill", "Skill coaching"
        DEVELOPMENT = "development", "Development topic"
        ACTIONS = "actions", "Follow-up commitments"
        URGENT = "urgent", "Urgent topic"

    REQUIRED = [Kind.DEALS, Kind.PIPELINE, Kind.SKILL, Kind.DEVELOPMENT, Kind.ACTIONS]

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="agenda"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    minutes = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)
    added_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.minutes} min)"


class DealReview(models.Model):
    """What manager and rep agreed about one deal, with its risk when the brief was frozen."""

    class Confidence(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="deal_reviews"
    )
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT)
    risk_score = models.PositiveSmallIntegerField(default=0)
    risk_rank = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100)
    next_step = models.TextField(blank=True)
    decision_process = models.TextField(blank=True)
    blockers = models.TextField(blank=True)
    support_needed = models.TextField(blank=True)
    close_confidence = models.CharField(
        max_length=6, choices=Confidence.choices, blank=True
    )
    escalate = models.BooleanField(null=True, blank=True)
    over_cap = models.BooleanField(default=False)
    extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["risk_rank", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "opportunity"], name="review_deal_once"
            )
        ]

    def __str__(self) -> str:
        return f"Review of deal {self.opportunity_id} in session {self.session_id}"


class SkillCoaching(models.Model):
    """The one skill coached, the evidence it rests on, and the practice agreed."""

    class Evidence(models.TextChoices):
        CALL = "call", "Call"
        EMAIL = "email", "Email"
        MEETING = "meeting", "Meeting"
        CRM_NOTE = "crm_note", "CRM note"

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.CharField(max_length=100)
    evidence_kind = models.CharField(
        max_length=10, choices=Evidence.choices, blank=True
    )
    evidence_date = models.DateField(null=True, blank=True)
    evidence_where = models.CharField(max_length=300, blank=True)
    evidence_what = models.TextField(blank=True)
    feedback = models.TextField(blank=True)
    practice_action = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.skill

    @property
    def cites_evidence(self) -> bool:
        return bool(
            self.evidence_kind
            and self.evidence_what.strip()
            and (self.evidence_date or self.evidence_where.strip())
        )


class DevelopmentTopic(models.Model):
    """One topic from the rep's growth plan, kept apart from deal coaching."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="development"
    )
    topic = models.CharField(max_length=100)
    goal = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.topic


class ActionQuerySet(models.QuerySet):
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

    objects = ActionQuerySet.as_manager()

    class Meta:
        # Numbered in the order they were agreed; "Action 2" stays action 2.
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.task or f"Action {self.pk}"

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


class Record(models.Model):
    """The frozen account of a finalised session.

    Its content hash covers the content and the previous record's hash for the
    same rep, so a changed or removed record breaks the chain.
    """

    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="record"
    )
    rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="records")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, unique=True)
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_record",
    )
    previous_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rep", "number"], name="record_number_once")
        ]

    def __str__(self) -> str:
        return f"Record {self.number} for {self.rep}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise SessionLocked(
                "A finalised record cannot be changed; add an amendment instead."
            )
        super().save(*args, **kwargs)

    def amend(self, author: Person, reason: str, text: str) -> Amendment:
        """Add a correction beside the record; the record itself never changes."""
        from coachbook.coaching.audit import audit
        from coachbook.coaching.records import chain_hash

        if not reason.strip() or not text.strip():
            raise ValueError(
                "An amendment needs both the correction and the reason for it."
            )
        with transaction.atomic():
            last = self.amendments.select_for_update().order_by("-number").first()
            base = last.content_hash if last else self.content_hash
            number = (last.number + 1) if last else 1
            amendment = Amendment.objects.create(
                record=self,
                number=number,
                author=author,
                reason=reason.strip(),
                text=text.strip(),
                content_hash=chain_hash(
                    {"reason": reason.strip(), "text": text.strip()}, base
                ),
            )
            audit(
                author,
                self.session,
                "amended",
                amendment,
                after={"reason": amendment.reason},
            )

        return amendment


class Amendment(models.Model):
    """A later correction to a record: the record stays, the correction sits beside it."""

    record = models.ForeignKey(
        Record, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "number"], name="amendment_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"Amendment {self.number} to record {self.record_id}"


class AuditEvent(models.Model):
    """Who changed what in a session, when, with the values before and after."""

    actor = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id} at {self.at:%Y-%m-%d %H:%M}"
