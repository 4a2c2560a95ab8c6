"""The Django admin for the evaluation programme.

Ratings are read-only here and never deleted; while a campaign is open its
ratings are not listed at all and enrollments show turnout only (SPEC step 3:
nobody sees rates while residents can still rate, staff included).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import (
    Campaign,
    Criterion,
    Enrollment,
    HouseholdCode,
    Prerequisite,
    Rating,
    RatingAnswer,
    Showcase,
    ShowcaseItem,
)
from .services import DomainError, campaign_apply_default_rules, codes_issue
from .tally import TallyRow


class ReadOnlyAdminMixin:
    """History that must not be edited or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code", "order", "is_default"]
    list_filter = ["is_default"]
    search_fields = ["name", "name_en", "code"]


@admin.register(Prerequisite)
class PrerequisiteAdmin(admin.ModelAdmin):
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
        # Rules are fixed once residents may rate: changing them later would change
        # the meaning of ratings already given.
        if obj is not None and obj.status != Campaign.Status.DRAFT:
            return RULE_FIELDS
        return []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        campaign_apply_default_rules(form.instance)


class IssueCodesForm(forms.Form):
    count = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=20000)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "community",
        "campaign",
        "company",
        "households",
        "codes_issued",
        "responses_shown",
        "coverage_shown",
        "rate_shown",
        "eligible_shown",
    ]
    list_filter = ["campaign", "campaign__status", "community__district"]
    search_fields = ["community__name", "company__name", "campaign__name"]
    autocomplete_fields = ["community", "company"]
    list_select_related = ["community__district", "campaign", "company"]
    actions = ["issue_codes"]

    def get_queryset(self, request):
        # The code count is a subquery: a second join next to the ratings would
        # multiply the rows and inflate every count.
        codes = (
            HouseholdCode.objects.filter(enrollment=OuterRef("pk"))
            .order_by()
            .values("enrollment")
            .annotate(n=Count("id"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .with_answer_counts()
            .annotate(_codes=Coalesce(Subquery(codes), 0))
        )

    def _tally(self, obj) -> TallyRow | None:
        if not obj.campaign.rates_visible:
            return None
        satisfied = sum(getattr(obj, f"n_{a}") for a in obj.campaign.satisfied_answers)
        responses = sum(
            getattr(obj, f"n_{a}") for a in ("satisfied", "basically_satisfied", "unsatisfied")
        )
        return TallyRow(obj.pk, obj.households, responses, satisfied, obj.campaign)

    @admin.display(description=_("codes issued"), ordering="_codes")
    def codes_issued(self, obj):
        return obj._codes

    @admin.display(description=_("responses"))
    def responses_shown(self, obj):
        return obj.n_satisfied + obj.n_basically_satisfied + obj.n_unsatisfied

    @admin.display(description=_("coverage"))
    def coverage_shown(self, obj):
        responses = self.responses_shown(obj)
        return f"{responses * 100 / obj.households:.1f}%"

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

    @admin.action(description=_("Issue household codes and print the notices (PDF)"))
    def issue_codes(self, request, queryset):
        if not request.user.has_perm("evaluations.add_householdcode"):
            raise PermissionDenied
        if queryset.count() != 1:
            self.message_user(
                request,
                gettext("Choose exactly one enrollment to issue codes for."),
                messages.ERROR,
            )
            return None
        enrollment = queryset.get()
        remaining = max(enrollment.households - enrollment.household_codes.count(), 0)
        if "count" in request.POST:
            form = IssueCodesForm(request.POST)
            if form.is_valid():
                try:
                    codes = codes_issue(
                        enrollment, form.cleaned_data["count"], issued_by=request.user
                    )
                except DomainError as error:
                    form.add_error("count", str(error))
                else:
                    from .notices import household_notices_pdf

                    pdf = household_notices_pdf(enrollment, codes)
                    response = HttpResponse(pdf, content_type="application/pdf")
                    filename = f"household-codes-enrollment-{enrollment.pk}.pdf"
                    response["Content-Disposition"] = f'attachment; filename="{filename}"'
                    response["Cache-Control"] = "no-store"
                    return response
        else:
            form = IssueCodesForm(initial={"count": remaining or 1})
        return render(
            request,
            "admin/evaluations/issue_codes.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Issue household codes"),
                "enrollment": enrollment,
                "remaining": remaining,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


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
    list_display = ["receipt", "enrollment", "overall", "is_current", "submitted_at"]
    list_filter = ["is_current", "overall", "enrollment__campaign"]
    search_fields = ["receipt", "enrollment__community__name"]
    list_select_related = ["enrollment__community", "enrollment__campaign"]
    inlines = [RatingAnswerInline]

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


admin.site.site_header = _("Manyi · administration")
admin.site.site_title = _("Manyi administration")
admin.site.index_title = _("Satisfaction programme")
