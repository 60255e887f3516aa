"""Forms for the session's steps. Each saves one part of the session on its own."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms

from coachbook.coaching.models import (
    Action,
    DealReview,
    DevelopmentTopic,
    Disposition,
    Session,
    SkillCoaching,
    Template,
)
from coachbook.coaching.rules import required_checks
from coachbook.people.models import Organisation, Person

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = lambda rows=2: forms.Textarea(attrs={"rows": rows})  # noqa: E731


PLANNING_WINDOW_DAYS = 366


class PlanSessionForm(forms.Form):
    date = forms.DateField(widget=DATE)
    start = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}), initial=time(10, 0)
    )
    duration_minutes = forms.IntegerField(
        min_value=15, max_value=180, initial=45, label="Minutes"
    )
    template = forms.ModelChoiceField(
        queryset=Template.objects.order_by("name"), empty_label=None
    )

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = Organisation.current().today()
        if abs((day - today).days) > PLANNING_WINDOW_DAYS:
            raise forms.ValidationError(
                f"Pick a date within a year of today ({today:%-d %b %Y})."
            )
        return day

    def starts_at(self, zone: str) -> datetime:
        d = self.cleaned_data
        return datetime.combine(d["date"], d["start"]).replace(tzinfo=ZoneInfo(zone))


class EscalateSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", "Not decided"),
            ("true", "Yes, escalate"),
            ("false", "No"),
        ]


class OpenSessionForm(forms.ModelForm):
    class Meta:
        model = Session
        fields = ["duration_minutes", "expected_outcomes"]
        labels = {
            "duration_minutes": "Time available (minutes)",
            "expected_outcomes": "What we want out of today",
        }
        widgets = {"expected_outcomes": TEXT(3)}

    def clean_duration_minutes(self) -> int:
        minutes = self.cleaned_data["duration_minutes"]
        if not 15 <= minutes <= 180:
            raise forms.ValidationError("A one-on-one runs between 15 and 180 minutes.")
        urgent = sum(
            self.instance.agenda.filter(kind="urgent").values_list("minutes", flat=True)
        )
        if urgent * 2 > minutes:
            raise forms.ValidationError(
                f"Urgent topics already take {urgent} minutes; the five required items "
                f"need at least as much, so allow {urgent * 2} minutes or more."
            )
        return minutes

    def clean_expected_outcomes(self) -> str:
        value = self.cleaned_data["expected_outcomes"].strip()
        if not value:
            raise forms.ValidationError(
                "State the outcomes you expect from this session."
            )
        return value


class UrgentTopicForm(forms.Form):
    title = forms.CharField(max_length=300, label="Urgent topic")
    minutes = forms.IntegerField(min_value=1, max_value=60, initial=5)


class DealReviewForm(forms.ModelForm):
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

    def __init__(self, *args, extra_fields: list[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["close_confidence"].choices = [
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


class PipelineForm(forms.ModelForm):
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


class SkillForm(forms.ModelForm):
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


class DevelopmentForm(forms.ModelForm):
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
        self.fields["topic"].widget = forms.Select(choices=choices)

    def clean_topic(self) -> str:
        topic = self.cleaned_data["topic"]
        if topic not in self.allowed:
            raise forms.ValidationError("Choose a topic from the template's catalogue.")
        return topic


class ActionForm(forms.ModelForm):
    """An action with the five things the procedure asks of it.

    The form asks for all five at once, so an incomplete action never reaches
    the list; the close step checks them again for actions made any other way.
    """

    class Meta:
        model = Action
        fields = ["task", "owner", "due_date", "expected_result", "escalation_point"]
        labels = {"escalation_point": "Escalation point if blocked"}
        widgets = {
            "task": TEXT(),
            "due_date": DATE,
            "expected_result": TEXT(),
            "escalation_point": TEXT(),
        }
        error_messages = {
            "task": {"required": "Say what is to be done."},
            "owner": {"required": "Choose who owns this action."},
            "due_date": {"required": "Give the date it is due."},
            "expected_result": {"required": "Say what result counts as done."},
            "escalation_point": {
                "required": "Say who to go to, and when, if it is blocked."
            },
        }

    def __init__(self, *args, session: Session, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        owners = Person.objects.filter(pk__in=[session.rep_id, session.manager_id])
        self.fields["owner"].queryset = owners
        self.fields["owner"].empty_label = "— choose an owner —"
        for name in self.Meta.fields:
            self.fields[name].required = True

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < self.session.local_date:
            raise forms.ValidationError(
                f"Give a date on or after this session ({self.session.local_date:%-d %b %Y})."
            )
        return due


class DispositionForm(forms.ModelForm):
    """What this session decides about an action an earlier one left open."""

    class Meta:
        model = Disposition
        fields = ["outcome", "reason", "new_due_date"]
        labels = {
            "outcome": "What happened",
            "new_due_date": "New due date, if carried forward",
        }
        widgets = {
            "reason": forms.TextInput(
                attrs={"placeholder": "Reason (needed when dropped)"}
            ),
            "new_due_date": DATE,
        }

    def __init__(self, *args, session: Session, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields["outcome"].choices = [
            ("", "— choose —"),
            *Disposition.Outcome.choices,
        ]

    def clean_new_due_date(self):
        due = self.cleaned_data.get("new_due_date")
        if due and due < self.session.local_date:
            raise forms.ValidationError(
                f"Give a date on or after this session ({self.session.local_date:%-d %b %Y})."
            )
        return due

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == Disposition.Outcome.DROPPED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", "Say why this action is dropped.")
        action = self.instance.action if self.instance.action_id else None
        if (
            data.get("outcome") == Disposition.Outcome.CARRIED
            and not data.get("new_due_date")
            and action is not None
            and action.due_date
            and action.due_date < self.session.local_date
        ):
            self.add_error(
                "new_due_date",
                f"It was due on {action.due_date:%-d %b %Y}; give it a new due date.",
            )
        return data


class CloseForm(forms.ModelForm):
    follow_up_1 = forms.CharField(required=False, label="Top follow-up 1")
    follow_up_2 = forms.CharField(required=False, label="Top follow-up 2")
    follow_up_3 = forms.CharField(required=False, label="Top follow-up 3")
    next_meeting = forms.DateTimeField(
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M"],
        label="Next meeting (your local time)",
        required=False,
    )
    compliance = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Compliance checklist",
    )

    class Meta:
        model = Session
        fields = ["summary"]
        labels = {"summary": "Key decisions"}
        widgets = {"summary": TEXT(4)}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        session: Session = self.instance
        zone = ZoneInfo(session.time_zone)
        next_at = session.next_meeting_at or session.default_next_meeting()
        self.initial["next_meeting"] = next_at.astimezone(zone).replace(tzinfo=None)
        for i, text in enumerate(session.top_follow_ups[:3], start=1):
            self.initial[f"follow_up_{i}"] = text
        checks = [check for _, check in required_checks(session)]
        if checks:
            self.fields["compliance"].choices = [(c, c) for c in checks]
            self.initial["compliance"] = session.compliance_confirmed
        else:
            del self.fields["compliance"]

    def clean_next_meeting(self):
        value = self.cleaned_data.get("next_meeting")
        if value is None:
            return value
        session: Session = self.instance
        days = (value.date() - session.local_date).days
        if not 0 < days <= PLANNING_WINDOW_DAYS:
            raise forms.ValidationError(
                "Pick a date after this session and within a year of it."
            )
        return value

    def save(self, commit: bool = True) -> Session:
        session: Session = super().save(commit=False)
        data = self.cleaned_data
        zone = ZoneInfo(session.time_zone)
        next_at = data.get("next_meeting")
        session.next_meeting_at = next_at.replace(tzinfo=zone) if next_at else None
        session.top_follow_ups = [
            data[f"follow_up_{i}"].strip()
            for i in (1, 2, 3)
            if data[f"follow_up_{i}"].strip()
        ]
        if "compliance" in self.fields:
            session.compliance_confirmed = data.get("compliance") or []
        if commit:
            session.save(
                update_fields=[
                    "summary",
                    "next_meeting_at",
                    "top_follow_ups",
                    "compliance_confirmed",
                ]
            )
        return session


class AmendmentForm(forms.Form):
    text = forms.CharField(widget=TEXT(3), label="Correction")
    reason = forms.CharField(widget=TEXT(2), label="Why it is needed")
