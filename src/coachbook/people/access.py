"""Who may see whom. One place, so pages and commands agree."""

from django.db.models import QuerySet

from coachbook.people.models import Person, Team


def team_ids_below(team: Team) -> list[int]:
    """The team and every team under it in the tree."""
    ids, frontier = [team.pk], [team.pk]
    while frontier:
        frontier = list(
            Team.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        ids.extend(frontier)

    return ids


def reps_coached_by(person: Person) -> QuerySet[Person]:
    """Reps on the teams this person manages directly."""
    return Person.objects.filter(
        role=Person.Role.REP, team__manager=person, is_active=True
    ).order_by("full_name")


def can_coach(person: Person, rep: Person) -> bool:
    return rep.team is not None and rep.team.manager_id == person.pk
