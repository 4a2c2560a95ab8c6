"""The anti-fraud monitoring pages of the console (异常监测, issue 5 item 4).

City staff see every community of a campaign, district staff their districts'
(another district's community is a 404); company staff have no access (403).
Detection and quarantine live in evaluations.monitoring; the pages never show
how anyone rated.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import (
    access_campaign,
    access_enrollment,
    district_scope,
    is_city,
    permission_required,
    scope_enrollments,
)
from console.forms import RequiredReasonForm, SecondApprovalForm
from evaluations import throttle
from evaluations.models import Enrollment
from monitoring import flags, holds

from .campaigns import PAGE_SIZE

PERMISSION = "evaluations.monitor_ratings"


def _thresholds() -> dict:
    return {
        name: getattr(flags, name)
        for name in dir(flags)
        if name.isupper() and isinstance(getattr(flags, name), int)
    }


@permission_required(PERMISSION)
def campaign_monitoring(request, slug):
    campaign = access_campaign(request.user, slug)
    scope, scope_key = None, flags.CITY_SCOPE
    if not is_city(request.user):
        scope = scope_enrollments(request.user, Enrollment.objects.filter(campaign=campaign))
        scope_key = f"user-{request.user.pk}-districts-" + "-".join(
            str(pk) for pk in sorted(district_scope(request.user).values_list("pk", flat=True))
        )
    result = flags.campaign_monitoring_stored(campaign, scope, scope_key=scope_key)
    flagged = [c for c in result.communities if c.flags]
    held = [c for c in result.communities if c.held]
    page = Paginator(flagged, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/monitoring.html",
        {
            "campaign": campaign,
            "page": page,
            "flagged_count": len(flagged),
            "held": held,
            "checked": result.checked,
            "addresses": result.addresses,
            "labels": flags.FLAG_LABELS,
            "t": _thresholds(),
            "blocker": holds.quarantine_blocker(campaign),
            "code_surge": _code_surge(),
            "held_then_released": holds.held_then_released(campaign, scope),
            "can_finalise": request.user.has_perm(holds.FINALISE_PERMISSION)
            and campaign.status == campaign.Status.CLOSED
            and campaign.monitoring_finalised_at is None,
        },
    )


def _code_surge() -> int | None:
    """Wrong household codes typed city-wide this hour, when more than the alert
    threshold (CODE_FAILURES_CITY_ALERT): someone may be guessing codes at scale."""
    count = throttle.city_failures_this_hour()
    if count is not None and count >= settings.CODE_FAILURES_CITY_ALERT:
        return count
    return None


def _enrollment(request, slug, pk) -> Enrollment:
    campaign = access_campaign(request.user, slug)
    return access_enrollment(
        request.user,
        pk,
        Enrollment.objects.filter(campaign=campaign).select_related(
            "campaign", "community__district", "company"
        ),
    )


@permission_required(PERMISSION)
def community_monitoring(request, slug, pk):
    enrollment = _enrollment(request, slug, pk)
    flagged = flags.enrollment_flagged_ratings(enrollment)
    return render(
        request,
        "console/monitoring_community.html",
        {
            "campaign": enrollment.campaign,
            "enrollment": enrollment,
            "community": enrollment.community,
            "flagged": flagged,
            "limit_reached": len(flagged) >= flags.DRILL_DOWN_LIMIT,
            "held": holds.held_ratings(enrollment),
            "labels": flags.FLAG_LABELS,
            "t": _thresholds(),
            "blocker": holds.quarantine_blocker(enrollment.campaign),
            "hold_form": _reason_form(enrollment.campaign, prefix="hold"),
            "release_form": _reason_form(enrollment.campaign, prefix="release"),
            "finalised": enrollment.campaign.monitoring_finalised_at is not None,
        },
    )


def _reason_form(campaign, data=None, *, prefix, request=None):
    if campaign.monitoring_finalised_at is not None:
        return SecondApprovalForm(data, prefix=prefix, request=request)
    return RequiredReasonForm(data, prefix=prefix)


def _act(request, slug, pk, service, prefix, done_message):
    enrollment = _enrollment(request, slug, pk)
    form = _reason_form(enrollment.campaign, request.POST, prefix=prefix, request=request)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        try:
            n = service(
                enrollment,
                request.POST.getlist("rating"),
                actor=request.user,
                reason=form.cleaned_data["reason"],
                approver=form.cleaned_data.get("approver"),
            )
        except holds.QuarantineRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done_message % {"n": n})
    return redirect("console:monitoring_community", slug=enrollment.campaign.slug, pk=enrollment.pk)


@require_POST
@permission_required(PERMISSION)
def rating_hold(request, slug, pk):
    return _act(
        request,
        slug,
        pk,
        holds.ratings_quarantine,
        "hold",
        _("%(n)d ratings held for review: they do not count until released."),
    )


@require_POST
@permission_required(PERMISSION)
def rating_release(request, slug, pk):
    return _act(
        request,
        slug,
        pk,
        holds.ratings_release,
        "release",
        _("%(n)d ratings released."),
    )


@require_POST
@permission_required(holds.FINALISE_PERMISSION)
def monitoring_finalise(request, slug):
    """The city settles the holds of a closed campaign; from now on staff see rates."""
    campaign = access_campaign(request.user, slug)
    try:
        holds.monitoring_finalise(campaign, actor=request.user)
    except holds.FinaliseRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The monitoring is finalised: the holds are settled and rates are shown.")
        )
    return redirect("console:monitoring", slug=campaign.slug)
