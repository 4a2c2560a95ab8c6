from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations.admin import ReadOnlyAdminMixin

from .models import Objection, Publication, PublicationEntry


class PublicationEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PublicationEntry
    fields = [
        "district_name",
        "community_name",
        "company_name",
        "responses",
        "satisfied",
        "status",
        "withdrawal_reason",
    ]
    readonly_fields = fields
    extra = 0


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Published lists are frozen; corrections are new revisions made in the console."""

    list_display = ["campaign", "kind", "revision", "published_at", "notice_ends_at"]
    list_filter = ["kind", "campaign"]
    search_fields = ["campaign__name", "change_note"]
    inlines = [PublicationEntryInline]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Objections are answered in the console (audited), not edited here."""

    list_display = ["entry", "filed_at", "status", "answered_at"]
    list_filter = ["status", "entry__publication__campaign"]
    search_fields = ["entry__community_name", "text", "answer"]
    list_select_related = ["entry"]
    # The photo is private: it has no address of its own, only the console's view.
    exclude = ["photo"]
    readonly_fields = ["photo_link"]

    @admin.display(description=_("photo (optional)"))
    def photo_link(self, obj):
        if not obj.photo:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("console:objection_photo", args=[obj.pk]),
            gettext("Photo"),
        )
