"""Anti-fraud monitoring of ratings (issue 5, item 4), and quarantine (暂扣).

What is recorded when a resident rates is written by evaluations.fingerprints
(form time, browser id, wrong codes); this module reads it.

What the monitoring page flags, per community, over the ratings that count now
(current and not held), with the thresholds below:

- 短时集中提交 bursts: at least max(BURST_MIN_RATINGS, BURST_MIN_SHARE_PERCENT of
  the households) ratings in one fixed BURST_WINDOW_MINUTES slot (…:00–:09,
  :10–:19, …; a burst straddling two slots shows at least half in one of them);
- 同一网络地址 one network address: at least SAME_ADDRESS_MIN_RATINGS ratings of the
  community from one client address (a shared Wi-Fi or a carrier NAT can do this
  innocently: a flag asks for a look, it proves nothing);
- 同一浏览器 one browser: at least SAME_BROWSER_MIN_RATINGS ratings of different
  households of the community from one browser (same cookie id);
- 答案完全相同 identical answers: at least SAME_COMMENT_MIN_RATINGS ratings with the same
  answers and the same non-empty comment, or at least max(MIXED_PATTERN_MIN_RATINGS,
  MIXED_PATTERN_MIN_SHARE_PERCENT of the community's counted ratings) with the same
  *mixed* answers (not all alike). "All satisfied, no comment" is what a good
  community looks like and is never flagged by itself;
- 填写过快 too fast: at least FAST_MIN_RATINGS ratings filled in under FAST_SECONDS;
- 连续尝试编码 codes tried: ratings from an address that typed at least
  CODE_TRIES_MIN wrong household codes during the campaign's rating window. The
  addresses are listed with how many of their wrong codes were tried *in sequence*
  (sharing their first SEQUENCE_PREFIX characters with another code they tried).

Every flag is one SQL aggregate over the campaign (GROUP BY … HAVING count ≥ the
threshold); Python only sees the groups that passed. Answers are never shown on the
page: identical-answer groups are labelled A, B, C… by size.

Quarantine: a flagged rating can be held for review (excluded from the tally: see
models.counted_q) and released, each with a reason, each written to the audit log;
nothing is deleted. Allowed while rating is open and after it closes, until the
preliminary list is published: from then on the counts are public (公示) and fixed
in the digest of the final list, and a doubtful community is handled by an
objection or a withdrawal instead.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Count,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import (
    ExtractMinute,
    Floor,
    Greatest,
    Length,
    Substr,
    TruncHour,
)
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy

from evaluations.models import Answer, Campaign, Enrollment, FailedCodeAttempt, Rating

# --- thresholds (see the module docstring and docs/anti-fraud.md) -----------------

BURST_WINDOW_MINUTES = 10
BURST_MIN_RATINGS = 10
BURST_MIN_SHARE_PERCENT = 5
SAME_ADDRESS_MIN_RATINGS = 5
SAME_BROWSER_MIN_RATINGS = 3
SAME_COMMENT_MIN_RATINGS = 3
MIXED_PATTERN_MIN_RATINGS = 10
MIXED_PATTERN_MIN_SHARE_PERCENT = 10
FAST_SECONDS = 15
FAST_MIN_RATINGS = 3
CODE_TRIES_MIN = 5
SEQUENCE_PREFIX = 10

# Rows shown on one page of a community's flagged ratings; addresses listed.
DRILL_DOWN_LIMIT = 500
ADDRESS_LIMIT = 50
# A quarantine or release acts on at most this many ratings per request.
ACTION_LIMIT = 500

FLAG_LABELS = {
    "burst": gettext_lazy("Burst of ratings"),
    "address": gettext_lazy("Same network address"),
    "browser": gettext_lazy("Same browser"),
    "pattern": gettext_lazy("Identical answers"),
    "fast": gettext_lazy("Filled in too fast"),
    "codes": gettext_lazy("Codes tried"),
}
FLAGS = list(FLAG_LABELS)


# --- detection ------------------------------------------------------------------------


def _counted(campaign: Campaign, enrollments: QuerySet[Enrollment] | None) -> QuerySet[Rating]:
    ratings = Rating.objects.counted().filter(enrollment__campaign=campaign)
    if enrollments is not None:
        ratings = ratings.filter(enrollment__in=enrollments.values("pk"))
    return ratings.order_by()


def _slot_annotations():
    return {
        "hour": TruncHour("submitted_at"),
        "slot": Floor(ExtractMinute("submitted_at") / BURST_WINDOW_MINUTES),
    }


# The two "many ratings from one source" signals: the field, its empty value, the threshold.
SOURCES = {
    "address": ("client_ip", None, SAME_ADDRESS_MIN_RATINGS),
    "browser": ("browser_id", "", SAME_BROWSER_MIN_RATINGS),
}


def _shared_sources(ratings: QuerySet[Rating], source: str, *per: str):
    """Values of a source (an address, a browser) that at least its threshold of
    ratings share, with their count `n`, grouped also by the fields `per`."""
    field, empty, threshold = SOURCES[source]
    return (
        ratings.exclude(**{field: empty})
        .values(*per, field)
        .annotate(n=Count("id"))
        .filter(n__gte=threshold)
    )


def _burst_groups(ratings: QuerySet[Rating]):
    return (
        ratings.annotate(**_slot_annotations())
        .values("enrollment_id", "hour", "slot")
        .annotate(n=Count("id"))
        .filter(
            n__gte=Greatest(
                Value(BURST_MIN_RATINGS),
                F("enrollment__households") * BURST_MIN_SHARE_PERCENT / 100,
            )
        )
        .order_by()
    )


def _uniform_pattern(overall: str, n_criteria: int) -> int:
    digit = Answer.values.index(overall)
    return sum(digit * 3**i for i in range(n_criteria))


def _pattern_groups(ratings: QuerySet[Rating], n_criteria: int):
    """Groups of ratings of one community with the same answers (Rating.answer_pattern,
    stored when the rating is made) and comment that may pass a threshold; the caller
    keeps those that do (see pattern_flagged). Groups that can never be flagged —
    everybody alike without a comment, or too small — stay in the database."""
    ordinary = Q()
    for answer in Answer.values:
        ordinary |= Q(
            comment="", overall=answer, answer_pattern=_uniform_pattern(answer, n_criteria)
        )
    return (
        ratings.exclude(answer_pattern=None)
        .exclude(ordinary)
        .values("enrollment_id", "overall", "answer_pattern", "comment")
        .annotate(n=Count("id"))
        .filter(
            Q(n__gte=MIXED_PATTERN_MIN_RATINGS)
            | (~Q(comment="") & Q(n__gte=SAME_COMMENT_MIN_RATINGS))
        )
        .order_by("enrollment_id", "-n")
    )


def _responses(ratings: QuerySet[Rating]) -> dict[int, int]:
    """Counted ratings per community (one GROUP BY)."""
    return dict(ratings.values_list("enrollment_id").annotate(n=Count("id")).order_by())


def pattern_flagged(group: dict, n_criteria: int, responses: int) -> bool:
    if group["comment"]:
        return group["n"] >= SAME_COMMENT_MIN_RATINGS
    if group["answer_pattern"] == _uniform_pattern(group["overall"], n_criteria):
        return False
    share = -(-responses * MIXED_PATTERN_MIN_SHARE_PERCENT // 100)
    needed = max(MIXED_PATTERN_MIN_RATINGS, share)
    return group["n"] >= needed


def _tried_addresses(campaign: Campaign):
    """Addresses with at least CODE_TRIES_MIN wrong codes in the rating window."""
    return (
        FailedCodeAttempt.objects.filter(
            at__gte=campaign.opens_at, at__lt=campaign.closes_at, client_ip__isnull=False
        )
        .values("client_ip")
        .annotate(n=Count("id"))
        .filter(n__gte=CODE_TRIES_MIN)
        .order_by()
    )


@dataclass
class CommunityFlags:
    enrollment_id: int
    burst_slots: int = 0
    burst_ratings: int = 0
    burst_max: int = 0
    address_groups: int = 0
    address_ratings: int = 0
    browser_groups: int = 0
    browser_ratings: int = 0
    pattern_groups: int = 0
    pattern_ratings: int = 0
    fast_ratings: int = 0
    untimed_ratings: int = 0
    codes_addresses: int = 0
    codes_ratings: int = 0
    held: int = 0
    responses: int = 0
    enrollment: Enrollment | None = None

    @property
    def flags(self) -> list[str]:
        return [
            name
            for name, on in (
                ("burst", self.burst_slots),
                ("address", self.address_groups),
                ("browser", self.browser_groups),
                ("pattern", self.pattern_groups),
                ("fast", self.fast_ratings >= FAST_MIN_RATINGS),
                ("codes", self.codes_ratings),
            )
            if on
        ]


@dataclass
class TriedAddress:
    client_ip: str
    tries: int
    in_sequence: int
    first: datetime
    last: datetime
    ratings: int = 0


@dataclass
class CampaignMonitoring:
    communities: list[CommunityFlags]
    checked: int
    addresses: list[TriedAddress] = field(default_factory=list)


# The analysis of a campaign whose rating has closed is kept this long (it is also
# dropped at once by every hold and release, monitoring_changed).
STORED_SECONDS = 24 * 3600


def _version_key(campaign: Campaign) -> str:
    return f"monitoring:version:{campaign.pk}"


def monitoring_changed(campaign: Campaign) -> None:
    """The counted ratings of the campaign changed (a hold, a release): the stored
    analyses are forgotten, now and again after the commit (a request that stored the
    old state in between is not believed)."""
    cache.delete(_version_key(campaign))
    transaction.on_commit(lambda: cache.delete(_version_key(campaign)))


CITY_SCOPE = "city"  # the scope_key of the whole campaign (enrollments=None)


def campaign_monitoring_stored(
    campaign: Campaign,
    enrollments: QuerySet[Enrollment] | None = None,
    *,
    scope_key: str = CITY_SCOPE,
) -> CampaignMonitoring:
    """campaign_monitoring, kept in the cache once rating has closed.

    Every flag is an aggregate over all the counted ratings of the campaign: about
    7 s of PostgreSQL for a city's million ratings (docs/benchmarks.md). Once rating
    has closed no rating comes any more, and the counted ones change only by a hold or
    a release, which call monitoring_changed: the analysis is computed once and kept
    (per scope, `scope_key` naming the viewer's districts) under a version that those
    calls replace. While residents still rate it is computed on every view."""
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        return campaign_monitoring(campaign, enrollments)
    version = cache.get(_version_key(campaign))
    if version is None:
        version = get_random_string(12)
        if not cache.add(_version_key(campaign), version, STORED_SECONDS):
            version = cache.get(_version_key(campaign)) or version
    key = (
        f"monitoring:result:{campaign.pk}:{version}:{campaign.status}:"
        f"{campaign.closes_at.timestamp()}:{scope_key}"
    )
    result = cache.get(key)
    if result is None:
        result = campaign_monitoring(campaign, enrollments)
        cache.set(key, result, STORED_SECONDS)
    return result


def campaign_monitoring(
    campaign: Campaign, enrollments: QuerySet[Enrollment] | None = None
) -> CampaignMonitoring:
    """Every flag of every community of the campaign (within `enrollments`, the
    viewer's scope; None for all), in a fixed number of queries."""
    ratings = _counted(campaign, enrollments)
    scoped = Enrollment.objects.filter(campaign=campaign)
    if enrollments is not None:
        scoped = scoped.filter(pk__in=enrollments.values("pk"))
    rows: dict[int, CommunityFlags] = {}

    def row(pk: int) -> CommunityFlags:
        return rows.setdefault(pk, CommunityFlags(pk))

    for group in _burst_groups(ratings):
        r = row(group["enrollment_id"])
        r.burst_slots += 1
        r.burst_ratings += group["n"]
        r.burst_max = max(r.burst_max, group["n"])
    for group in _shared_sources(ratings, "address", "enrollment_id"):
        r = row(group["enrollment_id"])
        r.address_groups += 1
        r.address_ratings += group["n"]
    for group in _shared_sources(ratings, "browser", "enrollment_id"):
        r = row(group["enrollment_id"])
        r.browser_groups += 1
        r.browser_ratings += group["n"]
    for group in (
        ratings.values("enrollment_id")
        .annotate(
            fast=Count("id", filter=Q(form_seconds__lt=FAST_SECONDS)),
            untimed=Count("id", filter=Q(form_seconds__isnull=True)),
        )
        .filter(fast__gte=FAST_MIN_RATINGS)
    ):
        r = row(group["enrollment_id"])
        r.fast_ratings = group["fast"]
        r.untimed_ratings = group["untimed"]
    tried = _tried_addresses(campaign)
    for group in (
        ratings.filter(client_ip__in=tried.values("client_ip"))
        .values("enrollment_id")
        .annotate(n=Count("id"), addresses=Count("client_ip", distinct=True))
    ):
        r = row(group["enrollment_id"])
        r.codes_ratings = group["n"]
        r.codes_addresses = group["addresses"]

    n_criteria = campaign.criteria.count()
    groups = list(_pattern_groups(ratings, n_criteria))
    responses = _responses(ratings.filter(enrollment_id__in={g["enrollment_id"] for g in groups}))
    for group in groups:
        if pattern_flagged(group, n_criteria, responses[group["enrollment_id"]]):
            r = row(group["enrollment_id"])
            r.pattern_groups += 1
            r.pattern_ratings += group["n"]

    held = Rating.objects.filter(enrollment__campaign=campaign, quarantined_at__isnull=False)
    if enrollments is not None:
        held = held.filter(enrollment__in=enrollments.values("pk"))
    for group in held.order_by().values("enrollment_id").annotate(n=Count("id")):
        row(group["enrollment_id"]).held = group["n"]

    if rows:
        details = (
            scoped.filter(pk__in=list(rows)).select_related("community__district").with_turnout()
        )
        for enrollment in details:
            rows[enrollment.pk].enrollment = enrollment
            rows[enrollment.pk].responses = enrollment.responses
    communities = sorted(
        (r for r in rows.values() if r.enrollment is not None),
        key=lambda r: (
            -len(r.flags),
            r.enrollment.community.district.code,
            r.enrollment.community.name,
        ),
    )
    return CampaignMonitoring(
        communities=communities,
        checked=scoped.count(),
        addresses=_address_table(
            campaign,
            tried
            if enrollments is None
            else tried.filter(client_ip__in=ratings.values("client_ip")),
            ratings,
        ),
    )


def _address_table(campaign: Campaign, tried, ratings: QuerySet[Rating]) -> list[TriedAddress]:
    """The addresses that tried the most wrong codes in the window (those whose ratings
    are in `ratings`, or all of them when the viewer sees every district)."""
    window = FailedCodeAttempt.objects.filter(
        at__gte=campaign.opens_at, at__lt=campaign.closes_at, client_ip__isnull=False
    )
    top = list(
        tried.annotate(first=Min("at"), last=Max("at")).order_by("-n", "client_ip")[:ADDRESS_LIMIT]
    )
    if not top:
        return []
    ips = [t["client_ip"] for t in top]
    sequence: dict[str, int] = {}
    for group in (
        window.filter(client_ip__in=ips)
        .annotate(typed_length=Length("typed"), prefix=Substr("typed", 1, SEQUENCE_PREFIX))
        .filter(typed_length=12)
        .values("client_ip", "prefix")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .order_by()
    ):
        sequence[group["client_ip"]] = sequence.get(group["client_ip"], 0) + group["n"]
    rated = dict(
        ratings.filter(client_ip__in=ips)
        .values("client_ip")
        .annotate(n=Count("id"))
        .values_list("client_ip", "n")
    )
    return [
        TriedAddress(
            t["client_ip"],
            t["n"],
            sequence.get(t["client_ip"], 0),
            t["first"],
            t["last"],
            rated.get(t["client_ip"], 0),
        )
        for t in top
    ]


@dataclass
class FlaggedRating:
    rating: Rating
    flags: list[str]
    pattern_label: str = ""


def _group_labels(n: int) -> list[str]:
    letters = string.ascii_uppercase
    return [letters[i] if i < 26 else f"{letters[i // 26 - 1]}{letters[i % 26]}" for i in range(n)]


def enrollment_flagged_ratings(enrollment: Enrollment) -> list[FlaggedRating]:
    """The counted ratings of one community that raise a flag, with which ones (at
    most DRILL_DOWN_LIMIT, oldest first); a fixed number of queries."""
    campaign = enrollment.campaign
    ratings = Rating.objects.counted().filter(enrollment=enrollment).order_by()
    slots = {(g["hour"], g["slot"]) for g in _burst_groups(ratings)}
    addresses = set(_shared_sources(ratings, "address").values_list("client_ip", flat=True))
    browsers = set(_shared_sources(ratings, "browser").values_list("browser_id", flat=True))
    fast_on = ratings.filter(form_seconds__lt=FAST_SECONDS).count() >= FAST_MIN_RATINGS
    tried = set(
        ratings.filter(client_ip__in=_tried_addresses(campaign).values("client_ip"))
        .values_list("client_ip", flat=True)
        .distinct()
    )
    n_criteria = campaign.criteria.count()
    groups = list(_pattern_groups(ratings, n_criteria))
    responses = ratings.count() if groups else 0
    flagged_groups = [g for g in groups if pattern_flagged(g, n_criteria, responses)]
    labels = {
        (g["overall"], g["answer_pattern"], g["comment"]): label
        for g, label in zip(flagged_groups, _group_labels(len(flagged_groups)), strict=True)
    }

    condition = Q(pk__in=[])
    for hour, slot in slots:
        start = hour + timedelta(minutes=int(slot) * BURST_WINDOW_MINUTES)
        end = start + timedelta(minutes=BURST_WINDOW_MINUTES)
        condition |= Q(submitted_at__gte=start, submitted_at__lt=end)
    if addresses or tried:
        condition |= Q(client_ip__in=addresses | tried)
    if browsers:
        condition |= Q(browser_id__in=browsers)
    if fast_on:
        condition |= Q(form_seconds__lt=FAST_SECONDS)
    for overall, pattern, comment in labels:
        condition |= Q(overall=overall, answer_pattern=pattern, comment=comment)
    rows = (
        ratings.annotate(**_slot_annotations())
        .filter(condition)
        .order_by("submitted_at", "pk")[:DRILL_DOWN_LIMIT]
    )
    result = []
    for rating in rows:
        flags = []
        if (rating.hour, rating.slot) in slots:  # the same expressions, the same values
            flags.append("burst")
        if rating.client_ip in addresses:
            flags.append("address")
        if rating.browser_id in browsers:
            flags.append("browser")
        label = labels.get((rating.overall, rating.answer_pattern, rating.comment), "")
        if label:
            flags.append("pattern")
        if fast_on and rating.form_seconds is not None and rating.form_seconds < FAST_SECONDS:
            flags.append("fast")
        if rating.client_ip in tried:
            flags.append("codes")
        result.append(FlaggedRating(rating, flags, label))
    return result
