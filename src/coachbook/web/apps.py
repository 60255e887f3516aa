from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "coachbook.web"
    label = "web"

    def ready(self) -> None:
        from coachbook.web import checks  # noqa: F401  (registers the checks)
