from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from coachbook.people.models import Organisation, Person, Team


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = [
        "full_name",
        "username",
        "role",
        "team",
        "time_zone",
        "cadence_days",
    ]
    list_filter = ["role", "team"]
    search_fields = ["full_name", "username"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            "Coaching",
            {
                "fields": [
                    "full_name",
                    "role",
                    "team",
                    "time_zone",
                    "cadence_days",
                    "level",
                ]
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "manager"]
    list_filter = ["kind"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "fiscal_year_start_month", "data_as_of"]
