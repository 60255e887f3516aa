"""The audit trail: who changed what in a session, with before and after."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict

from coachbook.coaching.models import AuditEvent, Session
from coachbook.people.models import Person

logger = logging.getLogger(__name__)


def snapshot(
    obj: models.Model | None, fields: list[str] | None = None
) -> dict[str, Any] | None:
    if obj is None or obj.pk is None:
        return None
    data = model_to_dict(obj, fields=fields)

    # Round-trip through the JSON encoder so dates and decimals store cleanly.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def audit(
    actor: Person | None,
    session: Session | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor=actor,
        session=session,
        action=action,
        object_type=obj._meta.model_name or type(obj).__name__.lower(),
        object_id=str(obj.pk),
        before=before,
        after=after,
    )
    logger.info(
        "session change action=%s session=%s object=%s:%s actor=%s",
        action,
        session.pk if session else None,
        event.object_type,
        event.object_id,
        actor.pk if actor else None,
    )
    return event
