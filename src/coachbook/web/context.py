from django.http import HttpRequest

from coachbook.people.models import Organisation


def organisation(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    org = Organisation.current()

    return {"organisation": org, "today": org.today()}
