from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "coachbook.crm"
    label = "crm"
    verbose_name = "CRM data"
