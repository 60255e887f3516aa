from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied

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
    # Only the server operator (a superuser) may grant powers or set passwords.
    operator_only = ["is_superuser", "is_staff", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += self.operator_only + ["last_login", "date_joined"]
        return fields

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser and str(request.user.pk) != str(id):
            raise PermissionDenied(
                "Only the person themselves or the server operator can set a password, "
                "so no one can log in as someone else."
            )
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change) -> None:
        from coachbook.people.roles import make_sales_ops

        before = (
            Person.objects.filter(pk=obj.pk).values("role", "team_id").first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        if obj.role == Person.Role.ADMIN and not obj.is_staff:
            make_sales_ops(obj)
            obj.save(update_fields=["is_staff"])
        after = {"role": obj.role, "team_id": obj.team_id}
        if before != after:
            audit_admin_change(request, obj, "changed role or team", before, after)

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

    def save_model(self, request, obj, form, change) -> None:
        # Who manages a team decides who sees its reps' coaching: audit it.
        before = (
            Team.objects.filter(pk=obj.pk).values("manager_id", "parent_id").first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        after = {"manager_id": obj.manager_id, "parent_id": obj.parent_id}
        if before != after:
            audit_admin_change(
                request, obj, "changed team manager or place", before, after
            )


def audit_admin_change(request, obj, action: str, before, after) -> None:
    from coachbook.coaching.audit import audit

    audit(request.user, None, action, obj, before, after)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "fiscal_year_start_month", "data_as_of"]
