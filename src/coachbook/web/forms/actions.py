"""Forms for new actions and for decisions on earlier ones."""

from __future__ import annotations

from django import forms

from coachbook.coaching.models import Action, Disposition, Session
from coachbook.people.models import Person
from coachbook.web.forms.guard import GuardedForm
from coachbook.web.forms.widgets import DATE, TEXT, choice_field, model_choice_field


class ActionForm(GuardedForm):
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
        owner = model_choice_field(self, "owner")
        owner.queryset = owners
        owner.empty_label = "— choose an owner —"
        for name in self.Meta.fields:
            self.fields[name].required = True

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due < self.session.local_date:
            raise forms.ValidationError(
                f"Give a date on or after this session ({self.session.local_date:%-d %b %Y})."
            )
        return due


class DispositionForm(GuardedForm):
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
        choice_field(self, "outcome").choices = [
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
