"""The console's review pages: an enrollment with its checks and decisions (district
reviewers), the city's approval list, and the private evidence photos."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.access import (
    access_campaign,
    access_check,
    access_enrollment,
    permission_required,
    staff_member_required,
)
from console.forms import (
    CheckForm,
    ReasonForm,
    RequiredReasonForm,
)
from evaluations.errors import DomainError
from evaluations.models import Enrollment, Rating, ReviewStatus
from evaluations.tally import (
    criterion_tally,
)
from reviews import decisions, listing
from showcases.models import ShowcaseItem
from uploads.private_media import private_file_response

from .campaigns import PAGE_SIZE, enrollment_rows


def _enrollment_page_queryset():
    return Enrollment.objects.select_related(
        "campaign", "community__district", "community__street", "company"
    )


@permission_required("evaluations.view_enrollment")
def enrollment_detail(request, pk):
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    campaign = enrollment.campaign
    rules = [*campaign.prerequisites.all(), *campaign.criteria.all()]
    checks = {
        (c.prerequisite_id, c.criterion_id): c
        for c in enrollment.checks.select_related("checked_by")
    }
    check_rows = []
    for rule in rules:
        key = (rule.pk, None) if rule.__class__.__name__ == "Prerequisite" else (None, rule.pk)
        check = checks.get(key)
        check_rows.append(
            {
                "rule": rule,
                "kind": "prerequisite" if key[1] is None else "criterion",
                "check": check,
                "form": CheckForm(
                    prefix=f"{'p' if key[1] is None else 'c'}{rule.pk}",
                    initial={
                        "met": None if check is None else ("yes" if check.met else "no"),
                        "note": check.note if check else "",
                    },
                ),
            }
        )
    context = {
        "enrollment": enrollment,
        "campaign": campaign,
        "community": enrollment.community,
        "check_rows": check_rows,
        "showcase_items": ShowcaseItem.objects.filter(showcase__enrollment=enrollment)
        .select_related("criterion")
        .order_by("order", "id"),
        "audit": enrollment.audit_entries.order_by("-at", "-id")[:200],
        "codes_issued": enrollment.household_codes.count(),
        "responses": Rating.objects.counted().filter(enrollment=enrollment).count(),
        "can_review": request.user.has_perm("evaluations.review_enrollment"),
        "can_approve": request.user.has_perm("evaluations.approve_recommendation"),
        "can_see_evidence": any(request.user.has_perm(p) for p in EVIDENCE_PERMISSIONS),
        "reason_form": RequiredReasonForm(),
    }
    if campaign.rates_visible:
        from evaluations.tally import enrollment_tally

        tally = enrollment_tally(enrollment)
        context.update(
            tally=tally,
            criteria_tally=criterion_tally(enrollment),
            blockers=decisions.recommendation_blockers(enrollment, tally),
            comments=Rating.objects.counted()
            .filter(enrollment=enrollment)
            .exclude(comment="")
            .order_by("-submitted_at")
            .values_list("comment", "submitted_at")[:200],
        )
    return render(request, "console/enrollment_detail.html", context)


@require_POST
@permission_required("evaluations.review_enrollment")
def enrollment_checks(request, pk):
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    campaign = enrollment.campaign
    rules = [("p", r) for r in campaign.prerequisites.all()] + [
        ("c", r) for r in campaign.criteria.all()
    ]
    saved, errors = 0, []
    for prefix, rule in rules:
        form = CheckForm(request.POST, request.FILES, prefix=f"{prefix}{rule.pk}")
        if not form.has_changed():
            continue
        if not form.is_valid():
            errors.append(f"{rule.name}: {' '.join(m for ms in form.errors.values() for m in ms)}")
            continue
        try:
            check = decisions.review_check_record(
                enrollment,
                rule,
                actor=request.user,
                met=form.cleaned_data["met"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except DomainError as error:
            errors.append(str(error))
            break
        saved += check.changed
    for error in errors:
        messages.error(request, error)
    if saved:
        messages.success(request, _("%(n)d checks saved.") % {"n": saved})
    elif not errors:
        messages.info(request, _("Nothing changed: the checks are as they were."))
    return redirect("console:enrollment", pk=enrollment.pk)


DECISIONS = {
    # decision: (permission, service, reason required)
    "recommend": ("evaluations.review_enrollment", decisions.enrollment_recommend, False),
    "reject": ("evaluations.review_enrollment", decisions.enrollment_reject, True),
    "approve": ("evaluations.approve_recommendation", decisions.enrollment_approve, False),
    "return": ("evaluations.approve_recommendation", decisions.enrollment_return, True),
}


@require_POST
@staff_member_required
def enrollment_decide(request, pk, decision):
    if decision not in DECISIONS:
        raise Http404
    permission, service, reason_required = DECISIONS[decision]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    form = (RequiredReasonForm if reason_required else ReasonForm)(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", [])))
    else:
        try:
            service(enrollment, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, str(error))
        else:
            enrollment.refresh_from_db(fields=["review_status"])
            messages.success(
                request,
                _("%(community)s: %(status)s.")
                % {
                    "community": enrollment.community.name,
                    "status": enrollment.get_review_status_display(),
                },
            )
    return redirect(
        request.POST.get("next_page") == "approval"
        and reverse("console:approval", args=[enrollment.campaign.slug])
        or reverse("console:enrollment", args=[enrollment.pk])
    )


@permission_required("evaluations.approve_recommendation")
def campaign_approval(request, slug):
    campaign = access_campaign(request.user, slug)
    enrollments = (
        campaign.enrollments.filter(
            review_status__in=[
                ReviewStatus.RECOMMENDED,
                ReviewStatus.APPROVED,
                ReviewStatus.RETURNED,
            ]
        )
        .select_related("community__district", "community__street", "company", "campaign")
        .order_by("review_status", "community__district__code", "community__name")
    )
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/campaign_approval.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": enrollment_rows(listing.count_page(page)),
            "reason_form": RequiredReasonForm(),
        },
    )


EVIDENCE_PERMISSIONS = ("evaluations.review_enrollment", "evaluations.approve_recommendation")


@require_GET
@staff_member_required
def check_evidence(request, pk):
    """A review check's evidence photo: for the reviewers of its district and the
    city bureau (who approves), never for company staff or the public."""
    if not any(request.user.has_perm(perm) for perm in EVIDENCE_PERMISSIONS):
        raise PermissionDenied
    check = access_check(request.user, pk, with_evidence=True)
    return private_file_response(check.evidence)
