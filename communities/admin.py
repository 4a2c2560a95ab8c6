from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Community, District, PropertyCompany, Street


class StreetInline(admin.TabularInline):
    model = Street
    extra = 0
    fields = ["name", "name_en"]


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "city_name"]
    search_fields = ["code", "name", "name_en"]
    list_filter = ["city_name"]
    inlines = [StreetInline]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "district"]
    list_filter = ["district"]
    search_fields = ["name", "name_en", "district__name"]
    list_select_related = ["district"]


@admin.register(PropertyCompany)
class PropertyCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "parent", "community_count", "is_demo"]
    list_filter = ["is_demo", ("parent", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_communities=Count("communities"))

    @admin.display(description=_("communities served now"), ordering="_communities")
    def community_count(self, obj):
        return obj._communities


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "district", "street", "company", "households", "is_demo"]
    list_filter = ["district", "is_demo"]
    search_fields = ["name", "name_en", "address", "company__name"]
    autocomplete_fields = ["street", "company"]
    list_select_related = ["district", "street__district", "company"]
