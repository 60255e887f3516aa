"""Frozen records, their amendments, and the audit trail."""

from __future__ import annotations

from django.db import models, transaction

from coachbook.coaching.exceptions import SessionLocked
from coachbook.coaching.models.sessions import Session
from coachbook.people.models import Person


class Record(models.Model):
    """The frozen account of a finalised session.

    Its content hash covers the content and the previous record's hash for the
    same rep, so a changed or removed record breaks the chain.
    """

    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="record"
    )
    rep = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="records")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, unique=True)
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_record",
    )
    previous_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rep", "number"], name="record_number_once")
        ]

    def __str__(self) -> str:
        return f"Record {self.number} for {self.rep}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise SessionLocked(
                "A finalised record cannot be changed; add an amendment instead."
            )
        super().save(*args, **kwargs)

    def amend(self, author: Person, reason: str, text: str) -> Amendment:
        """Add a correction beside the record; the record itself never changes."""
        from coachbook.coaching.audit import audit
        from coachbook.coaching.records import chain_hash

        if not reason.strip() or not text.strip():
            raise ValueError(
                "An amendment needs both the correction and the reason for it."
            )
        with transaction.atomic():
            last = self.amendments.select_for_update().order_by("-number").first()
            base = last.content_hash if last else self.content_hash
            number = (last.number + 1) if last else 1
            amendment = Amendment.objects.create(
                record=self,
                number=number,
                author=author,
                reason=reason.strip(),
                text=text.strip(),
                content_hash=chain_hash(
                    {"reason": reason.strip(), "text": text.strip()}, base
                ),
            )
            audit(
                author,
                self.session,
                "amended",
                amendment,
                after={"reason": amendment.reason},
            )

        return amendment


class Amendment(models.Model):
    """A later correction to a record: the record stays, the correction sits beside it."""

    record = models.ForeignKey(
        Record, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    text = models.TextField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "number"], name="amendment_number_once"
            )
        ]

    def __str__(self) -> str:
        return f"Amendment {self.number} to record {self.record_id}"


class AuditEvent(models.Model):
    """Who changed what in a session, when, with the values before and after."""

    actor = models.ForeignKey(
        Person, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id} at {self.at:%Y-%m-%d %H:%M}"


class RetentionPermit(models.Model):
    """Lets the retention command remove one finalised session's rows.

    The database refuses to delete records, amendments, audit events and
    finalised sessions unless a permit for their session exists. Retention adds
    permits inside its own transaction and removes them before it commits, so
    at rest this table is empty.
    """

    session_id = models.BigIntegerField(unique=True)

    def __str__(self) -> str:
        return f"Retention permit for session {self.session_id}"


class ChainAnchor(models.Model):
    """Where a rep's record chain starts once retention removed its oldest records.

    The first remaining record must carry the last removed record's hash as its
    previous hash, and the next number, so the chain still verifies.
    """

    rep = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="chain_anchor"
    )
    last_removed_number = models.PositiveIntegerField()
    last_removed_hash = models.CharField(max_length=64)
    removed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.rep}'s chain starts after record {self.last_removed_number}"
