"""Open data over HTTP: /open-data/ (the index), /open-data/<slug>.csv and .json,
and /open-data/<slug>-ballots.csv (the anonymous ballots, issue 5).

A published revision never changes, so the files are cacheable by anyone: an
ETag from the publication and its revision, Last-Modified from its publication
time, conditional requests answered with 304, `Cache-Control: public` for five
minutes (a correction is a new revision, seen at the latest five minutes
later), and `Access-Control-Allow-Origin: *` so that any web page may read them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from portal import opendata
from reviews.models import Publication
from reviews.notice_pdf import publication_notice_pdf

CACHE_CONTROL = "public, max-age=300"


class _BadRevision(ValueError):
    pass


def _requested_revision(request: HttpRequest) -> int | None:
    raw = request.GET.get("revision")
    if raw is None:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise _BadRevision(raw)
    return int(raw)


def _publication(request: HttpRequest, slug: str) -> Publication:
    """The publication the request asks for, looked up once per request (the ETag,
    the Last-Modified date and the body all need it)."""
    if not hasattr(request, "_open_data_publication"):
        publication = opendata.open_data_publication(slug, _requested_revision(request))
        if publication is None:
            raise Http404("This campaign has no published final list.")
        request._open_data_publication = publication
    return request._open_data_publication


def _etag(request: HttpRequest, slug: str) -> str:
    return opendata.publication_etag(_publication(request, slug))


def _last_modified(request: HttpRequest, slug: str):
    return _publication(request, slug).published_at


def _open_data(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only; a malformed ?revision= is a 400 that says why; every answer
    may be read cross-origin; 200 and 304 may be cached by anyone for five minutes.
    Outside `condition`, so that its 304 answers get the headers too."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str) -> HttpResponse:
        try:
            _requested_revision(request)
        except _BadRevision:
            response = HttpResponseBadRequest(
                _("revision must be a whole number from 1 up, e.g. ?revision=1"),
                content_type="text/plain; charset=utf-8",
            )
        else:
            response = view(request, slug)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag"
        if response.status_code in (200, 304):
            response["Cache-Control"] = CACHE_CONTROL
        return response

    return wrapper


@_open_data
@condition(etag_func=_etag, last_modified_func=_last_modified)
def publication_csv(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request, slug)
    response = HttpResponse(
        opendata.publication_csv(publication), content_type="text/csv; charset=utf-8"
    )
    filename = f"{publication.campaign.slug}-r{publication.revision}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@_open_data
@condition(etag_func=_etag, last_modified_func=_last_modified)
def publication_json(request: HttpRequest, slug: str) -> HttpResponse:
    publication = _publication(request, slug)
    return HttpResponse(opendata.publication_json(publication), content_type="application/json")


def _ballots_etag(request: HttpRequest, slug: str) -> str:
    return "ballots-" + _etag(request, slug)


@_open_data
@condition(etag_func=_ballots_etag, last_modified_func=_last_modified)
def publication_ballots_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The anonymous ballots of the entries on the list, streamed: a campaign of a
    million ratings is never held in memory."""
    publication = _publication(request, slug)
    response = StreamingHttpResponse(
        opendata.ballots_csv_chunks(publication), content_type="text/csv; charset=utf-8"
    )
    filename = f"{publication.campaign.slug}-r{publication.revision}-ballots.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _receipts_etag(request: HttpRequest, slug: str) -> str:
    return "receipts-" + _etag(request, slug)


@_open_data
@condition(etag_func=_receipts_etag, last_modified_func=_last_modified)
def publication_receipts_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The hashes of the counted receipts: a resident checks that theirs is in it;
    nothing links a receipt to a ballot."""
    publication = _publication(request, slug)
    response = StreamingHttpResponse(
        opendata.receipts_csv_chunks(publication), content_type="text/csv; charset=utf-8"
    )
    filename = f"{publication.campaign.slug}-r{publication.revision}-receipts.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _notice_etag(request: HttpRequest, slug: str) -> str:
    return "notice-" + _etag(request, slug)


@_open_data
@condition(etag_func=_notice_etag, last_modified_func=_last_modified)
def publication_notice(request: HttpRequest, slug: str) -> HttpResponse:
    """The printable publication notice with the digest and the audit head, which the
    bureau posts on its own website (reviews.notice_pdf)."""
    publication = _publication(request, slug)
    response = HttpResponse(publication_notice_pdf(publication), content_type="application/pdf")
    filename = f"{publication.campaign.slug}-r{publication.revision}-notice.pdf"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/open_data_index.html", {"campaigns": opendata.published_campaigns()}
    )
