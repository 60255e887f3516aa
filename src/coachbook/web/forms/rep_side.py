"""Forms the rep uses before and after a session, and the manager's check."""

from __future__ import annotations

from django import forms

from coachbook.coaching.models import DealReview, DealUpdate, Session
from coachbook.web.forms.guard import GuardedForm
from coachbook.web.forms.widgets import TEXT, choice_field


class DealUpdateForm(GuardedForm):
    """The rep's word on a deal before the session: what happens next, how sure."""

    class Meta:
        model = DealUpdate
        fields = ["next_step", "close_confidence", "note"]
        labels = {
            "next_step": "Next step",
            "close_confidence": "Confidence in the close date",
            "note": "Anything your manager should know",
        }
        widgets = {"next_step": TEXT(), "note": TEXT()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "close_confidence").choices = [
            ("", "— choose —"),
            *DealReview.Confidence.choices,
        ]

    def clean(self):
        cleaned = super().clean()
        if not any(
            str(cleaned.get(name) or "").strip() for name in self._meta.fields or ()
        ):
            raise forms.ValidationError("Write at least one thing about this deal.")
        return cleaned


class ReportDoneForm(forms.Form):
    note = forms.CharField(
        label="What did you do?",
        widget=TEXT(),
        max_length=2000,
        error_messages={"required": "Say what you did, so your manager can check it."},
    )


class VerifyActionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verified: it is done"), ("send_back", "Not done yet")],
        widget=forms.RadioSelect,
        initial="verify",
    )
    note = forms.CharField(
        label="Note to the rep", required=False, widget=TEXT(), max_length=2000
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == "send_back"
            and not cleaned.get("note", "").strip()
        ):
            self.add_error("note", "Say what is still missing.")
        return cleaned


class PrivateNotesForm(GuardedForm):
    class Meta:
        model = Session
        fields = ["private_notes"]
        labels = {"private_notes": "Private notes"}
        help_texts = {
            "private_notes": "Only you see these. They are not shown to the rep and "
            "are not part of the record."
        }
