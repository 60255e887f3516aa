from django.contrib import admin

from coachbook.coaching.models import Record, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "duration_minutes",
        "deal_cap",
        "risk_tolerance",
    ]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    """Records are shown, never edited: corrections are amendments on the record page."""

    list_display = ["rep", "number", "created_at", "content_hash"]
    list_select_related = ["rep"]
    readonly_fields = [f.name for f in Record._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
