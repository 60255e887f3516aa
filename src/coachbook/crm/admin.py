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
    list_display = ["started_at", "source", "status", "run_by", "location"]
    list_filter = ["source", "status"]
    readonly_fields = [f.name for f in ImportRun._meta.fields]

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
