"""The public portal (SPEC step 7): the published lists by district, a search,
a page per community and per company. Read-only, server-rendered, cacheable.

Every page reads published facts only (evaluations.portal). List pages carry
an ETag and Last-Modified derived from the current publications, so a CDN or
a browser revalidates instead of downloading again.
"""

from __future__ import annotations

import hashlib
from itertools import groupby

from django.db.models import Max
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language
from django.views.decorators.http import condition, require_safe

from communities.models import Community, District, PropertyCompany
from evaluations.forms import CodeForm
from evaluations.models import Campaign, Criterion
from monitoring import holds
from monitoring.flags import FLAG_LABELS
from portal import pagecache
from portal import queries as portal
from reviews.models import PublicationEntry, ReviewCheck
from showcases.models import CompanyReply, ModerationStatus, ShowcaseItem

CACHE_SECONDS = 300


def _cacheable(response):
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


def _publications_state() -> list[tuple[int, int, object]]:
    return list(portal.current_publications().values_list("pk", "revision", "published_at"))


def _etag(*parts) -> str:
    return hashlib.sha256(repr((get_language(),) + parts).encode()).hexdigest()[:32]


def lists_etag(request, *args, **kwargs) -> str:
    """Changes when any campaign publishes or revises its list (or the language)."""
    return _etag(_publications_state(), request.GET.get("street", ""))


def lists_last_modified(request, *args, **kwargs):
    state = _publications_state()
    return max((published for _pk, _rev, published in state), default=None)


def switch_language(request):
    """Language switch by plain link (GET): public pages carry no CSRF token, so they
    can be cached by a CDN. Only the preference cookie is set."""
    language = request.GET.get("language", "")
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if check_for_language(language):
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
    return response


@require_safe
def home(request):
    publications = list(portal.current_publications())
    latest = publications[0] if publications else None
    now = timezone.now()
    # Campaigns open for rating now, and when that changes by itself (one opens or
    # closes): the cached page (evaluations.pagecache) is not kept past that time.
    open_status = list(Campaign.objects.filter(status=Campaign.Status.OPEN).order_by("closes_at"))
    notices = _notices()
    changes = [c.opens_at if c.opens_at > now else c.closes_at for c in open_status]
    changes += [n.notice_ends_at for n in notices]
    pagecache.expires_at(request, min((t for t in changes if t > now), default=None))
    context = {
        "latest": latest,
        "archive": publications[1:],
        "open_campaigns": [c for c in open_status if c.accepts_ratings(now)],
        "notices": notices,
        "code_form": CodeForm(),
    }
    if latest is not None:
        counts = portal.district_counts(latest)
        context.update(
            counts=counts,
            total=sum(c.count for c in counts),
            districts_with_winners=sum(1 for c in counts if c.count),
        )
    return render(request, "portal/home.html", context)


def _notices():
    from reviews.models import Publication

    return [
        p
        for p in Publication.objects.filter(
            kind=Publication.Kind.PRELIMINARY, campaign__status=Campaign.Status.CLOSED
        ).select_related("campaign")
        if p.notice_open()
    ]


@require_safe
@condition(etag_func=lists_etag, last_modified_func=lists_last_modified)
def campaign_list(request, slug):
    publication = portal.current_publication(slug)
    if publication is None:
        raise Http404
    from .charts import district_chart_rows, district_rates_svg

    counts = portal.district_counts(publication)
    chart = district_rates_svg(
        district_chart_rows(publication, [c.district for c in counts]),
        title=publication.campaign.display_name,
        threshold_percent=publication.campaign.threshold_percent,
    )
    withdrawn = publication.entries.filter(status=PublicationEntry.Status.WITHDRAWN)
    return _cacheable(
        render(
            request,
            "portal/campaign_list.html",
            {
                "publication": publication,
                "campaign": publication.campaign,
                "counts": counts,
                "total": sum(c.count for c in counts),
                "chart": chart,
                "withdrawn": portal.with_community(withdrawn),
                "revisions": publication.campaign.publications.filter(kind="final").order_by(
                    "-revision"
                ),
            },
        )
    )


@require_safe
@condition(etag_func=lists_etag, last_modified_func=lists_last_modified)
def district_page(request, slug, code):
    publication = portal.current_publication(slug)
    district = District.objects.filter(code=code).first()
    if publication is None or district is None:
        raise Http404
    entries = portal.with_community(
        publication.entries.filter(district_code=code).order_by("street_name", "community_name")
    )
    streets = sorted({e.street_name for e in entries if e.street_name})
    street = request.GET.get("street", "")
    if street:
        entries = [e for e in entries if e.street_name == street]
    listed = [e for e in entries if e.status == PublicationEntry.Status.LISTED]
    withdrawn = [e for e in entries if e.status == PublicationEntry.Status.WITHDRAWN]
    return _cacheable(
        render(
            request,
            "portal/district.html",
            {
                "publication": publication,
                "campaign": publication.campaign,
                "district": district,
                "entries": listed,
                "withdrawn": withdrawn,
                "streets": streets,
                "street": street,
            },
        )
    )


@require_safe
def search(request):
    more = request.GET.get("more") == "1"
    result = portal.search(
        request.GET.get("q", ""), limit=portal.SEARCH_LIMIT if more else portal.SEARCH_FIRST
    )
    return render(
        request,
        "portal/search.html",
        {"result": result, "q": request.GET.get("q", ""), "more": more},
    )


def community_etag(request, pk):
    latest = ShowcaseItem.objects.filter(showcase__enrollment__community_id=pk).aggregate(
        at=Max("reviewed_at")
    )["at"]
    reply = CompanyReply.objects.filter(enrollment__community_id=pk).aggregate(
        at=Max("reviewed_at")
    )["at"]
    return _etag(_publications_state(), pk, latest, reply)


@require_safe
@condition(etag_func=community_etag)
def community_page(request, pk):
    community = get_object_or_404(
        Community.objects.select_related("district", "street", "company"), pk=pk
    )
    entries = list(
        PublicationEntry.objects.filter(
            enrollment__community=community,
            publication__in=portal.current_publications().values("pk"),
        )
        .select_related("publication__campaign", "enrollment")
        .order_by("-publication__published_at")
    )
    # How many ratings are held, with which flag: public once the monitoring is
    # finalised (issue 11); every hold after it needed a second city account.
    held = holds.held_counts([e.enrollment_id for e in entries])
    for entry in entries:
        entry.held_ratings = sorted(
            (str(FLAG_LABELS.get(flag, flag)), n)
            for flag, n in held.get(entry.enrollment_id, {}).items()
        )
    context = {"community": community, "entries": entries}
    featured = next((e for e in entries if e.status == PublicationEntry.Status.LISTED), None)
    featured = featured or (entries[0] if entries else None)
    if featured is not None:
        enrollment = featured.enrollment
        items = list(
            ShowcaseItem.objects.approved()
            .filter(showcase__enrollment=enrollment)
            .select_related("criterion", "showcase")
            .order_by("order", "id")
        )
        context.update(
            featured=featured,
            showcase=items[0].showcase if items else None,
            photo_groups=_photo_groups(items),
            figures=[i for i in items if i.kind == ShowcaseItem.Kind.FIGURE],
            highlight_groups=_highlight_groups(items),
            stories=[i for i in items if i.kind == ShowcaseItem.Kind.STORY],
            criteria_met=Criterion.objects.filter(
                pk__in=ReviewCheck.objects.filter(
                    enrollment=enrollment, criterion__isnull=False, met=True
                ).values("criterion_id")
            ).order_by("order"),
            replies=CompanyReply.objects.filter(
                enrollment=enrollment, status=ModerationStatus.APPROVED
            ).select_related("company"),
        )
    return _cacheable(render(request, "portal/community.html", context))


def _photo_groups(items):
    """Photos grouped by criterion, as the article does (画说基本服务 …)."""
    photos = [i for i in items if i.kind == ShowcaseItem.Kind.PHOTO]
    photos.sort(key=lambda i: (i.criterion.order if i.criterion else 99, i.order, i.pk))
    return [
        (criterion, list(group)) for criterion, group in groupby(photos, key=lambda i: i.criterion)
    ]


def _highlight_groups(items):
    """Highlights sharing a title (洺悦府's “花式消杀够硬核”) are shown under that title."""
    highlights = [i for i in items if i.kind == ShowcaseItem.Kind.HIGHLIGHT]
    groups: list[tuple[str, list[ShowcaseItem]]] = []
    for item in highlights:
        if groups and item.title and groups[-1][0] == item.title:
            groups[-1][1].append(item)
        else:
            groups.append((item.title, [item]))
    return groups


@require_safe
def company_page(request, pk):
    company = get_object_or_404(PropertyCompany.objects.select_related("parent"), pk=pk)
    entries = list(
        portal.with_community(
            PublicationEntry.objects.filter(
                enrollment__company=company,
                publication__in=portal.current_publications().values("pk"),
            )
        )
        .select_related("publication__campaign")
        .order_by("-publication__published_at", "district_code", "community_name")
    )
    campaigns = [
        (campaign, list(group))
        for campaign, group in groupby(entries, key=lambda e: e.publication.campaign)
    ]
    return _cacheable(
        render(
            request,
            "portal/company.html",
            {
                "company": company,
                "campaigns": campaigns,
                "branches": company.branches.order_by("name"),
                "listed_count": sum(1 for e in entries if e.status == "listed"),
            },
        )
    )
