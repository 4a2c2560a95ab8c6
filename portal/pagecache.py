"""The server-side cache of the public pages (issue 6).

The public portal's pages — home, a campaign's list, a district, a community, a
company, a search — are the same for every anonymous visitor but for the language,
and on publication day thousands ask for the same few. They are stored whole in the
shared cache (Redis in production, the in-process cache on a laptop and in tests)
under (language, path), plain and gzipped, for at most the pages' max-age.

Exactly what changed is invalidated: every page is stored with the *versions* it was
rendered under, and a page whose versions are no longer current is rendered again.
A version is a random token in the same cache, one per

    all                      everything (a campaign, a district, a criterion… edited)
    home                     the home page (any publication, preliminary or final)
    list:<campaign slug>     a campaign's list page (its publications)
    district:<slug>:<code>   one district's page of one campaign
    community:<id>           one community's page
    company:<id>             one company's page
    search                   the search results (names, publications)

A community's share card (portal.sharecard, its og:image) is kept under the
community's versions like its page: what changes the page draws the card anew.

A withdrawal sets new tokens for its community, its district, its company, its
campaign's list, home and search: another district's page stays cached. The new
tokens are set at once and again after the commit (transaction.on_commit), so that
a request that stored the old state under the first new version meanwhile is not
believed. The versions and the page are read in
one round trip before the view runs, so a hit costs no query and no template.

Never cached, never served from the cache: anything but GET/HEAD; a request with a
session cookie (a logged-in staff member) or queued messages; a response that sets
a cookie (e.g. a CSRF token), uses the CSRF token, is not a 200, or says private or
no-store; query strings other than the page's own (?street= on a district, ?q= on
the search). ETag and Last-Modified are kept with the page, so conditional GETs are
answered with 304 from the cache too.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import uuid
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language

from config.display import elder_mode

logger = logging.getLogger(__name__)

CACHE_SECONDS = 300  # the public pages' max-age (portal_views.CACHE_SECONDS)
GZIP_MIN_BYTES = 1024
PREFIX = "pagecache:"
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary")
# Per cached view: the query parameters that make a different page.
CACHED_VIEWS = {
    "home": (),
    "campaign_list": (),
    "district": ("street",),
    "community": (),
    "community_share_card": (),
    "company": (),
    "search": ("q", "more"),
}
_GZIP = re.compile(r"\bgzip\b")


def versions_of(view_name: str, kwargs: dict) -> list[str]:
    """The version names a page depends on."""
    own = {
        "home": "home",
        "campaign_list": "list:{slug}",
        "district": "district:{slug}:{code}",
        "community": "community:{pk}",
        "community_share_card": "community:{pk}",  # the card says what the page says
        "company": "company:{pk}",
        "search": "search",
    }[view_name].format(**kwargs)
    return ["all", own]


def _version_key(name: str) -> str:
    return f"{PREFIX}v:{name}"


def _page_key(language: str, path: str, encoding: str) -> str:
    digest = hashlib.sha256(path.encode()).hexdigest()[:40]
    return f"{PREFIX}page:{language}:{encoding}:{digest}"


def _new_token() -> str:
    return uuid.uuid4().hex


# --- invalidation -----------------------------------------------------------------------


def bump(*names: str) -> None:
    """New versions for these names, at once and again after the current transaction
    commits. A cache that does not answer is logged, never an error."""
    names = tuple(dict.fromkeys(n for n in names if n))
    if not names:
        return

    def _set() -> None:
        try:
            cache.set_many({_version_key(n): _new_token() for n in names}, None)
        except Exception:
            logger.exception("page cache: could not invalidate %s", ", ".join(names))

    # Twice: now, so that this transaction's own later requests (and tests, which never
    # commit) see the change; and after the commit, since a request that read the new
    # version before the commit may have stored the old state under it.
    _set()
    transaction.on_commit(_set)


def entry_changed(entry) -> None:
    """A published entry changed (a withdrawal): its community, district, company,
    its campaign's list, home and the search; nothing else."""
    slug = entry.publication.campaign.slug
    enrollment = entry.enrollment
    bump(
        "home",
        "search",
        f"list:{slug}",
        f"district:{slug}:{entry.district_code}",
        f"community:{enrollment.community_id}",
        f"company:{enrollment.company_id}",
    )


def _community_of_enrollment(enrollment_id) -> int | None:
    from evaluations.models import Enrollment

    return (
        Enrollment.objects.filter(pk=enrollment_id).values_list("community_id", flat=True).first()
    )


def _on_everything(sender, **kwargs) -> None:
    bump("all")


def _on_publication(sender, instance, **kwargs) -> None:
    from evaluations.models import Campaign

    slug = Campaign.objects.filter(pk=instance.campaign_id).values_list("slug", flat=True).first()
    bump("home", "search", f"list:{slug}" if slug else "")


def _on_entry(sender, instance, **kwargs) -> None:
    from evaluations.models import Enrollment
    from reviews.models import Publication

    slug = (
        Publication.objects.filter(pk=instance.publication_id)
        .values_list("campaign__slug", flat=True)
        .first()
    )
    ids = Enrollment.objects.filter(pk=instance.enrollment_id).values_list(
        "community_id", "company_id"
    )
    community_id, company_id = next(iter(ids), (None, None))
    bump(
        "home",
        "search",
        f"list:{slug}",
        f"district:{slug}:{instance.district_code}",
        f"community:{community_id}",
        f"company:{company_id}",
    )


def _on_community(sender, instance, **kwargs) -> None:
    bump("search", f"community:{instance.pk}")


def _on_company(sender, instance, **kwargs) -> None:
    # Its name shows on its communities' pages and its parent lists its branches:
    # companies are seldom edited, so every page is rendered again.
    bump("all")


def _on_enrollment_material(sender, instance, **kwargs) -> None:
    """A company reply or a review check: on the community's page."""
    bump(f"community:{_community_of_enrollment(instance.enrollment_id)}")


def _on_showcase(sender, instance, **kwargs) -> None:
    bump(f"community:{_community_of_enrollment(instance.enrollment_id)}")


def _on_showcase_item(sender, instance, **kwargs) -> None:
    from showcases.models import Showcase

    enrollment_id = (
        Showcase.objects.filter(pk=instance.showcase_id)
        .values_list("enrollment_id", flat=True)
        .first()
    )
    bump(f"community:{_community_of_enrollment(enrollment_id)}")


def _on_campaign_changed(sender, campaign, **kwargs) -> None:
    # Opening, closing or publishing changes what every public page says of it.
    bump("all")


def _on_publication_published(sender, publication, **kwargs) -> None:
    # A new list, or a new revision of one: its communities, districts and companies,
    # the list, the home page and the search all change.
    bump("all")


def _on_entry_withdrawn(sender, entry, **kwargs) -> None:
    entry_changed(entry)


def _on_checks_recorded(sender, enrollments, **kwargs) -> None:
    # What a row's post_save would have said, for checks written in bulk.
    bump(*{f"community:{e.community_id}" for e in enrollments})


def _on_featured_list_changed(sender, featured, **kwargs) -> None:
    # Only the home page says which list leads.
    bump("home")


def connect_signals() -> None:
    from django.db.models.signals import post_delete, post_save

    from communities.models import Community, District, PropertyCompany, Street
    from evaluations.signals import campaign_changed
    from reviews.signals import (
        checks_recorded,
        entry_withdrawn,
        featured_list_changed,
        publication_published,
    )

    # The domain's own events (sent by its services, never calling the portal).
    campaign_changed.connect(_on_campaign_changed, dispatch_uid="pagecache-campaign")
    publication_published.connect(
        _on_publication_published, dispatch_uid="pagecache-publication-published"
    )
    entry_withdrawn.connect(_on_entry_withdrawn, dispatch_uid="pagecache-entry-withdrawn")
    checks_recorded.connect(_on_checks_recorded, dispatch_uid="pagecache-checks-recorded")
    featured_list_changed.connect(_on_featured_list_changed, dispatch_uid="pagecache-featured-list")
    from evaluations.models import Campaign, Criterion
    from reviews.models import Publication, PublicationEntry, ReviewCheck
    from showcases.models import CompanyReply, Showcase, ShowcaseItem

    receivers = [
        (Campaign, _on_everything),
        (District, _on_everything),
        (Street, _on_everything),
        (Criterion, _on_everything),
        (PropertyCompany, _on_company),
        (Community, _on_community),
        (Publication, _on_publication),
        (PublicationEntry, _on_entry),
        (CompanyReply, _on_enrollment_material),
        (ReviewCheck, _on_enrollment_material),
        (Showcase, _on_showcase),
        (ShowcaseItem, _on_showcase_item),
    ]
    for model, receiver in receivers:
        for signal in (post_save, post_delete):
            signal.connect(
                receiver,
                sender=model,
                weak=False,
                dispatch_uid=f"pagecache-{signal is post_save}-{model._meta.label}",
            )


# --- expiry of time-dependent pages ---------------------------------------------------


def expires_at(request, when: datetime | None) -> None:
    """The page being rendered changes by itself at `when` (a campaign opens or
    closes, a notice period ends): it is not cached past that time."""
    if when is None:
        return
    current = getattr(request, "_pagecache_expires", None)
    if current is None or when < current:
        request._pagecache_expires = when


# --- the middleware ---------------------------------------------------------------------


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies:
        return False  # a logged-in staff member, or someone with a session
    if elder_mode(request):
        return False  # the elder mode's pages are few: rendered, never mixed with the rest
    # Messages waiting for the next page (a cookie, or the session above).
    return getattr(settings, "MESSAGE_COOKIE_NAME", "messages") not in cookies


def _queued_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and getattr(storage, "_queued_messages", None))


def _cacheable_response(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or request.META.get("CSRF_COOKIE_USED"):
        return False  # the page holds a CSRF token: it belongs to one visitor
    if _queued_messages(request):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    cache_control = response.get("Cache-Control", "")
    return not any(word in cache_control for word in ("private", "no-store", "no-cache"))


class PublicPageCacheMiddleware:
    """Serves and stores the public pages (see the module's docstring). Placed after
    the locale, session, authentication and messages middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_pagecache_pending", None)
        if (
            pending is not None
            and request.method == "GET"
            and _cacheable_response(request, response)
        ):
            self._store(request, response, *pending)
        if getattr(request, "_pagecache_elder", False):
            for header in ("ETag", "Last-Modified"):
                if header in response:
                    del response[header]
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name not in CACHED_VIEWS:
            return None
        if elder_mode(request):
            # The pages' validators do not know the mode: a browser switching to it must
            # not be told with a 304 that the page it keeps in the other mode is current.
            for header in ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"):
                request.META.pop(header, None)
            request._pagecache_elder = True
        if not _cacheable_request(request):
            return None
        allowed = CACHED_VIEWS[match.view_name]
        if any(name not in allowed for name in request.GET):
            return None  # a query string the page does not use: not worth keeping
        params = "&".join(
            f"{name}={request.GET.get(name, '')}" for name in allowed if request.GET.get(name)
        )
        path = request.path + ("?" + params if params else "")
        language = get_language() or settings.LANGUAGE_CODE
        encoding = "gzip" if _GZIP.search(request.headers.get("Accept-Encoding", "")) else "plain"
        version_names = versions_of(match.view_name, match.kwargs)
        version_keys = [_version_key(n) for n in version_names]
        page_key = _page_key(language, path, encoding)
        try:
            found = cache.get_many([*version_keys, page_key])  # one round trip
            missing = [k for k in version_keys if k not in found]
            if missing:
                for key in missing:
                    cache.add(key, _new_token(), None)
                found.update(cache.get_many(missing))
        except Exception:
            logger.exception("page cache unavailable: the page is rendered")
            return None
        tokens = tuple(found.get(k) for k in version_keys)
        stored = found.get(page_key)
        if stored is None or stored[0] != tokens:
            request._pagecache_pending = (language, path, tokens)
            return None
        _tokens, body, headers, gzipped = stored
        response = HttpResponse(body, headers=headers)
        if gzipped:
            response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(body))
        response["X-Page-Cache"] = "hit"
        patch_vary_headers(response, ["Accept-Encoding"])
        conditional = get_conditional_response(
            request,
            etag=headers.get("ETag"),
            last_modified=parse_http_date_safe(headers.get("Last-Modified", "")),
            response=response,
        )
        if conditional is not response:
            conditional["X-Page-Cache"] = "hit"
        return conditional

    def _store(self, request, response, language, path, tokens) -> None:
        timeout = CACHE_SECONDS
        expires = getattr(request, "_pagecache_expires", None)
        if expires is not None:
            from django.utils import timezone

            timeout = min(timeout, int((expires - timezone.now()).total_seconds()))
            if timeout <= 0:
                return
        headers = {h: response[h] for h in KEPT_HEADERS if h in response}
        content = response.content
        patch_vary_headers(response, ["Accept-Encoding"])
        entries = {_page_key(language, path, "plain"): (tokens, content, headers, False)}
        if len(content) >= GZIP_MIN_BYTES and headers.get("Content-Type", "").startswith("text/"):
            gzip_headers = dict(headers)
            if "ETag" in gzip_headers and not gzip_headers["ETag"].startswith("W/"):
                # Another representation: a weak ETag, as Django's GZipMiddleware does.
                gzip_headers["ETag"] = "W/" + gzip_headers["ETag"]
            compressed = gzip.compress(content, 6, mtime=0)
            entries[_page_key(language, path, "gzip")] = (tokens, compressed, gzip_headers, True)
        else:
            entries[_page_key(language, path, "gzip")] = (tokens, content, headers, False)
        try:
            cache.set_many(entries, timeout)
        except Exception:
            logger.exception("page cache unavailable: the page is not kept")
