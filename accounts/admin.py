from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import StaffProfile


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "company"]
    list_filter = ["role", "districts"]
    search_fields = ["user__username", "company__name"]
    filter_horizontal = ["districts"]
    autocomplete_fields = ["company"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


admin.site.site_header = _("Manyi · administration")
admin.site.site_title = _("Manyi administration")
admin.site.index_title = _("Satisfaction programme")
