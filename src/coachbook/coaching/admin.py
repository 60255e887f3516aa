from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from coachbook.coaching.models import AuditEvent, Record, Template


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "duration_minutes",
        "deal_cap",
        "risk_tolerance",
    ]


class ListOnlyAdmin(admin.ModelAdmin):
    """A list of rows and nothing else: no object page, no add, change or delete.

    The object pages would show personnel notes; reading a record goes through
    the audited record page instead.
    """

    list_display_links = None
    actions = None

    def has_view_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Record)
class RecordAdmin(ListOnlyAdmin):
    """Records' metadata only, never their content; corrections are amendments."""

    list_display = [
        "rep",
        "number",
        "session_date",
        "created_at",
        "short_hash",
        "read_link",
    ]
    list_select_related = ["rep", "session"]
    ordering = ["rep__full_name", "number"]

    def get_queryset(self, request):
        # The list needs no content: leave the column out of the query.
        return super().get_queryset(request).defer("content")

    @admin.display(description="session date")
    def session_date(self, obj: Record):
        return obj.session.local_date

    @admin.display(description="content hash")
    def short_hash(self, obj: Record) -> str:
        return format_html(
            '<code title="{}">{}…</code>', obj.content_hash, obj.content_hash[:12]
        )

    @admin.display(description="read")
    def read_link(self, obj: Record) -> str:
        try:
            url = reverse("web:record", args=[obj.pk])
        except NoReverseMatch:
            return "—"
        return format_html('<a href="{}">Read (audited)</a>', url)


@admin.register(AuditEvent)
class AuditEventAdmin(ListOnlyAdmin):
    """Who changed what and when; the before and after values stay out of sight."""

    list_display = ["actor", "at", "action", "object_type", "object_id", "session"]
    list_select_related = ["actor", "session__rep", "session__manager"]
    list_filter = ["action", "object_type"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("before", "after")
