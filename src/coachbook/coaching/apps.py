from django.apps import AppConfig


class CoachingConfig(AppConfig):
    name = "coachbook.coaching"
    label = "coaching"
    verbose_name = "Coaching"
