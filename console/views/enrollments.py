"""Enrollments across campaigns (issue 13, item 1): every enrollment the account may
see, in every campaign, with the filters of a campaign's own list (district, street,
company, review status, rate band, name) plus the campaign, sorted and paged. Rates,
their bands and their order only for campaigns whose rates are visible."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render

from communities.models import District
from console.access import (
    campaigns_in_scope,
    district_scope,
    permission_required,
    scope_enrollments,
)
from evaluations.models import Enrollment
from reviews import listing

from .campaigns import PAGE_SIZE


@permission_required("evaluations.view_enrollment")
def enrollments_across(request):
    scoped = scope_enrollments(request.user, Enrollment.objects.all())
    enrollments = listing.filter_enrollments(scoped, None, request.GET)
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = district_scope(request.user)
    return render(
        request,
        "console/enrollments.html",
        {
            "page": page,
            "rows": listing.enrollment_rows(listing.count_page(page)),
            "campaign_choices": campaigns_in_scope(request.user).order_by("-opens_at"),
            **listing.filter_choices(
                None,
                request.GET,
                districts=District.objects.all() if scope is None else scope,
                enrollments=scoped,
            ),
        },
    )
