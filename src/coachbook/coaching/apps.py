from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coachbook.coaching"
    label = "coaching"
    verbose_name = "Coaching"

    def ready(self) -> None:
        from coachbook.coaching import permissions  # noqa: F401  (registers the rules)
