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
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import condition, require_safe

from communities.models import Community, District, PropertyCompany
from communities.search import MAX_QUERY_LENGTH
from config import display
from evaluations.forms import CodeForm
from evaluations.models import Campaign, Criterion, public_campaign_q
from monitoring import holds
from monitoring.flags import FLAG_LABELS
from portal import pagecache
from portal import queries as portal
from reviews.models import PublicationEntry, ReviewCheck
from showcases.models import CompanyReply, ModerationStatus, Showcase, ShowcaseItem

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

        # Django's language-cookie settings, Secure in production (LANGUAGE_COOKIE_SECURE).
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite="Lax",
        )
    return response


def switch_display(request):
    """The elder mode (适老化) on or off, by plain link like the language: a cookie, then
    back to the page the switch was pressed on."""
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if request.GET.get("elder") == "1":
        response.set_cookie(
            display.ELDER_COOKIE, "1", max_age=display.ELDER_COOKIE_AGE, samesite="Lax"
        )
    else:
        response.delete_cookie(display.ELDER_COOKIE, samesite="Lax")
    return response


# What the privacy statement lists: what is stored, why, for how long, who sees it. Each
# line is checked against the code that stores it (docs/security.md).
PRIVACY_ITEMS = [
    {
        "what": _("Your household code"),
        "why": _("So that each household has one rating that counts."),
        "how_long": _("Only a keyed hash of it is stored, as long as the campaign's records."),
        "who": _("Nobody: the code cannot be read back from the database."),
    },
    {
        "what": _("Your rating: the answers, an optional comment, the time and the receipt number"),
        "why": _("To count the satisfaction of each community; comments help the reviewers."),
        "how_long": _(
            "Kept with the campaign's records: the published list is recounted from them."
        ),
        "who": _(
            "The bureau sees counts, and comments without the household; no page shows how "
            "one household answered."
        ),
    },
    {
        "what": _("Network traces of a rating: address, browser, a browser id cookie, time taken"),
        "why": _("To find organised or scripted rating (anomaly monitoring)."),
        "how_long": _(
            "Blanked once the campaign's final list is published; wrong codes typed are "
            "deleted after 30 days."
        ),
        "who": _("Only the bureau's monitoring staff, as counts and signals."),
    },
    {
        "what": _("An objection during a public notice: your name, contact, text and photo"),
        "why": _("So that the reviewers can check and answer it."),
        "how_long": _("Kept with the campaign's records."),
        "who": _("The district and city reviewers; never published."),
    },
    {
        "what": _("Cookies: language, large text, the browser id, a form's security token"),
        "why": _("To remember your choices and to protect the forms."),
        "how_long": _(
            "A year for the large text and the browser id; the language and the token until the browser closes."
        ),
        "who": _("Only this site."),
    },
]


@require_safe
def favicon(request):
    """/favicon.ico: browsers and crawlers ask for it at the root whatever a page says."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


ROBOTS_DISALLOWED = ["/r/", "/receipts/", "/console/", "/admin/", "/display/", "/lang/", "/i18n/"]


@require_safe
def robots_txt(request):
    """Crawlers kept out of the households' rating pages, the receipts and the staff's
    pages (a household code or receipt in a search engine's index would be a leak), and
    pointed at the sitemap of the public pages."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOWED)]
    lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    return _cacheable(HttpResponse("\n".join(lines) + "\n", content_type="text/plain"))


@require_safe
def privacy(request):
    return _cacheable(render(request, "portal/privacy.html", {"items": PRIVACY_ITEMS}))


@require_safe
def home(request):
    publications = portal.featured_first(list(portal.current_publications()))
    latest = publications[0] if publications else None
    now = timezone.now()
    # Campaigns open for rating now, and when that changes by itself (one opens or
    # closes): the cached page (evaluations.pagecache) is not kept past that time.
    open_status = list(
        Campaign.objects.public().filter(status=Campaign.Status.OPEN).order_by("closes_at")
    )
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
        )
        .filter(public_campaign_q("campaign__"))
        .select_related("campaign")
        if p.notice_open()
    ]


@require_safe
@condition(etag_func=lists_etag, last_modified_func=lists_last_modified)
def campaign_list(request, slug):
    publication = portal.current_publication(slug)
    if publication is None:
        raise Http404
    return _cacheable(_list_page(request, publication, current=publication))


@require_safe
@condition(etag_func=lists_etag, last_modified_func=lists_last_modified)
def list_revision(request, slug, revision):
    """`/lists/<slug>/r/<n>/`: any revision of the list, saying whether it is
    superseded and by which revision (the current one is the same page as the list)."""
    publication = portal.list_revision(slug, revision)
    if publication is None:
        raise Http404
    current = portal.current_publication(slug)
    return _cacheable(_list_page(request, publication, current=current))


def _list_page(request, publication, *, current):
    from .charts import district_chart_rows, district_rates_svg

    counts = portal.district_counts(publication)
    chart = district_rates_svg(
        district_chart_rows(publication, [c.district for c in counts]),
        title=publication.campaign.display_name,
        threshold_percent=publication.campaign.threshold_percent,
    )
    withdrawn = publication.entries.filter(status=PublicationEntry.Status.WITHDRAWN)
    return render(
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
            "superseded_by": current if current.pk != publication.pk else None,
        },
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
        # The box shows the query as searched for: capped, never the raw text echoed back.
        {"result": result, "q": result.query, "more": more, "max_query_length": MAX_QUERY_LENGTH},
    )


def community_etag(request, pk):
    # Per showcase: its public headline (changed by an approval or a removal, never by
    # a proposal) and when its material was last reviewed. One query.
    showcases = list(
        Showcase.objects.filter(enrollment__community_id=pk)
        .annotate(latest=Max("items__reviewed_at"))
        .order_by("pk")
        .values_list("pk", "headline", "subheadline", "latest")
    )
    reply = CompanyReply.objects.filter(enrollment__community_id=pk).aggregate(
        at=Max("reviewed_at")
    )["at"]
    now = [(s.kind, s.campaign, s.until) for s in _community_now(request, pk)]
    return _etag(_publications_state(), pk, showcases, reply, now)


def _community_now(request, pk) -> list:
    """What is happening to the community now, read once for the ETag and the page."""
    if getattr(request, "_community_now", None) is None:
        request._community_now = portal.community_now([pk])[pk]
    return request._community_now


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
    now = _community_now(request, community.pk)
    # Being rated or on notice ends by itself: the cached page is not kept past that.
    pagecache.expires_at(request, min((s.until for s in now), default=None))
    context = {"community": community, "entries": entries, "now": now}
    context["share_description"] = _share_description(community, entries, now)
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


@require_safe
def community_share_card(request, pk, language):
    """The community's share card (portal.sharecard), a PNG in `language`: what og:image
    of its page points to. Cached and invalidated with the community's page."""
    from django.conf import settings
    from django.utils import translation

    from config.fonts import cjk_font_source
    from portal import sharecard

    if language not in dict(settings.LANGUAGES):
        raise Http404("no such language")
    community = get_object_or_404(Community.objects.select_related("district"), pk=pk)
    latin = cjk_font_source() is None  # no Chinese font here: an English card, not boxes
    with translation.override("en" if latin else language):
        card = sharecard.card_for(community)
        png = sharecard.draw(card, latin=latin)
    pagecache.expires_at(request, card.until)
    return _cacheable(HttpResponse(png, content_type="image/png"))


def _share_description(community, entries, now) -> str:
    """What a link to the community's page says when shared (WeChat, Open Graph): its
    standing — on a list with its rate, being rated now, on notice — in one sentence."""
    from django.utils.formats import localize
    from django.utils.translation import gettext

    listed = next((e for e in entries if e.status == PublicationEntry.Status.LISTED), None)
    if listed is not None:
        return gettext(
            "On the list of “satisfied communities” (%(campaign)s): %(rate)s%% of "
            "%(n)s households that rated are satisfied."
        ) % {
            "campaign": listed.publication.campaign.display_name,
            "rate": localize(listed.rate_percent),
            "n": localize(listed.responses),
        }
    for status in now:
        if status.kind == "notice":
            return gettext("On public notice, objections open: %(campaign)s.") % {
                "campaign": status.campaign
            }
        if status.kind == "rating":
            return gettext("Being rated now by its residents: %(campaign)s.") % {
                "campaign": status.campaign
            }
    return gettext("Not on any published list of “satisfied communities”.")


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
