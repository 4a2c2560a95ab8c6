"""The Django admin for the evaluation programme.

Ratings are read-only here and never deleted; while a campaign is open its
ratings are not listed at all and enrollments show turnout only (SPEC step 3:
nobody sees rates while residents can still rate, staff included).
"""

from fractions import Fraction

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .campaigns import campaign_apply_default_rules
from .models import (
    AuditEntry,
    Campaign,
    Criterion,
    Enrollment,
    HouseholdCode,
    Prerequisite,
    Rating,
    RatingAnswer,
)
from .tally import TallyRow, percent_floor, responses_from_counts, tally_row_from_counts


class ReadOnlyAdminMixin:
    """History that must not be edited or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RuleAdminMixin:
    """A criterion or prerequisite a campaign uses cannot be deleted (its delete page
    would also list every answer given to it)."""

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.campaigns.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Criterion)
class CriterionAdmin(RuleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "order", "is_default"]
    list_filter = ["is_default"]
    search_fields = ["name", "name_en", "code"]


@admin.register(Prerequisite)
class PrerequisiteAdmin(RuleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "order", "is_default"]
    list_filter = ["is_default"]
    search_fields = ["name", "name_en", "code"]


RULE_FIELDS = [
    "threshold_percent",
    "min_responses",
    "min_coverage_percent",
    "satisfied_answers",
    "criteria",
    "prerequisites",
]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "opens_at", "closes_at", "threshold_percent"]
    list_filter = ["status"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    filter_horizontal = ["criteria", "prerequisites"]
    date_hierarchy = "opens_at"

    def get_readonly_fields(self, request, obj=None):
        # The status moves only through the audited lifecycle of the staff console
        # (never back: closing, reading rates and reopening must be impossible).
        # Rules and window are fixed once residents may rate: changing them later
        # would change the meaning of ratings already given.
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            return ["status", "slug", "opens_at", "closes_at", "notice_days", *RULE_FIELDS]
        return ["status"]

    def get_prepopulated_fields(self, request, obj=None):
        return {} if "slug" in self.get_readonly_fields(request, obj) else {"slug": ["name_en"]}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        campaign_apply_default_rules(form.instance)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "community",
        "campaign",
        "company",
        "households",
        "codes_issued_shown",
        "responses_shown",
        "coverage_shown",
        "rate_shown",
        "eligible_shown",
    ]
    list_filter = ["campaign", "campaign__status", "community__district"]
    search_fields = ["community__name", "company__name", "campaign__name"]
    autocomplete_fields = ["community", "company"]
    list_select_related = ["community__district", "campaign", "company"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_answer_counts().with_code_counts()

    def lookup_allowed(self, lookup, value, request=None):
        # Only real fields: filtering on the per-answer annotations (?n_unsatisfied__gte=1)
        # would reveal the answers of an open campaign row by row.
        names = {f.name for f in self.model._meta.get_fields()}
        return lookup.split("__")[0] in names and super().lookup_allowed(lookup, value, request)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["review_status", "review_reason"]
        fields = ["campaign", "community", "review_status", "review_reason"]
        if obj.campaign.status != Campaign.Status.DRAFT:
            fields += ["company", "households"]
        return fields

    def _tally(self, obj) -> TallyRow | None:
        return tally_row_from_counts(obj)

    @admin.display(description=_("codes issued"), ordering="codes_issued")
    def codes_issued_shown(self, obj):
        return obj.codes_issued

    @admin.display(description=_("responses"))
    def responses_shown(self, obj):
        return responses_from_counts(obj)

    @admin.display(description=_("coverage"))
    def coverage_shown(self, obj):
        return f"{percent_floor(Fraction(self.responses_shown(obj), obj.households))}%"

    @admin.display(description=_("satisfaction"))
    def rate_shown(self, obj):
        tally = self._tally(obj)
        if tally is None:
            return gettext("hidden while open")
        return "—" if tally.rate_percent is None else f"{tally.rate_percent}%"

    @admin.display(description=_("eligible"))
    def eligible_shown(self, obj):
        tally = self._tally(obj)
        if tally is None:
            return "—"
        return gettext("yes") if tally.eligible else "；".join(tally.reasons)


@admin.register(HouseholdCode)
class HouseholdCodeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["hash_prefix", "enrollment", "issued_at", "issued_by"]
    list_filter = ["enrollment__campaign", "enrollment__community__district"]
    search_fields = ["enrollment__community__name"]
    list_select_related = ["enrollment__community__district", "enrollment__campaign", "issued_by"]

    @admin.display(description=_("code hash"))
    def hash_prefix(self, obj):
        return f"{obj.code_hash[:12]}…"


class RatingAnswerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RatingAnswer
    fields = ["criterion", "answer"]
    readonly_fields = fields
    extra = 0


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "receipt",
        "enrollment",
        "overall",
        "is_current",
        "quarantined_at",
        "submitted_at",
    ]
    list_filter = [
        "is_current",
        ("quarantined_at", admin.EmptyFieldListFilter),
        "overall",
        "enrollment__campaign",
    ]
    search_fields = ["receipt", "enrollment__community__name"]
    list_select_related = ["enrollment__community", "enrollment__campaign"]
    inlines = [RatingAnswerInline]
    # The client address and browser are kept for fraud checks only, never shown here:
    # the rating page promises that nobody sees who rated what.
    exclude = ["client_ip", "user_agent", "browser_id", "household_code"]

    def has_view_permission(self, request, obj=None):
        if obj is not None and not obj.enrollment.campaign.rates_visible:
            return False
        return super().has_view_permission(request, obj)

    def get_queryset(self, request):
        # While a campaign is open its ratings are nobody's to read.
        return (
            super()
            .get_queryset(request)
            .exclude(enrollment__campaign__status__in=[Campaign.Status.DRAFT, Campaign.Status.OPEN])
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Readable, never editable: the database refuses changes anyway."""

    list_display = ["at", "actor_name", "action", "subject", "old_value", "new_value"]
    list_filter = ["action", "campaign"]
    search_fields = ["subject", "actor_name", "reason"]
    date_hierarchy = "at"


# Every change through the admin to communities, companies, criteria or campaigns is
# audited (evaluations.admin_audit). communities' admin is registered before this one
# (INSTALLED_APPS order), so it can be wrapped here.
def _audit_the_admin() -> None:
    from communities.models import Community, District, PropertyCompany, Street

    from .admin_audit import audit_admin_of

    audit_admin_of(
        admin.site, Community, PropertyCompany, District, Street, Criterion, Prerequisite, Campaign
    )


_audit_the_admin()
