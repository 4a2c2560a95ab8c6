"""What the public portal reads: only published facts.

Everything here starts from the current revision of each campaign's final
list (Publication.objects.current()); nothing reads ratings, review notes or
the tally, so nothing unpublished can leak into a public page.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce

from django.db import connections
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from communities.models import Community, District, PropertyCompany
from communities.search import is_latin, normalize_query, query_too_long, within_one_edit
from evaluations.models import Campaign, Enrollment, public_campaign_q
from reviews.models import FeaturedList, Publication, PublicationEntry

# A search shows the first SEARCH_FIRST communities found, and up to SEARCH_LIMIT on asking.
SEARCH_FIRST = 20
SEARCH_LIMIT = 50
MIN_LATIN_QUERY = 2


def current_publications() -> QuerySet[Publication]:
    """The current final list of every published (or archived) campaign, newest first."""
    return (
        Publication.objects.current()
        .filter(campaign__status__in=[Campaign.Status.PUBLISHED, Campaign.Status.ARCHIVED])
        .filter(public_campaign_q("campaign__"))
        .select_related("campaign")
        .order_by("-published_at", "-pk")
    )


def featured_first(publications: list[Publication]) -> list[Publication]:
    """The current lists with the one the city chose for the home page first (its
    campaign's current revision), else newest first as they come."""
    choice = FeaturedList.objects.values_list("publication__campaign_id", flat=True).first()
    featured = [p for p in publications if p.campaign_id == choice]
    return featured + [p for p in publications if p.campaign_id != choice]


def list_revision(slug: str, revision: int) -> Publication | None:
    """One revision of a published campaign's final list, current or superseded: every
    revision stays readable on the public site."""
    return (
        Publication.objects.final()
        .filter(
            campaign__slug=slug,
            revision=revision,
            campaign__status__in=[Campaign.Status.PUBLISHED, Campaign.Status.ARCHIVED],
        )
        .select_related("campaign")
        .first()
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
class SearchEntry:
    """A community's entry on a current list, as the search shows it."""

    status: str
    campaign_name: str
    withdrawal_reason: str
    satisfied: int
    responses: int
    list_url: str = ""  # the published list it is on

    @property
    def rate_percent(self):
        from evaluations.tally import percent_floor

        return percent_floor(Fraction(self.satisfied, self.responses) if self.responses else None)

    @property
    def confidence(self):
        from evaluations.tally import wilson_interval

        return wilson_interval(self.satisfied, self.responses)


@dataclass
class SearchHit:
    """A community found, with what its line shows (names in the page's language)."""

    pk: int
    url: str
    name: str
    district: str
    street: str
    company: str
    entries: list[SearchEntry] = field(default_factory=list)
    now: list = field(default_factory=list)  # NowStatus: being rated, on notice


@dataclass
class SearchCompany:
    pk: int
    url: str
    name: str


@dataclass
class SearchResult:
    query: str
    hits: list[SearchHit]
    companies: list[SearchCompany]
    too_short: bool = False
    truncated: bool = False
    limit: int = 0
    too_long: bool = False  # the query was cut to MAX_QUERY_LENGTH characters
    similar: bool = False  # nothing matched exactly: these are names one character off


TRIGRAM = 3  # pg_trgm's trigrams: a LIKE '%…%' shorter than this has none to look up


def _name_predicates(queryset: QuerySet, query: str) -> tuple[QuerySet, list[Q]]:
    """How rows of `queryset` (communities or companies) match `query`: predicates that
    each have an index on PostgreSQL (communities/migrations/0003_search_indexes.py):

    * pinyin typed: the full pinyin contains it (pg_trgm), or the initials start
      with it (B-tree), or the name contains it (pg_trgm on UPPER(name)); for two
      letters, which have no trigram, the full pinyin must *start* with them;
    * Chinese typed: the name contains it — pg_trgm from three characters on, the
      index of the name's single characters and pairs (manyi_name_grams) for one
      or two.

    On SQLite (laptop, tests) the same rules with plain LIKE; no index needed there.
    Returns the queryset (with the grams expression where needed) and the predicates.
    """
    postgres = connections[queryset.db].vendor == "postgresql"
    short = len(query) < TRIGRAM
    predicates = []
    if is_latin(query):
        predicates.append(Q(pinyin__startswith=query) if short else Q(pinyin__contains=query))
        predicates.append(Q(pinyin_initials__startswith=query))
    if postgres and short:
        from django.contrib.postgres.fields import ArrayField
        from django.db.models import Func, TextField

        queryset = queryset.alias(
            name_grams=Func(
                F("name"),
                function="manyi_name_grams",
                output_field=ArrayField(TextField()),
            )
        )
        predicates.append(Q(name_grams__contains=[query.upper()]))
    else:
        predicates.append(Q(name__icontains=query))
    return queryset, predicates


def search(raw_query: str, limit: int = SEARCH_FIRST) -> SearchResult:
    """Communities (and companies) by name: partial Chinese ("汉口"), full pinyin
    ("hankou") or initials ("hkct"); each community with the current lists it is on.

    The communities found by each predicate on their own name and those found by
    their company's name are a UNION of index scans (one OR across the company's join
    could use no index: a full scan of every community), of which the first `limit`
    (SEARCH_FIRST, or up to SEARCH_LIMIT when asked for more) in the city's order are
    read. Four queries whatever the number of hits. The rows are read as values, not
    model instances, and the hits carry what their line shows: building and rendering
    50 model trees was most of a search's time."""
    query = normalize_query(raw_query)
    too_long = query_too_long(raw_query)
    limit = max(1, min(limit, SEARCH_LIMIT))
    if not query:
        return SearchResult(query, [], [], limit=limit)
    if is_latin(query) and len(query) < MIN_LATIN_QUERY:
        return SearchResult(query, [], [], too_short=True, limit=limit)
    # Companies too, one part per predicate: an OR of them is planned as a scan of
    # every company (measured at 4 ms of PostgreSQL's time for 1,200 companies).
    companies_qs, company_predicates = _name_predicates(PropertyCompany.objects.order_by(), query)
    company_parts = [companies_qs.filter(p) for p in company_predicates]
    columns = ("pk", "district__code", "name")
    # One part per predicate, so that the planner takes each one's index whatever it
    # estimates of the others (an OR of them may be planned as a scan of every row).
    communities_qs, predicates = _name_predicates(Community.objects.order_by(), query)
    parts = [communities_qs.filter(p).values_list(*columns) for p in predicates]
    parts += [
        Community.objects.order_by()
        .filter(company__in=companies.values("pk"))
        .values_list(*columns)
        for companies in company_parts
    ]
    # The first limit + 1 in the city's order (district, name), by their ids: the rows
    # are then read by primary key, never by a scan of every community.
    first = parts[0].union(*parts[1:]).order_by("district__code", "name")[: limit + 1]
    order = {pk: i for i, (pk, _code, _name) in enumerate(first)}
    similar = False
    if not order:
        order = {pk: i for i, pk in enumerate(similar_communities(query))}
        similar = bool(order)
    truncated = len(order) > limit
    order = {pk: i for pk, i in order.items() if i < limit}
    english = (get_language() or "").startswith("en")
    rows = sorted(
        Community.objects.filter(pk__in=order)
        .order_by()
        .values_list(
            "pk",
            "name",
            "name_en",
            "name_pinyin",
            "district__name",
            "district__name_en",
            "street__name",
            "street__name_en",
            "street__name_pinyin",
            "company__name",
            "company__name_en",
            "company__name_pinyin",
        ),
        key=lambda row: order[row[0]],
    )
    community_url = _url_maker("community")

    def shown(name, name_en="", name_pinyin=""):
        """A name as BilingualNameMixin.display_name shows it, from values."""
        return ((english and (name_en or name_pinyin)) or name or "") if name else ""

    hits = [
        SearchHit(
            row[0],
            community_url(row[0]),
            shown(*row[1:4]),
            shown(*row[4:6]),
            shown(*row[6:9]),
            shown(*row[9:12]),
        )
        for row in rows
    ]
    by_pk = {hit.pk: hit for hit in hits}
    entries = (
        PublicationEntry.objects.filter(
            enrollment__community__in=list(order),
            publication__in=current_publications().values("pk"),
        )
        .order_by("-publication__published_at")
        .values_list(
            "enrollment__community_id",
            "status",
            "publication__campaign__name",
            "publication__campaign__name_en",
            "withdrawal_reason",
            "satisfied",
            "responses",
            "publication__campaign__slug",
        )
    )
    list_url = reverse("campaign_list", args=["-"]).rsplit("-", 1)
    for community_id, status, campaign, campaign_en, reason, satisfied, responses, slug in entries:
        by_pk[community_id].entries.append(
            SearchEntry(
                status,
                campaign_en if english and campaign_en else campaign,
                reason,
                satisfied,
                responses,
                f"{list_url[0]}{slug}{list_url[1]}",
            )
        )
    for pk, statuses in community_now(list(by_pk)).items():
        by_pk[pk].now = statuses
    company_url = _url_maker("company")
    named = [
        companies.values_list("pk", "name", "name_en", "name_pinyin") for companies in company_parts
    ]
    companies = [
        SearchCompany(pk, company_url(pk), shown(name, name_en, name_pinyin))
        for pk, name, name_en, name_pinyin in named[0].union(*named[1:]).order_by("name")[:10]
    ]
    # Communities on a list first, then the rest, each group in the city's order.
    hits.sort(key=lambda hit: not any(e.status == "listed" for e in hit.entries))
    return SearchResult(
        query,
        hits,
        companies,
        truncated=truncated,
        limit=limit,
        too_long=too_long,
        similar=similar,
    )


# The search's tolerance of one wrong, missing or swapped character: only when nothing
# matched exactly, and only for queries long enough that one edit still says something.
SIMILAR_MIN_CHINESE = 3
SIMILAR_MIN_LATIN = 5
SIMILAR_CANDIDATES = 400


def _grams(text: str, size: int) -> list[str]:
    return sorted({text[i : i + size] for i in range(len(text) - size + 1)})


def similar_communities(query: str) -> list[int]:
    """Communities whose name (or its pinyin) is `query` with one character wrong, missing,
    added or two swapped: "汉口春大", "汉春天" and "hankuo" find 汉口春天.

    Two steps, the same on both databases: the candidates are the communities sharing
    a piece of the query — a pair of its characters in the name, or three of its letters
    in the pinyin, the pieces pg_trgm indexes on PostgreSQL
    (communities/migrations/0003_search_indexes.py) — those sharing most pieces first,
    at most SIMILAR_CANDIDATES of them; then the edit distance (communities.search) over
    those few names in Python. Returns their ids in the city's order."""
    latin = is_latin(query)
    if len(query) < (SIMILAR_MIN_LATIN if latin else SIMILAR_MIN_CHINESE):
        return []
    column, grams = ("pinyin", _grams(query, 3)) if latin else ("name", _grams(query, 2))
    matches = [Q(**{f"{column}__contains": gram}) for gram in grams]
    shared = sum(
        (Case(When(match, then=Value(1)), default=Value(0)) for match in matches),
        start=Value(0),
    )
    candidates = (
        Community.objects.filter(reduce(operator.or_, matches))
        .annotate(shared=shared)
        .order_by("-shared", "pk")
        .values_list("pk", column, "district__code", "name")[:SIMILAR_CANDIDATES]
    )
    found = [
        (code, name, pk)
        for pk, key, code, name in candidates
        if within_one_edit(query, (key or "").replace(" ", ""))
    ]
    return [pk for _code, _name, pk in sorted(found)]


def _url_maker(name: str):
    """pk -> the address of the page `name` of that pk: reversed once, not per row."""
    marker = 987654321
    before, after = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{before}{pk}{after}"


# --- what is happening now, community by community ------------------------------------


@dataclass
class NowStatus:
    """One thing happening to a community now: residents are rating it (``rating``),
    its campaign's preliminary list is on public notice with it (``notice``), or it is
    on a published list (``published``, from the search's and the page's own entries)."""

    kind: str
    campaign: str
    url: str
    until: object = None  # when rating or the notice period ends


def _display(name: str, name_en: str, english: bool) -> str:
    return name_en if english and name_en else name


def community_now(community_ids, now=None) -> dict[int, list[NowStatus]]:
    """Per community, the campaigns rating it now and the notices open with it: two
    queries whatever the number of communities. Ratings and rates are never read."""
    now = now or timezone.now()
    english = (get_language() or "").startswith("en")
    found: dict[int, list[NowStatus]] = {pk: [] for pk in community_ids}
    if not found:
        return found
    rating = (
        Enrollment.objects.filter(
            community__in=list(found),
            campaign__status=Campaign.Status.OPEN,
            campaign__opens_at__lte=now,
            campaign__closes_at__gt=now,
        )
        .order_by("campaign__closes_at")
        .values_list("community_id", "campaign__name", "campaign__name_en", "campaign__closes_at")
    )
    code_entry = reverse("evaluations:code_entry")
    for pk, name, name_en, closes in rating:
        found[pk].append(NowStatus("rating", _display(name, name_en, english), code_entry, closes))
    notice = (
        PublicationEntry.objects.filter(
            enrollment__community__in=list(found),
            status=PublicationEntry.Status.LISTED,
            publication__kind=Publication.Kind.PRELIMINARY,
            publication__notice_ends_at__gt=now,
            publication__campaign__status=Campaign.Status.CLOSED,
        )
        .order_by("publication__notice_ends_at")
        .values_list(
            "enrollment__community_id",
            "publication__campaign__name",
            "publication__campaign__name_en",
            "publication__campaign__slug",
            "publication__notice_ends_at",
        )
    )
    for pk, name, name_en, slug, ends in notice:
        found[pk].append(
            NowStatus(
                "notice", _display(name, name_en, english), reverse("notice", args=[slug]), ends
            )
        )
    return found
