"""Widgets and limits the session forms share."""

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})
# Planned and next meetings stay within a year of the day they are set.
PLANNING_WINDOW_DAYS = 366


def TEXT(rows: int = 2) -> forms.Textarea:  # noqa: N802 - reads like the other widgets
    return forms.Textarea(attrs={"rows": rows})


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's field by name, known to offer choices."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a choice field"
    return field


def model_choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField), (
        f"{name} is not a model choice field"
    )
    return field
