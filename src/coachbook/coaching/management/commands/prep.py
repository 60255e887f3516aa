"""coachbook prep: print a rep's prep brief as of a date."""

import json
from datetime import date

from django.core.management.base import CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from coachbook.coaching.brief import build_brief
from coachbook.lib import fields
from coachbook.lib.commands import CoachbookCommand
from coachbook.people.models import Organisation, Person


class Command(CoachbookCommand):
    help = 'Print a rep\'s prep brief.\n\n  coachbook prep "Darcel Schlecht" --as-of 2017-12-31 --json'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("rep", help="The rep's full name, as in the CRM.")
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            help="Date the brief is computed for (YYYY-MM-DD); default: the data's today.",
        )
        parser.add_argument(
            "--json", action="store_true", help="Print JSON instead of tables."
        )

    def handle(
        self, *args, rep: str, as_of: date | None, json: bool, **options
    ) -> None:
        reps = Person.objects.filter(role=Person.Role.REP)
        wanted = rep.strip()
        # A rep by name, or by the id their CRM gives them; a Salesforce id of
        # 15 characters is the same person as its 18-character form.
        ids = {wanted}
        try:
            ids.add(fields.salesforce_id(wanted))
        except ValueError:
            pass
        person = (
            reps.filter(full_name__iexact=wanted).first()
            or reps.filter(external_id__in=ids).first()
        )
        if person is None:
            raise CommandError(
                f"No rep called '{rep}'. Check the spelling, or import the CRM data "
                "first (coachbook import salesforce, hubspot or maven, with the "
                "export's folder)."
            )
        as_of = as_of or Organisation.current().today()
        if not 1970 <= as_of.year <= 2100:
            raise CommandError(
                f"--as-of {as_of} is out of range; give a date between 1970 and 2100."
            )
        brief = build_brief(person, as_of)

        if json:
            self.stdout.write(_json.dumps(brief, indent=2))
        else:
            print_brief(self.console(120), brief)


_json = json


def _pct(value: float | None, reason: str | None) -> str:
    return f"{value:.0%}" if value is not None else f"not available: {reason}"


def print_brief(console: Console, brief: dict) -> None:
    cur = brief["currency"]
    console.print(f"[bold]Prep brief for {brief['rep']}[/bold] as of {brief['as_of']}")
    console.print(brief["since_text"], highlight=False)
    for note in brief["notes"]:
        console.print(f"Note: {note}", highlight=False)

    results = Table(title="Results", title_justify="left")
    for col in (
        "period",
        "quota",
        "won",
        "still to reach",
        "open closing in period",
        "coverage",
    ):
        results.add_column(col)
    for c in brief["coverage"]:
        money = [
            f"{c[k]:,.0f} {cur}" if c[k] is not None else "—"
            for k in ("quota", "won", "remaining", "open_amount")
        ]
        cov = (
            f"{c['coverage']:.1f}×"
            if c["coverage"] is not None
            else f"n/a: {c['coverage_reason']}"
        )
        results.add_row(
            c["period"] + (" (demo target)" if c["demo_target"] else ""), *money, cov
        )
    console.print(results)

    on_a_team = brief["team"] is not None  # alone, a rep has no team figure
    team_rate = _pct(brief["team_win_rate_90d"], brief["team_win_rate_90d_reason"])
    console.print(
        f"Win rate, last 90 days: {_pct(brief['win_rate_90d'], brief['win_rate_90d_reason'])}"
        + (f" (team {team_rate})" if on_a_team else ""),
        highlight=False,
    )
    cycle, team_cycle = (
        brief["median_cycle_days_90d"],
        brief["team_median_cycle_days_90d"],
    )
    console.print(
        f"Median days engaging to close: {cycle if cycle is not None else 'n/a'}"
        + (
            f" (team {team_cycle if team_cycle is not None else 'n/a'})"
            if on_a_team
            else ""
        ),
        highlight=False,
    )
    if brief["activity_last_7d"] is None:
        console.print(
            f"Activity: not available: {brief['activity_last_7d_reason']}",
            highlight=False,
        )
    for kind in brief.get("activity_against_target") or []:
        short = f", {kind['short_by']} short" if kind["short_by"] else ""
        console.print(
            f"{kind['kind'].title()}s in the last 7 days: {kind['done']} of "
            f"{kind['target']} a week{short}",
            highlight=False,
        )

    deals = Table(
        title=f"Open deals, highest risk first ({brief['open_deal_count']})",
        title_justify="left",
    )
    for col in ("deal", "stage", "amount", "risk", "why"):
        deals.add_column(col)
    for d in brief["open_deals"][:20]:
        deals.add_row(
            f"{d['external_id']} {d['name']}",
            d["stage"],
            f"{d['amount']:,.0f}" if d["amount"] is not None else "—",
            str(d["risk_score"]),
            "; ".join(r["text"] for r in d["risk_reasons"]) or "—",
        )
    console.print(deals)

    changes = brief["changes_since_last_session"]
    console.print(
        f"Since {changes['since']}: {len(changes['created'])} created, "
        f"{len(changes['stage_moves'])} moved, {len(changes['won'])} won, {len(changes['lost'])} lost.",
        highlight=False,
    )
    for key, said in (("stage_moves", "Stage moved"), ("won", "Won"), ("lost", "Lost")):
        for d in changes.get(key, []):
            console.print(
                f"  • {said} on {d['date']}: {d['external_id']} {d['name']}, "
                f"{d['from_stage']} → {d['to_stage']}",
                highlight=False,
            )
    for d in changes.get("close_dates_pushed", []):
        console.print(
            f"  • Close date pushed on {d['date']}: {d['external_id']} {d['name']}, "
            f"{d['from_date']} → {d['to_date']}",
            highlight=False,
        )
    for d in changes.get("amounts_changed", []):
        console.print(
            f"  • Amount changed on {d['date']}: {d['external_id']} {d['name']}, "
            f"{d['from_amount']:,.0f} → {d['to_amount']:,.0f} {cur}",
            highlight=False,
        )
    console.print(f"Open actions from earlier sessions: {len(brief['open_actions'])}")
    for a in brief["open_actions"]:
        console.print(
            f"  • {a['task']} — {a['owner']}, due {a['due_date']}", highlight=False
        )
