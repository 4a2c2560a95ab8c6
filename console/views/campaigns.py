"""The staff console: the dashboard, campaigns (create, open, close, archive) and
enrolling communities.

Views stay thin: check who may act (console.access: 403 for a missing
permission, 404 for an object outside one's scope), parse a form, call one
service, render. GET shows a page or a confirmation; POST acts.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.models import Community, District
from console.access import (
    access_campaign,
    campaigns_in_scope,
    district_scope,
    permission_required,
    scope_enrollments,
    staff_member_required,
)
from console.forms import (
    CampaignForm,
    EnrollDistrictForm,
    RequiredReasonForm,
)
from evaluations import campaigns
from evaluations.errors import DomainError
from evaluations.models import Campaign, Enrollment, ReviewStatus
from reviews import listing, worklist
from reviews.models import Objection, Publication, PublicationEntry

PAGE_SIZE = 100


@staff_member_required
def dashboard(request):
    campaigns = (
        campaigns_in_scope(request.user).order_by("-opens_at").prefetch_related("publications")
    )
    scoped = scope_enrollments(request.user, Enrollment.objects.all())
    withdrawn = PublicationEntry.objects.filter(
        publication__in=Publication.objects.current(), status=PublicationEntry.Status.WITHDRAWN
    ).values("enrollment_id")
    counts = {
        row["campaign_id"]: row
        for row in scoped.values("campaign_id")
        .annotate(
            total=Count("id"),
            pending=Count(
                "id", filter=Q(review_status__in=[ReviewStatus.PENDING, ReviewStatus.RETURNED])
            ),
            recommended=Count("id", filter=Q(review_status=ReviewStatus.RECOMMENDED)),
            # An entry withdrawn from the current final list is no longer approved in
            # any sense a person reads this table for: counted apart.
            approved=Count(
                "id", filter=Q(review_status=ReviewStatus.APPROVED) & ~Q(pk__in=withdrawn)
            ),
            withdrawn=Count("id", filter=Q(pk__in=withdrawn)),
        )
        .order_by()
    }
    rows = [(c, counts.get(c.pk, {})) for c in campaigns]
    return render(
        request,
        "console/dashboard.html",
        {"rows": rows, "todo": _todo(request.user), "now": timezone.now()},
    )


def _todo(user):
    scope = district_scope(user)
    objections = Objection.objects.all()
    if scope is not None:
        objections = objections.filter(entry__district_code__in=scope.values("code"))
    return worklist.todo_items(
        enrollments=scope_enrollments(user, Enrollment.objects.all()),
        objections=objections,
        reviews=user.has_perm("evaluations.review_enrollment"),
        approves=user.has_perm("evaluations.approve_recommendation"),
        answers=user.has_perm("reviews.answer_objection"),
        publishes=user.has_perm("evaluations.publish_list"),
    )


@permission_required("evaluations.manage_campaign")
def campaign_create(request):
    form = CampaignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        except ValidationError as error:  # the model's own rules (full_clean)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Campaign created as a draft. Enroll communities next."))
            return redirect("console:campaign", slug=campaign.slug)
    return render(request, "console/campaign_form.html", {"form": form})


@permission_required("evaluations.manage_campaign")
def campaign_edit(request, slug):
    """A draft's rules, dates, texts and criteria, changed before rating opens."""
    campaign = access_campaign(request.user, slug)
    refusal = campaigns.campaign_edit_refusal(campaign)
    if refusal:
        messages.error(request, refusal)
        return redirect("console:campaign", slug=campaign.slug)
    form = CampaignForm(request.POST if request.method == "POST" else None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k in campaigns.EDITABLE_FIELDS}
        try:
            campaigns.campaign_update(
                Campaign.objects.get(pk=campaign.pk),
                actor=request.user,
                criteria=form.cleaned_data["criteria"],
                prerequisites=form.cleaned_data["prerequisites"],
                **fields,
            )
        except DomainError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The campaign has been changed."))
            return redirect("console:campaign", slug=campaign.slug)
    return render(request, "console/campaign_form.html", {"form": form, "campaign": campaign})


@permission_required("evaluations.manage_campaign")
def campaign_cancel(request, slug):
    campaign = access_campaign(request.user, slug)
    form = RequiredReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_cancel(
                campaign, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The campaign has been cancelled."))
        return redirect("console:campaign", slug=campaign.slug)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": campaign,
            "title": _("Cancel the campaign"),
            "form": form,
            "question": _(
                "Cancel “%(campaign)s”? It leaves the public site; everything is kept "
                "and the cancellation is recorded with its reason."
            )
            % {"campaign": campaign.name},
            "facts": campaigns.campaign_facts(campaign),
            "back": reverse("console:campaign", args=[campaign.slug]),
        },
    )


def _enrollment_listing(user, campaign, params):
    return listing.filter_enrollments(
        scope_enrollments(user, campaign.enrollments.all()), campaign, params
    )


def listing_filters(user, campaign, params) -> dict:
    """What the filter bar of an enrollment list offers, within the user's scope."""
    scope = district_scope(user)
    return listing.filter_choices(
        campaign,
        params,
        districts=District.objects.all() if scope is None else scope,
        enrollments=scope_enrollments(user, campaign.enrollments.all()),
    )


enrollment_rows = listing.enrollment_rows


@staff_member_required
def campaign_detail(request, slug):
    campaign = access_campaign(request.user, slug)
    enrollments = _enrollment_listing(request.user, campaign, request.GET)
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    publications = list(campaign.publications.order_by("kind", "-revision"))
    return render(
        request,
        "console/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": enrollment_rows(listing.count_page(page, codes=True)),
            **listing_filters(request.user, campaign, request.GET),
            "publications": publications,
            "preliminary": next((p for p in publications if p.kind == "preliminary"), None),
            "final": next((p for p in publications if p.kind == "final"), None),
            "open_objections": Objection.objects.filter(
                entry__publication__campaign=campaign, status=Objection.Status.OPEN
            ).count(),
            "transitions": _available_transitions(request.user, campaign),
            "now": timezone.now(),
        },
    )


def _available_transitions(user, campaign):
    if not user.has_perm("evaluations.manage_campaign"):
        return []
    return [
        (action, t) for action, t in campaigns.TRANSITIONS.items() if t.source == campaign.status
    ]


# Lazy: the module may be imported while another language is active.
TRANSITION_LABELS = {
    "open": gettext_lazy("Open rating"),
    "close": gettext_lazy("Close rating"),
    "archive": gettext_lazy("Archive the campaign"),
}


@permission_required("evaluations.manage_campaign")
def campaign_transition(request, slug, action):
    campaign = access_campaign(request.user, slug)
    if action not in campaigns.TRANSITIONS:
        raise Http404
    # Opening, closing and archiving follow the campaign's own published rules (its
    # rating window, a published list): none is a judgement, so none asks for a 理由.
    # A reason is asked where the programme makes one: not recommending, returning,
    # answering an objection, withdrawing an entry.
    if request.method == "POST":
        try:
            campaigns.campaign_transition(campaign, action, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": TRANSITION_LABELS[action]})
        return redirect("console:campaign", slug=campaign.slug)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": campaign,
            "title": TRANSITION_LABELS[action],
            "form": None,
            "question": _("%(step)s for “%(campaign)s”?")
            % {"step": TRANSITION_LABELS[action], "campaign": campaign.name},
            "facts": campaigns.campaign_facts(campaign),
            "moves_start": action == "open" and campaign.opens_at > timezone.now(),
            "back": reverse("console:campaign", args=[campaign.slug]),
        },
    )


@permission_required("evaluations.manage_campaign")
def campaign_enroll(request, slug):
    campaign = access_campaign(request.user, slug)
    refusal = campaigns.enrollment_refusal(campaign)
    if refusal:
        messages.error(request, refusal)
        return redirect("console:campaign", slug=slug)
    district_form = EnrollDistrictForm(request.GET or None)
    candidates = Community.objects.none()
    if district_form.is_valid():
        candidates = (
            Community.objects.filter(district=district_form.cleaned_data["district"])
            .exclude(enrollments__campaign=campaign)
            .select_related("street", "company")
            .order_by("name")
        )
    if request.method == "POST":
        if "district" in request.POST:
            chosen = Community.objects.filter(district_id=request.POST.get("district"))
        else:
            ids = [i for i in request.POST.getlist("community") if i.isdigit()]
            chosen = Community.objects.filter(pk__in=ids)
        result = campaigns.enrollments_add(
            campaign, chosen.select_related("company", "district"), actor=request.user
        )
        messages.success(
            request,
            _("%(created)d communities enrolled; %(existing)d were already enrolled.")
            % {"created": len(result.created), "existing": len(result.existing)},
        )
        for community, reason in result.refused:
            messages.error(request, f"{community.name}: {reason}")
        return redirect("console:campaign", slug=slug)
    return render(
        request,
        "console/campaign_enroll.html",
        {"campaign": campaign, "district_form": district_form, "candidates": candidates},
    )
