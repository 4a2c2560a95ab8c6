"""The staff console: the dashboard, campaigns (create, open, close, archive) and
enrolling communities.

Views stay thin: check who may act (console.access: 403 for a missing
permission, 404 for an object outside one's scope), parse a form, call one
service, render. GET shows a page or a confirmation; POST acts.
"""

from __future__ import annotations

from fractions import Fraction

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
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
    ReasonForm,
)
from console.staff_security import account_locked, second_factor_step
from evaluations import campaigns
from evaluations.errors import DomainError
from evaluations.models import Enrollment, ReviewStatus
from evaluations.tally import (
    percent_floor,
    responses_from_counts,
    tally_row_from_counts,
)
from reviews.models import Objection

PAGE_SIZE = 100


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        # An account locked across addresses (console.staff_security) is told so
        # plainly, as the per-address lockout is; the attempt still counts.
        username = request.POST.get("username", "")
        if account_locked(username):
            from django.contrib.auth import authenticate

            authenticate(request, username=username, password=request.POST.get("password", ""))
            return render(request, "console/locked_out.html", {"account_locked": True}, status=429)
        return super().post(request, *args, **kwargs)

    def get_success_url(self):
        """After the password, an account with a second factor gives its code."""
        url = super().get_success_url()
        if second_factor_step(self.request.user) == "verify":
            return f"{reverse('console:otp_verify')}?{urlencode({'next': url})}"
        return url


@staff_member_required
def dashboard(request):
    campaigns = campaigns_in_scope(request.user).order_by("-opens_at")
    scoped = scope_enrollments(request.user, Enrollment.objects.all())
    counts = {
        row["campaign_id"]: row
        for row in scoped.values("campaign_id")
        .annotate(
            total=Count("id"),
            pending=Count(
                "id", filter=Q(review_status__in=[ReviewStatus.PENDING, ReviewStatus.RETURNED])
            ),
            recommended=Count("id", filter=Q(review_status=ReviewStatus.RECOMMENDED)),
            approved=Count("id", filter=Q(review_status=ReviewStatus.APPROVED)),
        )
        .order_by()
    }
    rows = [(c, counts.get(c.pk, {})) for c in campaigns]
    return render(request, "console/dashboard.html", {"rows": rows})


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


def _enrollment_listing(user, campaign, params):
    enrollments = (
        scope_enrollments(user, campaign.enrollments.all())
        .select_related("community__district", "community__street", "company")
        .with_answer_counts()
        .with_code_counts()
        .order_by("community__district__code", "community__name")
    )
    district = params.get("district")
    if district and district.isdigit():
        enrollments = enrollments.filter(community__district__code=district)
    status = params.get("status")
    if status in ReviewStatus.values:
        enrollments = enrollments.filter(review_status=status)
    query = (params.get("q") or "").strip()
    if query:
        enrollments = enrollments.filter(
            Q(community__name__icontains=query) | Q(company__name__icontains=query)
        )
    return enrollments


def enrollment_rows(enrollments):
    rows = []
    for enrollment in enrollments:
        responses = responses_from_counts(enrollment)
        rows.append(
            {
                "enrollment": enrollment,
                "responses": responses,
                "coverage": percent_floor(Fraction(responses, enrollment.households)),
                "tally": tally_row_from_counts(enrollment),
            }
        )
    return rows


@staff_member_required
def campaign_detail(request, slug):
    campaign = access_campaign(request.user, slug)
    enrollments = _enrollment_listing(request.user, campaign, request.GET)
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = district_scope(request.user)
    districts = District.objects.all() if scope is None else scope
    publications = list(campaign.publications.order_by("kind", "-revision"))
    return render(
        request,
        "console/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": enrollment_rows(page.object_list),
            "districts": districts,
            "statuses": ReviewStatus.choices,
            "publications": publications,
            "preliminary": next((p for p in publications if p.kind == "preliminary"), None),
            "final": next((p for p in publications if p.kind == "final"), None),
            "open_objections": Objection.objects.filter(
                entry__publication__campaign=campaign, status=Objection.Status.OPEN
            ).count(),
            "transitions": _available_transitions(request.user, campaign),
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
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_transition(
                campaign, action, actor=request.user, reason=form.cleaned_data["reason"]
            )
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
            "form": form,
            "question": _("%(step)s for “%(campaign)s”?")
            % {"step": TRANSITION_LABELS[action], "campaign": campaign.name},
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
