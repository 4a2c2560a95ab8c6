"""Bulk review decisions (issue 13): tick many enrollments of a campaign — or every
one matching the filter — and take one decision for all of them. Each enrollment is
still decided by its own service function (reviews.bulk), within the account's
scope: an id outside it is simply not found, as on the enrollment's own page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from console.access import access_campaign, permission_required
from evaluations.errors import DomainError
from reviews import listing
from reviews.bulk import BULK_DECISIONS, enrollments_decide

from .campaigns import PAGE_SIZE, _enrollment_listing, enrollment_rows, listing_filters


def _allowed_decisions(user):
    return [(key, d) for key, d in BULK_DECISIONS.items() if user.has_perm(d.permission)]


@permission_required("evaluations.view_enrollment")
def campaign_bulk(request, slug):
    allowed = _allowed_decisions(request.user)
    if not allowed:
        raise PermissionDenied
    campaign = access_campaign(request.user, slug)
    params = request.POST if request.method == "POST" else request.GET
    enrollments = _enrollment_listing(request.user, campaign, params)
    outcome, error, selected_count = None, None, 0
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision not in dict(allowed):
            error = _("Choose a decision.")
        else:
            if request.POST.get("select_all") == "all":
                chosen = enrollments
            else:
                ids = [i for i in request.POST.getlist("enrollment") if i.isdigit()]
                chosen = enrollments.filter(pk__in=ids)
            chosen = list(chosen.select_related("campaign"))
            selected_count = len(chosen)
            if not chosen:
                error = _("Tick at least one community, or every one matching the filter.")
            else:
                try:
                    outcome = enrollments_decide(
                        chosen,
                        decision,
                        actor=request.user,
                        reason=request.POST.get("reason", ""),
                    )
                except DomainError as refused:
                    error = str(refused)
    page = Paginator(enrollments, PAGE_SIZE).get_page(params.get("page"))
    return render(
        request,
        "console/campaign_bulk.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": enrollment_rows(listing.count_page(page)),
            "decisions": allowed,
            **listing_filters(request.user, campaign, params),
            "outcome": outcome,
            "error": error,
            "selected_count": selected_count,
            "chosen_decision": request.POST.get("decision", ""),
        },
        status=400 if error else 200,
    )
