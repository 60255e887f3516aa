"""Forms for the coaching steps: deals, pipeline, skill, development."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from coachbook.coaching.models import (
    DealReview,
    DevelopmentTopic,
    Session,
    SkillCoaching,
)
from coachbook.web.forms.guard import GuardedForm
from coachbook.web.forms.widgets import DATE, TEXT, choice_field


class EscalateSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", "Not decided"),
            ("true", "Yes, escalate"),
            ("false", "No"),
        ]


class DealReviewForm(GuardedForm):
    guarded_fields = (
        "next_step",
        "decision_process",
        "blockers",
        "support_needed",
        "close_confidence",
        "escalate",
        "extra",
    )

    class Meta:
        model = DealReview
        fields = [
            "next_step",
            "decision_process",
            "blockers",
            "support_needed",
            "close_confidence",
            "escalate",
        ]
        labels = {
            "decision_process": "Customer's decision process",
            "blockers": "Blockers or risks",
            "support_needed": "Support needed from the manager",
            "close_confidence": "Close-date confidence",
            "escalate": "Escalate?",
        }
        widgets = {
            "next_step": TEXT(),
            "decision_process": TEXT(),
            "blockers": TEXT(),
            "support_needed": TEXT(),
            "escalate": EscalateSelect(),
        }

    def __init__(self, *args, extra_fields: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "close_confidence").choices = [
            ("", "— choose —"),
            *DealReview.Confidence.choices,
        ]
        # The template's own review fields (a MEDDICC champion, say) go in `extra`.
        self.extra_fields = {f"extra_{i}": name for i, name in enumerate(extra_fields)}
        for key, name in self.extra_fields.items():
            self.fields[key] = forms.CharField(
                label=name,
                required=False,
                widget=TEXT(),
                initial=self.instance.extra.get(name, ""),
            )

    def clean_next_step(self) -> str:
        value = self.cleaned_data["next_step"].strip()
        if not value:
            raise forms.ValidationError("Say what the next step on this deal is.")
        return value

    def save(self, commit: bool = True) -> DealReview:
        review = super().save(commit=False)
        review.extra = {
            name: self.cleaned_data[key].strip()
            for key, name in self.extra_fields.items()
        }
        if commit:
            review.save()
        return review


class PipelineForm(GuardedForm):
    class Meta:
        model = Session
        fields = [
            "pipeline_new_opportunities",
            "pipeline_activity",
            "pipeline_velocity",
            "pipeline_coverage_gaps",
            "pipeline_forecast_concerns",
        ]
        labels = {
            "pipeline_new_opportunities": "New opportunities since last time",
            "pipeline_activity": "Activity against target",
            "pipeline_velocity": "Stage velocity",
            "pipeline_coverage_gaps": "Coverage gaps by quarter or segment",
            "pipeline_forecast_concerns": "Forecast accuracy concerns",
        }
        widgets = {f: TEXT() for f in fields}


class SkillForm(GuardedForm):
    class Meta:
        model = SkillCoaching
        fields = [
            "skill",
            "evidence_kind",
            "evidence_date",
            "evidence_where",
            "evidence_what",
            "feedback",
            "practice_action",
        ]
        labels = {
            "evidence_kind": "Evidence: what kind",
            "evidence_date": "Evidence: when",
            "evidence_where": "Evidence: where to find it",
            "evidence_what": "Evidence: what was observed",
            "feedback": "Specific feedback",
            "practice_action": "One practice action",
        }
        widgets = {
            "evidence_date": DATE,
            "evidence_what": TEXT(3),
            "feedback": TEXT(3),
            "practice_action": TEXT(),
        }

    def __init__(self, *args, catalogue: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(s, s) for s in catalogue]
        current = self.initial.get("skill") or getattr(self.instance, "skill", "")
        if current and current not in catalogue:
            choices.append((current, current))
        self.allowed = {value for value, _ in choices}
        self.fields["skill"].widget = forms.Select(choices=choices)
        choice_field(self, "evidence_kind").choices = [
            ("", "— choose —"),
            *SkillCoaching.Evidence.choices,
        ]

    def clean_skill(self) -> str:
        skill = self.cleaned_data["skill"]
        if skill not in self.allowed:
            raise forms.ValidationError("Choose a skill from the template's catalogue.")
        return skill

    def clean_evidence_date(self):
        day = self.cleaned_data.get("evidence_date")
        session = self.instance.session
        if day and day > session.local_date:
            raise forms.ValidationError(
                "Evidence is something already observed: give a date on or before the session."
            )
        return day


class DevelopmentForm(GuardedForm):
    class Meta:
        model = DevelopmentTopic
        fields = ["topic", "goal", "notes"]
        labels = {"goal": "Growth-plan goal", "notes": "What we agreed"}
        widgets = {"goal": TEXT(), "notes": TEXT(3)}

    def __init__(self, *args, catalogue: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t, t) for t in catalogue]
        current = getattr(self.instance, "topic", "")
        if current and current not in catalogue:
            choices.append((current, current))
        self.allowed = {value for value, _ in choices}
        self.fields["topic"].widget = forms.Select(
            choices=[("", "— choose —"), *choices]
        )

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"]
        if topic not in self.allowed:
            raise forms.ValidationError("Choose a topic from the template's catalogue.")
        return topic
