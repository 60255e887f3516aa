from __future__ import annotations

import zoneinfo
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a time zone name like Europe/Berlin")


class Organisation(models.Model):
    """The company using coachbook: its currency, fiscal year and data clock.

    There is one row. `data_as_of` is set when the imported CRM data is
    historical: figures and "today" then follow the last date in the data
    rather than the server's calendar.
    """

    name = models.CharField(max_length=200, default="Our sales organisation")
    currency = models.CharField(max_length=3, default=settings.COACHBOOK_CURRENCY)
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=settings.COACHBOOK_FISCAL_YEAR_START_MONTH,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    data_as_of = models.DateField(
        null=True,
        blank=True,
        validators=[
            MinValueValidator(date(1970, 1, 1)),
            MaxValueValidator(date(2100, 12, 31)),
        ],
    )
    targets_are_demo = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organisation:
        org = cls.objects.order_by("pk").first()
        return org or cls.objects.create()

    def today(self) -> date:
        return self.data_as_of or timezone.localdate()


class Team(models.Model):
    """A node in the sales organisation: the company, a region, or a manager's team."""

    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        REGION = "region", "Region"
        TEAM = "team", "Team"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        "Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="team_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PersonManager(UserManager):
    def create_sales_ops(self, username, password=None, **extra_fields):
        """A sales ops login: staff in the data pages, never a superuser."""
        from coachbook.people.roles import make_sales_ops

        extra_fields.setdefault("full_name", username)
        person = self.create_user(
            username, password=password, role=Person.Role.ADMIN, **extra_fields
        )
        make_sales_ops(person)
        person.save(update_fields=["is_staff"])
        return person

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Person.Role.ADMIN)
        extra_fields.setdefault("full_name", username)
        return super().create_superuser(username, email, password, **extra_fields)


class Person(AbstractUser):
    """Someone in the sales organisation: a rep, a manager, a leader or sales ops.

    Reps belong to a manager's team; the team's manager coaches them. Every
    person has a time zone, so due dates and meetings follow their own day.
    """

    class Role(models.TextChoices):
        REP = "rep", "Rep"
        MANAGER = "manager", "Manager"
        SECOND_LINE = "second_line", "Second-line manager"
        ADMIN = "admin", "Sales ops admin"

    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.REP)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone]
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    cadence_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days between one-on-ones with this rep."
    )
    level = models.CharField(max_length=40, blank=True)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)

    objects: ClassVar[PersonManager] = PersonManager()

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def manager(self) -> Person | None:
        return self.team.manager if self.team else None

    def local_today(self) -> date:
        org = Organisation.current()
        if org.data_as_of:
            return org.data_as_of

        return timezone.localtime(timezone=self.zone).date()

    @staticmethod
    def username_for(full_name: str) -> str:
        return slugify(full_name).replace("-", ".") or "person"

    @classmethod
    def free_username(cls, full_name: str) -> str:
        """A login name from the person's name, numbered when it is already taken."""
        base = cls.username_for(full_name)
        taken = set(
            cls.objects.filter(username__startswith=base).values_list(
                "username", flat=True
            )
        )
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}{n}"

        return name
