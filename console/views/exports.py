"""Downloads of a campaign's results for staff (issue 3, item 5).

Wired in evaluations/console_urls.py:
    campaigns/<slug>/results.csv   → results_csv_view
    campaigns/<slug>/results.xlsx  → results_xlsx_view
A district reviewer gets the rows of their districts only; the city bureau all.
While the campaign is in draft or open, rates are not exportable: 409 with a page
that says so.
"""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from console.access import access_campaign, district_scope, permission_required
from evaluations.tally import RatesNotAvailable
from reviews.exports import results_csv_stream, results_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(request, slug: str, build, content_type: str, extension: str) -> HttpResponse:
    campaign = access_campaign(request.user, slug)
    try:
        content = build(campaign, district_scope(request.user))
    except RatesNotAvailable as error:
        return render(
            request,
            "console/export_unavailable.html",
            {"campaign": campaign, "reason": str(error)},
            status=409,
        )
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
    else:  # streamed from its first byte: a city's 10,000 rows start at once
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, f"results-{campaign.slug}.{extension}"
    )
    # Results are for the person who asked for them: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response


@permission_required("evaluations.export_results")
@require_GET
def results_csv_view(request, slug):
    return _export(request, slug, results_csv_stream, "text/csv; charset=utf-8", "csv")


@permission_required("evaluations.export_results")
@require_GET
def results_xlsx_view(request, slug):
    return _export(request, slug, results_xlsx, XLSX_TYPE, "xlsx")
