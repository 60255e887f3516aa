"""Template filters for figures and dates kept as text in frozen briefs and records."""

import re
from datetime import date, datetime

from django import template
from django.utils.dateformat import format as format_date

from coachbook.lib import words

register = template.Library()
ORDERED_ITEM = re.compile(r"^\d+[.)]\s")


@register.filter
def day(value: str | date | None) -> str:
    """'2017-12-29' or a date → '29 Dec 2017'; a date-time keeps its own local time."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            parsed: date = (
                datetime.fromisoformat(value)
                if "T" in value
                else date.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        return format_date(value, "D j M Y, H:i")

    return format_date(value, "j M Y")


@register.filter
def plural(count: int | list, word: str) -> str:
    """'1 new deal', '3 new deals'."""
    n = len(count) if isinstance(count, list | tuple) else int(count or 0)
    return words.plural(n, word)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key) if mapping else None


@register.filter
def md(value) -> str:
    """Text made safe to drop into Markdown.

    HTML is shown as text, and a line that would start a heading, list or
    quote in the record is escaped, so notes cannot forge the record's shape.
    """
    if value is None:
        return ""
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    lines = []
    for line in text.splitlines() or [""]:
        stripped = line.lstrip()
        if stripped[:1] in {"#", "-", "*", "+", "|", "="} or ORDERED_ITEM.match(
            stripped
        ):
            line = "\\" + stripped
        lines.append(line)

    return "\n".join(lines)


@register.filter
def shown(field) -> str:
    """A bound field's value as a person reads it: choice labels, dates spelled out."""
    value = field.value()
    if value in (None, ""):
        return ""
    choices = getattr(field.field, "choices", None)
    if choices:
        labels = {str(key): label for key, label in choices}
        if isinstance(value, list | tuple):
            return ", ".join(str(labels.get(str(v), v)) for v in value)
        return str(labels.get(str(value), value))
    if isinstance(value, date):
        return day(value)
    return str(value)
