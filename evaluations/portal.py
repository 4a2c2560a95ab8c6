"""What the public portal reads: only published facts.

Everything here starts from the current revision of each campaign's final
list (Publication.objects.current()); nothing reads ratings, review notes or
the tally, so nothing unpublished can leak into a public page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet

from communities.models import Community, District, PropertyCompany
from communities.search import is_latin, normalize_query

from .models import Campaign, Publication, PublicationEntry

SEARCH_LIMIT = 50
MIN_LATIN_QUERY = 2


def current_publications() -> QuerySet[Publication]:
    """The current final list of every published (or archived) campaign, newest first."""
    return (
        Publication.objects.current()
        .filter(campaign__status__in=[Campaign.Status.PUBLISHED, Campaign.Status.ARCHIVED])
        .select_related("campaign")
        .order_by("-published_at", "-pk")
    )


def current_publication(slug: str) -> Publication | None:
    return current_publications().filter(campaign__slug=slug).first()


def listed(publication: Publication) -> QuerySet[PublicationEntry]:
    return publication.entries.filter(status=PublicationEntry.Status.LISTED)


def with_community(entries: QuerySet[PublicationEntry]) -> QuerySet[PublicationEntry]:
    """Entries with the id of their community, for links, without a query per row."""
    return entries.annotate(community_id=F("enrollment__community_id"))


@dataclass
class DistrictCount:
    district: District
    count: int


def district_counts(publication: Publication) -> list[DistrictCount]:
    """Every district of the city with its number of listed communities (zeros too)."""
    counts = dict(
        listed(publication)
        .values_list("district_code")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("district_code", "n")
    )
    return [DistrictCount(d, counts.get(d.code, 0)) for d in District.objects.order_by("code")]


@dataclass
class SearchHit:
    community: Community
    entries: list[PublicationEntry] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit]
    companies: list[PropertyCompany]
    too_short: bool = False
    truncated: bool = False


def search(raw_query: str) -> SearchResult:
    """Communities (and companies) by name: partial Chinese ("汉口"), full pinyin
    ("hankou") or initials ("hkct"); each community with the current lists it is on.
    Four queries whatever the number of hits."""
    query = normalize_query(raw_query)
    if not query:
        return SearchResult(query, [], [])
    if is_latin(query):
        if len(query) < MIN_LATIN_QUERY:
            return SearchResult(query, [], [], too_short=True)
        name_filter = (
            Q(pinyin__contains=query)
            | Q(pinyin_initials__startswith=query)
            | Q(name__icontains=query)
        )
    else:
        name_filter = Q(name__icontains=query)
    communities = list(
        Community.objects.filter(name_filter | _prefix("company__", name_filter))
        .select_related("district", "street", "company")
        .order_by("district__code", "name")[: SEARCH_LIMIT + 1]
    )
    truncated = len(communities) > SEARCH_LIMIT
    communities = communities[:SEARCH_LIMIT]
    entries = (
        PublicationEntry.objects.filter(
            enrollment__community__in=communities,
            publication__in=current_publications().values("pk"),
        )
        .select_related("publication__campaign")
        .annotate(community_id=F("enrollment__community_id"))
        .order_by("-publication__published_at")
    )
    by_community: dict[int, list[PublicationEntry]] = {}
    for entry in entries:
        by_community.setdefault(entry.community_id, []).append(entry)
    companies = list(PropertyCompany.objects.filter(name_filter).order_by("name")[:10])
    hits = [SearchHit(c, by_community.get(c.pk, [])) for c in communities]
    # Communities on a list first, then the rest, each group in the city's order.
    hits.sort(key=lambda hit: not any(e.status == "listed" for e in hit.entries))
    return SearchResult(query, hits, companies, truncated=truncated)


def _prefix(prefix: str, q: Q) -> Q:
    """The same filter on a related model's fields."""
    clone = Q()
    clone.connector = q.connector
    clone.negated = q.negated
    clone.children = [
        _prefix(prefix, child) if isinstance(child, Q) else (prefix + child[0], child[1])
        for child in q.children
    ]
    return clone
