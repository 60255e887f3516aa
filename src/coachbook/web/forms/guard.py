"""Refusing a save that would silently overwrite someone else's.

Each guarded form carries a fingerprint of the values it was opened with.
On save the row is read again under a lock; if those values changed in the
meantime, the save is refused, the person's own input stays in the form, and
the message says who changed it and when. Saving again keeps their version.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.http import QueryDict
from django.utils import timezone

SEEN = "seen"


def fingerprint(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, cls=DjangoJSONEncoder, sort_keys=True, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:20]


class GuardedForm(forms.ModelForm):
    """A model form that refuses to overwrite a change made since it was opened."""

    guarded_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[SEEN] = forms.CharField(
            widget=forms.HiddenInput, required=False, initial=self._fingerprint_now()
        )

    def _attnames(self) -> list[str]:
        names = self.guarded_fields or tuple(self._meta.fields or ())
        model = self._meta.model
        return sorted(model._meta.get_field(name).attname for name in names)

    def _fingerprint_now(self) -> str:
        if self.instance.pk is None:
            return ""
        return fingerprint({a: getattr(self.instance, a) for a in self._attnames()})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen = self.data.get(self.add_prefix(SEEN))
        if not seen or self.instance.pk is None:
            return cleaned
        manager = type(self.instance)._default_manager
        row = (
            manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values(*self._attnames())
            .first()
        )
        current = fingerprint(row or {})
        if current != seen:
            # Carry the current fingerprint: saving again is then a choice.
            data = QueryDict(mutable=True)
            data.update(self.data)
            data[self.add_prefix(SEEN)] = current
            self.data = data
            raise forms.ValidationError(self._conflict_message(), code="conflict")

        return cleaned

    def save(self, commit: bool = True):
        """Write only this form's own columns, so other parts saved meanwhile stay."""
        obj = super().save(commit=False)
        if commit:
            if obj.pk is not None and not obj._state.adding:
                names = [
                    f.name
                    for f in obj._meta.concrete_fields
                    if f.name in (self._meta.fields or ()) and not f.primary_key
                ]
                obj.save(update_fields=names)
            else:
                obj.save()
            self.save_m2m()
        return obj

    def _conflict_message(self) -> str:
        from coachbook.coaching.models import AuditEvent

        event = (
            AuditEvent.objects.filter(
                object_type=self._meta.model._meta.model_name,
                object_id=str(self.instance.pk),
            )
            .select_related("actor")
            .order_by("-at", "-pk")
            .first()
        )
        who = "Someone else"
        if event and event.actor:
            when = timezone.localtime(event.at)
            who = f"{event.actor} ({when:%-d %b, %H:%M})"
        return (
            f"{who} saved this part after you opened the page, so your changes were "
            "not saved. They are still in the form below: reload the page in another "
            "tab to see the other version, then save again here to keep yours."
        )
