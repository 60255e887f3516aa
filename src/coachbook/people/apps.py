from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "coachbook.people"
    label = "people"
    verbose_name = "People and teams"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from coachbook.people.roles import ensure_sales_ops_group

        post_migrate.connect(ensure_sales_ops_group, dispatch_uid="sales-ops-group")
