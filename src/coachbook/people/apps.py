from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "coachbook.people"
    label = "people"
    verbose_name = "People and teams"
