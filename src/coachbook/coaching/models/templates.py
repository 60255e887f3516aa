"""Templates: one sales motion's way of coaching."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


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
        """The template marked as default, else the oldest one."""
        template = (
            cls.objects.filter(is_default=True).first()
            or cls.objects.order_by("pk").first()
        )
        if template is None:
            raise cls.DoesNotExist(
                "No coaching template exists; run the migrations to add the default one."
            )

        return template
