"""System checks for settings that are fine on a laptop and dangerous anywhere else."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}
DEFAULT_KEY = "insecure-local-only-key-change-me"


@register()
def check_secret_key(app_configs, **kwargs):
    public = set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS
    if settings.SECRET_KEY == DEFAULT_KEY and public:
        return [
            Warning(
                "coachbook is served to other hosts with the built-in secret key.",
                hint="Set COACHBOOK_SECRET_KEY to a long random value.",
                id="coachbook.W001",
            )
        ]
    return []


@register()
def check_debug(app_configs, **kwargs):
    public = set(settings.ALLOWED_HOSTS) - LOCAL_HOSTS
    if settings.DEBUG and public:
        return [
            Warning(
                "Debug pages are on while serving other hosts; they show data and settings.",
                hint="Unset COACHBOOK_DEBUG outside a laptop.",
                id="coachbook.W002",
            )
        ]
    return []
