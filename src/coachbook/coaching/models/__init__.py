"""Coaching models, split by topic; import them from here."""

from coachbook.coaching.exceptions import SessionLocked, SessionRefused
from coachbook.coaching.models.actions import Action, ActionQuerySet, Disposition
from coachbook.coaching.models.records import (
    Amendment,
    AuditEvent,
    ChainAnchor,
    Record,
    RetentionPermit,
)
from coachbook.coaching.models.sessions import Session, SessionQuerySet
from coachbook.coaching.models.steps import (
    AgendaItem,
    DealReview,
    DealUpdate,
    DevelopmentTopic,
    SkillCoaching,
)
from coachbook.coaching.models.templates import Template

__all__ = [
    "Action",
    "ActionQuerySet",
    "AgendaItem",
    "Amendment",
    "AuditEvent",
    "ChainAnchor",
    "DealReview",
    "DealUpdate",
    "DevelopmentTopic",
    "Disposition",
    "Record",
    "RetentionPermit",
    "Session",
    "SessionLocked",
    "SessionQuerySet",
    "SessionRefused",
    "SkillCoaching",
    "Template",
]
