"""The tally: rate, responses and coverage per enrollment, from SQL aggregates.

The database counts (one GROUP BY over the counted ratings); Python only turns
the counts into exact fractions and compares them with the campaign's rules.
Nothing here loops over ratings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from .models import Answer, Campaign, Enrollment, RatesNotAvailable, Rating


def percent_floor(value: Fraction | None) -> Decimal | None:
    """A fraction as a percentage with one decimal, rounded down.

    Rounded down so that a rate below the threshold never shows as reaching it:
    89.96% shows as 89.9%, not 90.0%.
    """
    if value is None:
        return None
    tenths = (value * 1000).numerator // (value * 1000).denominator
    return (Decimal(tenths) / 10).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)


@dataclass(frozen=True)
class TallyRow:
    enrollment_id: int
    households: int
    responses: int
    satisfied: int
    campaign: Campaign = field(repr=False)

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.satisfied, self.responses) if self.responses else None

    @property
    def coverage(self) -> Fraction:
        return Fraction(self.responses, self.households)

    @property
    def rate_percent(self) -> Decimal | None:
        return percent_floor(self.rate)

    @property
    def coverage_percent(self) -> Decimal:
        return percent_floor(self.coverage)

    @property
    def reasons(self) -> list[str]:
        """Why the enrollment is not eligible; empty when it is."""
        c = self.campaign
        reasons = []
        if self.responses == 0:
            return [_("No counted ratings.")]
        if self.responses < c.min_responses:
            reasons.append(
                _("Too few responses: %(n)d, the rules ask for at least %(min)d.")
                % {"n": self.responses, "min": c.min_responses}
            )
        if self.coverage < Fraction(c.min_coverage_percent) / 100:
            reasons.append(
                _("Too little coverage: %(cov)s%% of households, the rules ask for %(min)s%%.")
                % {"cov": self.coverage_percent, "min": c.min_coverage_percent}
            )
        if self.rate < Fraction(c.threshold_percent) / 100:
            reasons.append(
                _("Satisfaction %(rate)s%% is below the threshold of %(min)s%%.")
                % {"rate": self.rate_percent, "min": c.threshold_percent}
            )
        return reasons

    @property
    def eligible(self) -> bool:
        return not self.reasons


def campaign_tally(campaign: Campaign) -> dict[int, TallyRow]:
    """The tally of every enrollment of a closed campaign, keyed by enrollment id.

    Two queries: the minimal GROUP BY over the counted ratings alone (served by an
    index-only scan of the partial index rating_counted_idx, in parallel on PostgreSQL; `order_by()`
    keeps the model's ordering out of it), then the households of the enrollments,
    which gives those without a counted rating their zeros. One LEFT JOIN of the
    enrollments to their ratings would be one query, but PostgreSQL cannot run it in
    parallel nor from the index: about 2.6 times slower on a city's million ratings
    (docs/benchmarks.md)."""
    if not campaign.rates_visible:
        raise RatesNotAvailable(campaign.rates_refusal())
    counts = {
        enrollment_id: (responses, satisfied)
        for enrollment_id, responses, satisfied in Rating.objects.counted()
        .filter(enrollment__campaign=campaign)
        .values_list("enrollment_id")
        .annotate(
            responses=Count("*"),
            satisfied=Count("overall", filter=Q(overall__in=campaign.satisfied_answers)),
        )
        .order_by()
        .values_list("enrollment_id", "responses", "satisfied")
    }
    households = (
        Enrollment.objects.filter(campaign=campaign).order_by().values_list("id", "households")
    )
    return {pk: TallyRow(pk, n, *counts.get(pk, (0, 0)), campaign) for pk, n in households}


def enrollment_tally(enrollment: Enrollment) -> TallyRow:
    campaign = enrollment.campaign
    if not campaign.rates_visible:
        raise RatesNotAvailable(campaign.rates_refusal())
    counts = (
        Rating.objects.counted()
        .filter(enrollment=enrollment)
        .aggregate(
            responses=Count("*"),
            satisfied=Count("overall", filter=Q(overall__in=campaign.satisfied_answers)),
        )
    )
    return TallyRow(
        enrollment.pk, enrollment.households, counts["responses"], counts["satisfied"], campaign
    )


def enrollments_tally(enrollments: list[Enrollment]) -> dict[int, TallyRow]:
    """The tally of several enrollments (those whose rates are visible), keyed by id:
    one query per campaign among them, for a batch of review decisions."""
    by_campaign: dict[int, list[Enrollment]] = {}
    for enrollment in enrollments:
        if enrollment.campaign.rates_visible:
            by_campaign.setdefault(enrollment.campaign_id, []).append(enrollment)
    rows: dict[int, TallyRow] = {}
    for group in by_campaign.values():
        campaign = group[0].campaign
        counts = {
            row["enrollment_id"]: row
            for row in Rating.objects.counted()
            .filter(enrollment__in=[e.pk for e in group])
            .order_by()
            .values("enrollment_id")
            .annotate(
                responses=Count("*"),
                satisfied=Count("overall", filter=Q(overall__in=campaign.satisfied_answers)),
            )
        }
        for enrollment in group:
            row = counts.get(enrollment.pk, {"responses": 0, "satisfied": 0})
            rows[enrollment.pk] = TallyRow(
                enrollment.pk,
                enrollment.households,
                row["responses"],
                row["satisfied"],
                enrollment.campaign,
            )
    return rows


def campaign_turnout(campaign: Campaign) -> dict[str, int]:
    """Enrollments, counted ratings and households of a campaign: shown at every stage."""
    enrollments = Enrollment.objects.filter(campaign=campaign).aggregate(
        enrollments=Count("id"), households=Sum("households")
    )
    responses = Rating.objects.counted().filter(enrollment__campaign=campaign).count()
    return {
        "enrollments": enrollments["enrollments"],
        "households": enrollments["households"] or 0,
        "responses": responses,
    }


@dataclass(frozen=True)
class CriterionTally:
    criterion_id: int
    name: str
    responses: int
    satisfied: int

    @property
    def rate_percent(self) -> Decimal | None:
        return percent_floor(Fraction(self.satisfied, self.responses)) if self.responses else None


def criterion_tally(enrollment: Enrollment) -> list[CriterionTally]:
    """Satisfaction per criterion of one enrollment, one GROUP BY over the answers of
    the counted ratings. Refused while residents can still rate."""
    from .models import RatingAnswer, counted_q

    campaign = enrollment.campaign
    if not campaign.rates_visible:
        raise RatesNotAvailable(campaign.rates_refusal())
    rows = {
        r["criterion_id"]: r
        for r in RatingAnswer.objects.filter(counted_q("rating__"), rating__enrollment=enrollment)
        .values("criterion_id")
        .annotate(
            responses=Count("id"),
            satisfied=Count("id", filter=Q(answer__in=campaign.satisfied_answers)),
        )
        .order_by()
    }
    return [
        CriterionTally(
            c.pk,
            c.display_name,
            rows.get(c.pk, {}).get("responses", 0),
            rows.get(c.pk, {}).get("satisfied", 0),
        )
        for c in campaign.criteria.order_by("order", "code")
    ]


def tally_row_from_counts(enrollment: Enrollment) -> TallyRow | None:
    """A TallyRow from an enrollment annotated by EnrollmentQuerySet.with_answer_counts(),
    or None while rates are hidden. Lets one query serve a whole listing."""
    campaign = enrollment.campaign
    if not campaign.rates_visible:
        return None
    counts = {answer: getattr(enrollment, f"n_{answer}") for answer in Answer.values}
    return TallyRow(
        enrollment.pk,
        enrollment.households,
        sum(counts.values()),
        sum(counts[a] for a in campaign.satisfied_answers),
        campaign,
    )


def responses_from_counts(enrollment: Enrollment) -> int:
    return sum(getattr(enrollment, f"n_{answer}") for answer in Answer.values)


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[Decimal, Decimal] | None:
    """The 95% Wilson score interval of a rate, in percent with one decimal (the lower
    bound rounded down, the upper rounded up), so a reader sees how firm a rate from
    40 households is. None without responses."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / denominator
    low = max(0.0, centre - margin) * 100
    high = min(1.0, centre + margin) * 100
    return (
        Decimal(str(low)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR),
        Decimal(str(high)).quantize(Decimal("0.1"), rounding="ROUND_CEILING"),
    )
