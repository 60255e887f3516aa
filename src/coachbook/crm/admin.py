from django.contrib import admin

from coachbook.crm.models import (
    Account,
    ActivityTarget,
    CurrencyRate,
    ImportRun,
    Opportunity,
    Product,
    Target,
)
from coachbook.lib.words import plural


@admin.register(ActivityTarget)
class ActivityTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "rep", "kind", "per_week", "is_demo"]
    list_filter = ["kind"]
    autocomplete_fields = ["rep"]


@admin.register(CurrencyRate)
class CurrencyRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "rate", "valid_from"]
    list_filter = ["currency"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["rep", "period", "quota", "currency", "coverage_ratio", "is_demo"]
    list_filter = ["period", "is_demo"]
    search_fields = ["rep__full_name"]
    autocomplete_fields = ["rep"]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "source", "result", "ran_by", "location"]
    list_filter = ["source", "status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    @admin.display(description="Result", ordering="status")
    def result(self, run: ImportRun) -> str:
        """Applied whole, applied without some rows, or refused."""
        left_out = run.rejected_rows
        if run.status == ImportRun.Status.APPLIED and left_out:
            return f"Applied without {plural(left_out, 'row')}"
        return run.get_status_display()

    @admin.display(description="Run by", ordering="run_by")
    def ran_by(self, run: ImportRun) -> str:
        return str(run.run_by) if run.run_by else "command line"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = [
        "external_id",
        "name",
        "owner",
        "stage",
        "status",
        "amount",
        "close_date",
    ]
    list_filter = ["status", "stage", "source"]
    search_fields = ["external_id", "name", "owner__full_name"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner", "account", "product"]


admin.site.register(Account, search_fields=["name"], list_display=["name", "sector"])
admin.site.register(Product, list_display=["name", "series", "list_price", "currency"])
