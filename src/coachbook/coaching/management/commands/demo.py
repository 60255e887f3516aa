"""coachbook demo: a working copy of coachbook on the Maven CRM data, then serve it."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from coachbook.coaching.models import (
    Action,
    DealReview,
    DevelopmentTopic,
    Session,
    SkillCoaching,
)
from coachbook.crm.importers.maven import import_maven
from coachbook.crm.importers.report import print_report
from coachbook.crm.importers.targets import import_targets
from coachbook.crm.models import Opportunity
from coachbook.lib.commands import CoachbookCommand
from coachbook.people.models import Organisation, Person, Team
from coachbook.people.roles import make_sales_ops

DATA = Path(settings.BASE_DIR).parent.parent / "data"
MANAGER = "Melvin Marxen"
REP = "Darcel Schlecht"
PASSWORD = "coachbook-demo"
# The data names regional offices but no time zones; these are the demo's choice.
REGION_ZONES = {
    "Central": "America/Chicago",
    "East": "America/New_York",
    "West": "America/Los_Angeles",
}
EARLIER_SESSION = date(2017, 12, 15)


class Command(CoachbookCommand):
    help = (
        "Load the Maven Analytics demo data, create demo logins and one earlier "
        "session, then start the server.\n\n  coachbook demo\n  coachbook demo --no-serve"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Set up, but do not start the server.",
        )
        parser.add_argument(
            "--addr", default="127.0.0.1:8000", help="Address to serve on."
        )

    def handle(self, *args, no_serve: bool, addr: str, **options) -> None:
        if not (DATA / "maven-crm").is_dir():
            raise CommandError(
                f"The demo data is missing: expected {DATA / 'maven-crm'}."
            )

        self.stdout.write("Creating the database…")
        call_command("migrate", verbosity=0)
        org = Organisation.current()
        if org.name != "MavenTech":
            org.name = "MavenTech"
            org.save(update_fields=["name"])
            Team.objects.filter(kind=Team.Kind.COMPANY).update(name="MavenTech")

        self.stdout.write("Importing the Maven CRM data…")
        report = import_maven(DATA / "maven-crm")
        if not report.applied:
            raise CommandError(
                "The demo data did not import: " + "; ".join(map(str, report.rejected))
            )
        print_report(self.console(100), report)
        import_targets(DATA / "targets.csv", demo=True)
        self._set_time_zones()
        manager, rep, lead = self._logins()
        self._earlier_session(manager)

        host = addr if ":" in addr else f"127.0.0.1:{addr}"
        self.stdout.write(
            self.style.SUCCESS("\ncoachbook is ready.")
            + f"\n  Open      http://{host}/"
            + f"\n  Log in as {manager.username} / {PASSWORD}  ({MANAGER}, manager of six reps)"
            + f"\n  Rep       {rep.username} / {PASSWORD}  ({REP}, one of {MANAGER}'s reps)"
            + f"\n  Leader    {lead.username} / {PASSWORD}  (second-line, reads every team in {lead.team}; added by the demo)"
            + f"\n  Admin     salesops / {PASSWORD}  (sales ops: data and settings)"
            + f"\n  Figures are as of {Organisation.current().data_as_of}, the last date in the data.\n"
        )
        if not no_serve:
            call_command("runserver", host, use_reloader=False)

    def _set_time_zones(self) -> None:
        for region, zone in REGION_ZONES.items():
            teams = Team.objects.filter(
                parent__name=region, parent__kind=Team.Kind.REGION
            )
            Person.objects.filter(team__in=teams).update(time_zone=zone)
            Person.objects.filter(
                team__name=region, team__kind=Team.Kind.REGION
            ).update(time_zone=zone)

    def _logins(self) -> tuple[Person, Person, Person]:
        """Demo logins: a real manager and rep, a region lead, and sales ops.

        The data names no one above the managers, so the demo adds a lead for
        the manager's region to show the second-line view.
        """
        manager = Person.objects.get(full_name=MANAGER, role=Person.Role.MANAGER)
        rep = Person.objects.get(full_name=REP, role=Person.Role.REP)
        for person in (manager, rep):
            person.set_password(PASSWORD)
            person.save(update_fields=["password"])
        own_team = manager.managed_teams.filter(kind=Team.Kind.TEAM).first()
        region = own_team.parent if own_team else None
        lead, _ = Person.objects.get_or_create(
            username=f"{(region.name if region else 'region').lower()}.lead",
            defaults={
                "full_name": f"{region.name if region else 'Region'} region lead",
                "role": Person.Role.SECOND_LINE,
                "time_zone": manager.time_zone,
            },
        )
        lead.team = region
        lead.set_password(PASSWORD)
        lead.save(update_fields=["password", "team"])
        if region and region.manager_id != lead.pk:
            region.manager = lead
            region.save(update_fields=["manager"])
        admin = Person.objects.filter(username="salesops").first()
        if admin is None:
            admin = Person.objects.create_sales_ops("salesops", full_name="Sales Ops")
        # Earlier demos made sales ops a superuser; sales ops are staff only.
        admin.is_superuser = False
        make_sales_ops(admin)
        admin.set_password(PASSWORD)
        admin.save(update_fields=["password", "is_superuser", "is_staff"])

        return manager, rep, lead

    @transaction.atomic
    def _earlier_session(self, manager: Person) -> None:
        """One finalised session two weeks before the end of the data, with open actions."""
        rep = Person.objects.get(full_name=REP, role=Person.Role.REP)
        if Session.objects.filter(rep=rep).exists():
            return
        zone = ZoneInfo(manager.time_zone)
        session = Session.objects.plan(
            manager, rep, datetime.combine(EARLIER_SESSION, time(10, 0), tzinfo=zone)
        )
        session.prepare(manager)
        session.start(
            manager, "Agree a plan for the stalled GTX Pro deals before year end.", 45
        )

        for rank, deal in enumerate(
            (session.brief or {}).get("open_deals", [])[:2], start=1
        ):
            DealReview.objects.create(
                session=session,
                opportunity=Opportunity.objects.get(pk=deal["id"]),
                risk_score=deal["risk_score"],
                risk_rank=rank,
                stage=deal["stage"],
                next_step="Call the buyer to confirm budget for January.",
                decision_process="Unknown: the account is not recorded in the CRM.",
                blockers="No named account or contact on the deal.",
                support_needed="Manager to help find the buying contact.",
                close_confidence=DealReview.Confidence.LOW,
                escalate=False,
            )
        session.pipeline_new_opportunities = (
            "Few new deals; most pipeline is older than the team's usual."
        )
        session.pipeline_velocity = (
            "Deals sit in Engaging far longer than the team's 75th percentile."
        )
        session.save(update_fields=["pipeline_new_opportunities", "pipeline_velocity"])
        SkillCoaching.objects.create(
            session=session,
            skill="Next-step commitment setting",
            evidence_kind=SkillCoaching.Evidence.CRM_NOTE,
            evidence_date=date(2017, 12, 12),
            evidence_where="Engaging deals without an account in the CRM",
            evidence_what="Deals were left in Engaging with no agreed next meeting or named buyer.",
            feedback="End every customer call with a dated next step the buyer has agreed to, and log it the same day.",
            practice_action="Role-play closing a call with a dated next step before the next one-on-one.",
        )
        DevelopmentTopic.objects.create(
            session=session,
            topic="Time management",
            goal="Protect two prospecting blocks a week.",
            notes="Blocks booked for Tuesday and Thursday mornings.",
        )
        for task, due in (
            ("Name the account and buyer on every Engaging deal", date(2017, 12, 22)),
            ("Book next steps on the five oldest Engaging deals", date(2017, 12, 29)),
        ):
            Action.objects.create(
                session=session,
                rep=rep,
                task=task,
                owner=rep,
                due_date=due,
                expected_result="Each deal shows a dated next step in the CRM.",
                escalation_point=f"{manager.full_name}, if a buyer cannot be reached within a week",
            )
        session.summary = (
            "Focus on next steps for stalled deals; review them again in two weeks."
        )
        session.next_meeting_at = session.default_next_meeting()
        session.top_follow_ups = [
            "Name buyers on Engaging deals",
            "Book next steps on oldest deals",
        ]
        session.save(update_fields=["summary", "next_meeting_at", "top_follow_ups"])
        session.close(manager)
        session.finalise(manager)  # also plans the next one-on-one

        upcoming = Session.objects.get(rep=rep, state=Session.State.PLANNED)
        upcoming.prepare(manager)
