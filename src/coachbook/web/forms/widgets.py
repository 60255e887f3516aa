"""Widgets and limits the session forms share."""

from django import forms

DATE = forms.DateInput(attrs={"type": "date"})
# Planned and next meetings stay within a year of the day they are set.
PLANNING_WINDOW_DAYS = 366


def TEXT(rows: int = 2) -> forms.Textarea:  # noqa: N802 - reads like the other widgets
    return forms.Textarea(attrs={"rows": rows})
