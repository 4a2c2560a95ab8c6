"""Prototype of a server-side cache for the public pages (benchmark only).

Loaded only by bench/settings.py with BENCH_PAGE_CACHE=1; the app does not use it.
It measures the design proposed in docs/benchmarks.md:

* the anonymous, language-dependent public pages (home, a campaign's list, a
  district, a community, a company) are stored whole in the shared cache (Redis)
  under (language, full path) with the generation they were rendered under, for at
  most CACHE_SECONDS; a page of an older generation is rendered again;
* the generation is one counter in the cache, bumped after the commit of any change
  that public pages show — here by signals on the models involved (a publication,
  a withdrawal, which makes a new Publication revision, an approved showcase item or
  reply, a community, a company). The proposal narrows it to one counter per campaign,
  district and community, so that a withdrawal invalidates exactly its community, its
  district, its campaign's list and the home page.

Public pages are the same for everybody but for the language (no user, no CSRF
token), so the key needs no cookie. A hit is one Redis round trip (the generation and
the page are read together, the page carrying the generation it was made under), and
the body is kept gzipped too, served as such to clients that accept it (every browser
does; nginx would otherwise compress it on each request).
"""

from __future__ import annotations

import gzip

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

CACHED_VIEWS = {"home", "campaign_list", "district", "community", "company"}
CACHE_SECONDS = 300
GENERATION_KEY = "bench-pagecache:generation"
KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Cache-Control", "Vary")
GZIP_MIN_BYTES = 1024


class PublicPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        stored = getattr(request, "_bench_page", None)
        if (
            stored is not None
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            key, generation = stored
            headers = {h: response[h] for h in KEPT_HEADERS if h in response}
            content = response.content
            if len(content) >= GZIP_MIN_BYTES:
                compressed = gzip.compress(content, 6)
                cache.set_many(
                    {
                        key + ":identity": (generation, content, headers, False),
                        key + ":gzip": (generation, compressed, headers, True),
                    },
                    CACHE_SECONDS,
                )
            else:
                entry = (generation, content, headers, False)
                cache.set_many({key + ":identity": entry, key + ":gzip": entry}, CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if request.method not in ("GET", "HEAD") or match is None:
            return None
        if match.view_name not in CACHED_VIEWS:
            return None
        key = f"bench-pagecache:{get_language()}:{request.get_full_path()}"
        accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
        variant = key + (":gzip" if accepts_gzip else ":identity")
        found = cache.get_many([GENERATION_KEY, variant])  # one round trip
        generation = found.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, 1, None)
            generation = cache.get(GENERATION_KEY, 1)
        hit = found.get(variant)
        if hit is None or hit[0] != generation:
            request._bench_page = (key, generation)
            return None
        _generation, body, headers, encoded = hit
        response = HttpResponse(body, headers=headers)
        if encoded:
            response["Content-Encoding"] = "gzip"
        patch_vary_headers(response, ["Accept-Encoding"])
        response["X-Page-Cache"] = "hit"
        return response


def invalidate(**kwargs) -> None:
    def bump():
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # no counter yet: nothing is cached under any generation
            cache.set(GENERATION_KEY, 2, None)

    transaction.on_commit(bump)


def _connect() -> None:
    from communities.models import Community, District, PropertyCompany
    from evaluations.models import (
        Campaign,
        CompanyReply,
        Publication,
        PublicationEntry,
        ShowcaseItem,
    )

    for model in (
        Publication,
        PublicationEntry,
        Campaign,
        ShowcaseItem,
        CompanyReply,
        Community,
        PropertyCompany,
        District,
    ):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"bench-pagecache-{model}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"bench-pagecache-d-{model}")


_connect()
