"""What a session covered, step by step."""

from __future__ import annotations

from django.db import models

from coachbook.coaching.models.sessions import Session
from coachbook.crm.models import Opportunity
from coachbook.people.models import Person


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


class DealUpdate(models.Model):
    """What the rep says about a deal before the session, for the manager's prep."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="deal_updates"
    )
    opportunity = models.ForeignKey(Opportunity, on_delete=models.PROTECT)
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    next_step = models.TextField(blank=True)
    close_confidence = models.CharField(
        max_length=6, choices=DealReview.Confidence.choices, blank=True
    )
    note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "opportunity"], name="deal_update_once"
            )
        ]

    def __str__(self) -> str:
        return f"Update on deal {self.opportunity_id} for session {self.session_id}"
