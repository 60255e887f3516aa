"""Who may see and do what, as named rules over the team tree.

Every page asks these rules (through `coachbook.web.access`), so a person's
role and place in the tree decide what they see in one place:

- a rep sees their own sessions, briefs, records and actions;
- a manager coaches the reps on the teams they manage today;
- a second-line manager reads, never changes, every team below theirs;
- sales ops manage data and read a record only through an audited step.

Visibility follows the rep's current team, so moving a rep hands their
history to the new manager and takes it from the old one.
"""

from __future__ import annotations

from typing import Any

import rules

from coachbook.people.access import team_ids_below
from coachbook.people.models import Person, Team


def rep_of(obj: Any) -> Person:
    """The rep a rep, session, record or action is about."""
    return obj if isinstance(obj, Person) else obj.rep


def led_team_ids(user: Person) -> set[int]:
    """Teams strictly below the teams this person manages, cached on the user."""
    cached = getattr(user, "_led_team_ids", None)
    if cached is None:
        cached = set()
        for team in Team.objects.filter(manager=user).exclude(kind=Team.Kind.TEAM):
            cached.update(team_ids_below(team)[1:])
        user._led_team_ids = cached  # type: ignore[attr-defined]

    return cached


@rules.predicate
def is_the_rep(user: Person, obj: Any) -> bool:
    return obj is not None and user.pk == rep_of(obj).pk


@rules.predicate
def manages_the_rep(user: Person, obj: Any) -> bool:
    if obj is None:
        return False
    rep = rep_of(obj)
    return rep.team is not None and rep.team.manager_id == user.pk


@rules.predicate
def leads_the_rep(user: Person, obj: Any) -> bool:
    if obj is None or user.role != Person.Role.SECOND_LINE:
        return False
    team_id = rep_of(obj).team_id
    return team_id is not None and team_id in led_team_ids(user)


@rules.predicate
def is_sales_ops(user: Person) -> bool:
    return user.role == Person.Role.ADMIN


@rules.predicate
def is_second_line(user: Person) -> bool:
    return user.role == Person.Role.SECOND_LINE


@rules.predicate
def ran_the_session(user: Person, session: Any) -> bool:
    return session is not None and session.manager_id == user.pk


@rules.predicate
def before_it_starts(user: Person, session: Any) -> bool:
    return session is not None and session.state in ("planned", "prepared")


@rules.predicate
def action_is_open(user: Person, action: Any) -> bool:
    return action is not None and action.status == "open"


@rules.predicate
def action_is_reported(user: Person, action: Any) -> bool:
    return action is not None and action.awaiting_verification


# Reps' pages and sessions.
rules.add_perm("coaching.view_rep", manages_the_rep | leads_the_rep)
rules.add_perm("coaching.plan_session", manages_the_rep)
rules.add_perm("coaching.view_session", manages_the_rep | leads_the_rep | is_the_rep)
rules.add_perm("coaching.run_session", manages_the_rep)
rules.add_perm("coaching.contribute_to_session", is_the_rep & before_it_starts)
rules.add_perm("coaching.view_private_notes", manages_the_rep & ran_the_session)

# Records.
rules.add_perm("coaching.view_record", manages_the_rep | leads_the_rep | is_the_rep)
rules.add_perm("coaching.amend_record", manages_the_rep)
rules.add_perm("coaching.read_record_audited", is_sales_ops)

# Actions after the session.
rules.add_perm("coaching.report_action", is_the_rep & action_is_open)
rules.add_perm("coaching.verify_action", manages_the_rep & action_is_reported)

# Data.
rules.add_perm("crm.run_import", is_sales_ops)

# Overviews.
rules.add_perm("coaching.view_team_overview", is_second_line)


def allowed(user: Person, perm: str, obj: Any = None) -> bool:
    """Ask the rule set directly: a superuser flag grants nothing here."""
    return user.is_authenticated and user.is_active and rules.has_perm(perm, user, obj)
