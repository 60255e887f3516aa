from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "coachbook.ops"
    label = "ops"
    verbose_name = "Operations"
