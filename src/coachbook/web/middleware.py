from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from coachbook.coaching.models import SessionLocked


class SessionLockedMiddleware:
    """A change to a session that is past changing goes back to the page with the reason."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponse | None:
        if not isinstance(exception, SessionLocked):
            return None
        messages.error(request, str(exception))
        target = request.headers.get("referer") or "/"
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = "/"
        if getattr(request, "htmx", False):
            response = HttpResponse()
            response["HX-Redirect"] = target
            return response
        return redirect(target)


class PersonTimeZoneMiddleware:
    """Show every time in the viewer's own time zone."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()

        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Tell browsers the pages never use the camera, microphone, location and the like."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)

        return response
