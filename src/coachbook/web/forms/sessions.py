"""Forms that plan, open and close a session, and amend its record."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django import forms

from coachbook.coaching.models import Session, Template
from coachbook.coaching.rules import required_checks
from coachbook.people.models import Organisation
from coachbook.web.forms.guard import GuardedForm
from coachbook.web.forms.widgets import DATE, PLANNING_WINDOW_DAYS, TEXT, choice_field


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

    def __init__(self, *args, zone: str = "UTC", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("start"):
            # A wall-clock time the clocks skip or repeat on a daylight-saving day
            # would silently become another time; ask for one that exists once.
            local = datetime.combine(data["date"], data["start"])
            there = local.replace(tzinfo=self.zone)
            back = there.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None)
            folded = local.replace(tzinfo=self.zone, fold=1).utcoffset()
            if back != local or folded != there.utcoffset():
                self.add_error(
                    "start",
                    f"{data['start']:%H:%M} does not happen exactly once on that day in "
                    f"{self.zone.key} (the clocks change); pick another time.",
                )
        return data

    def clean_date(self):
        day = self.cleaned_data["date"]
        today = Organisation.current().today()
        if abs((day - today).days) > PLANNING_WINDOW_DAYS:
            raise forms.ValidationError(
                f"Pick a date within a year of today ({today:%-d %b %Y})."
            )
        return day

    def starts_at(self) -> datetime:
        d = self.cleaned_data
        return datetime.combine(d["date"], d["start"]).replace(tzinfo=self.zone)


class OpenSessionForm(GuardedForm):
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


class CloseForm(GuardedForm):
    guarded_fields = (
        "summary",
        "next_meeting_at",
        "top_follow_ups",
        "compliance_confirmed",
    )
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
            choice_field(self, "compliance").choices = [(c, c) for c in checks]
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
