from django.contrib import admin

from .models import Showcase, ShowcaseItem


class ShowcaseItemInline(admin.StackedInline):
    model = ShowcaseItem
    extra = 0
    fields = [
        ("kind", "criterion", "order", "status"),
        "title",
        "body",
        ("figure_value", "figure_unit"),
        ("image", "image_is_illustration"),
        "review_note",
    ]


@admin.register(Showcase)
class ShowcaseAdmin(admin.ModelAdmin):
    list_display = ["enrollment", "headline"]
    list_filter = ["enrollment__campaign", "enrollment__community__district"]
    search_fields = ["enrollment__community__name", "headline"]
    list_select_related = ["enrollment__community__district", "enrollment__campaign"]
    inlines = [ShowcaseItemInline]
    raw_id_fields = ["enrollment"]
    # The public headline changes only through moderation (showcases.services.headline_review).
    readonly_fields = ["headline", "subheadline"]
