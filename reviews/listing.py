"""Lists of enrollments for staff: the filters every list offers (district, street,
company, review status, name, rate band) and its order. The caller scopes the
enrollments (console.access); rate bands and the rate order exist only once rates are
visible — while a campaign is open a filter by rate would reveal them."""

from __future__ import annotations

from fractions import Fraction

from django.db.models import Case, Count, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, NullIf
from django.utils.translation import gettext_lazy

from communities.models import PropertyCompany, Street
from evaluations.models import (
    Answer,
    Campaign,
    Enrollment,
    HouseholdCode,
    Rating,
    ReviewStatus,
)
from evaluations.tally import percent_floor, responses_from_counts, tally_row_from_counts


def rates_visible_q(prefix: str = "campaign__") -> Q:
    """The enrollments whose campaign shows rates (Campaign.rates_visible, as a filter)."""
    return Q(**{f"{prefix}monitoring_finalised_at__isnull": False}) & ~Q(
        **{f"{prefix}status__in": [Campaign.Status.DRAFT, Campaign.Status.OPEN]}
    )


def filter_enrollments(enrollments, campaign: Campaign | None, params) -> QuerySet[Enrollment]:
    """`enrollments` (already scoped by the caller) filtered and ordered as `params`
    (a GET or POST) asks: district, street, company, review status, name, rate band
    and order. With `campaign` None the list runs across campaigns (and filters by
    `campaign` slug too): a rate band or the rate order then keeps only the
    enrollments of campaigns whose rates are visible."""
    enrollments = enrollments.select_related(
        "community__district", "community__street", "company"
    ).order_by("community__district__code", "community__name")
    if campaign is None:
        enrollments = enrollments.select_related("campaign").order_by(
            "-campaign__opens_at", "community__district__code", "community__name"
        )
        slug = params.get("campaign")
        if slug:
            enrollments = enrollments.filter(campaign__slug=slug)
    district = params.get("district")
    if district and district.isdigit():
        enrollments = enrollments.filter(community__district__code=district)
    street = params.get("street")
    if street and street.isdigit():
        enrollments = enrollments.filter(community__street_id=street)
    company = params.get("company")
    if company and company.isdigit():
        enrollments = enrollments.filter(company_id=company)
    status = params.get("status")
    if status in ReviewStatus.values:
        enrollments = enrollments.filter(review_status=status)
    query = (params.get("q") or "").strip()
    if query:
        enrollments = enrollments.filter(
            Q(community__name__icontains=query) | Q(company__name__icontains=query)
        )
    sort = params.get("sort", "")
    band = RATE_BANDS.get(params.get("band", ""))
    visible = campaign is None or campaign.rates_visible
    if visible and (band is not None or sort.lstrip("-") == "rate"):
        # Rate bands and the rate order only once rating has closed: while it is
        # open nobody sees rates, and a filter by rate would be an oracle of them.
        # Only then is every listed enrollment counted; a plain list counts the
        # communities of the page shown (count_page), not a whole city's ratings.
        if campaign is None:
            enrollments = enrollments.filter(rates_visible_q())
            enrollments = with_rate_across(enrollments.with_answer_counts())
        else:
            enrollments = with_rate(enrollments.with_answer_counts(), campaign)
        if band is not None:
            enrollments = enrollments.filter(band[1])
    if sort.lstrip("-") in SORTS and (sort.lstrip("-") != "rate" or visible):
        field = SORTS[sort.lstrip("-")]
        descending = sort.startswith("-")
        enrollments = enrollments.order_by(
            F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True),
            "community__name",
            "pk",
        )
    return enrollments


FILTERS = ("campaign", "district", "street", "company", "status", "band", "sort", "q")
SORT_LABELS = {
    "district": gettext_lazy("District"),
    "name": gettext_lazy("Name"),
    "status": gettext_lazy("Review"),
    "-rate": gettext_lazy("Satisfaction, highest first"),
    "rate": gettext_lazy("Satisfaction, lowest first"),
}


def filter_choices(campaign: Campaign | None, params, *, districts, enrollments) -> dict:
    """What the filter bar of an enrollment list offers: `districts` and `enrollments`
    are the caller's scope (`campaign` None: across campaigns)."""
    district = params.get("district") or ""
    visible = campaign is None or campaign.rates_visible
    return {
        "districts": districts,
        "streets": Street.objects.filter(district__in=districts, district__code=district).order_by(
            "name"
        )
        if district.isdigit()
        else Street.objects.none(),
        "companies": PropertyCompany.objects.filter(
            pk__in=enrollments.values("company_id")
        ).order_by("name"),
        "statuses": ReviewStatus.choices,
        "bands": [(k, label) for k, (label, _q) in RATE_BANDS.items()] if visible else [],
        "sorts": [
            (k, label) for k, label in SORT_LABELS.items() if visible or "rate" not in k
        ],  # fmt: skip
        "filters": {key: params.get(key, "") for key in FILTERS},
    }


def with_rate(enrollments, campaign):
    satisfied = sum((F(f"n_{a}") for a in campaign.satisfied_answers), Value(0))
    return _annotate_rate(enrollments, satisfied)


def with_rate_across(enrollments):
    """with_rate for enrollments of several campaigns: each counts the answers its own
    campaign counts as satisfied (one CASE per distinct choice of answers)."""
    groups: dict[tuple, list[int]] = {}
    campaigns = Campaign.objects.filter(pk__in=enrollments.values("campaign_id"))
    for pk, answers in campaigns.values_list("pk", "satisfied_answers"):
        groups.setdefault(tuple(sorted(answers)), []).append(pk)
    satisfied = Case(
        *[
            When(campaign_id__in=ids, then=sum((F(f"n_{a}") for a in answers), Value(0)))
            for answers, ids in groups.items()
        ],
        default=Value(0),
        output_field=IntegerField(),
    )
    return _annotate_rate(enrollments, satisfied)


def _annotate_rate(enrollments, satisfied):
    responses = sum((F(f"n_{a}") for a in Answer.values), Value(0))
    return enrollments.annotate(
        satisfied_x10=satisfied * 10,
        responses_n=responses,
        rate_value=Cast(satisfied, FloatField()) / NullIf(Cast(responses, FloatField()), 0.0),
    )


# band → (label, condition); compared as whole counts (satisfied × 10 against
# responses × 9) so that a band's edge is exact, as the threshold is (SPEC).
RATE_BANDS = {
    "90": (
        gettext_lazy("90% and above"),
        Q(responses_n__gt=0, satisfied_x10__gte=F("responses_n") * 9),
    ),
    "80": (
        gettext_lazy("80% to under 90%"),
        Q(satisfied_x10__gte=F("responses_n") * 8, satisfied_x10__lt=F("responses_n") * 9),
    ),
    "low": (
        gettext_lazy("under 80%"),
        Q(responses_n__gt=0, satisfied_x10__lt=F("responses_n") * 8),
    ),
    "none": (gettext_lazy("no responses"), Q(responses_n=0)),
}
SORTS = {
    "name": "community__name",
    "district": "community__district__code",
    "status": "review_status",
    "rate": "rate_value",
}


def count_page(page, *, codes: bool = False) -> list[Enrollment]:
    """The enrollments of one page with their answer counts (and codes issued): the
    page is cut from the plain listing first and only its enrollments are counted, so
    a campaign of 10,000 communities and a million ratings counts a hundred
    communities' ratings per page view, not all of them (and the paginator's COUNT
    reads no rating at all).

    The counts come straight from the counted ratings — the counted condition in the
    WHERE clause, grouped by enrollment and answer — which PostgreSQL serves by an
    index-only scan of rating_counted_idx (about 10 ms for a page of a million-rating
    city); the enrollments LEFT JOINed to all their ratings, with the condition inside
    each COUNT, read every superseded rating from the table too (1.2 s,
    docs/benchmarks.md). The codes the same way, in a query of their own."""
    listed = list(page.object_list)
    pks = [e.pk for e in listed]
    counts = {(pk, answer): 0 for pk in pks for answer in Answer.values}
    for enrollment_id, answer, n in (
        Rating.objects.counted()
        .filter(enrollment_id__in=pks)
        .order_by()
        .values_list("enrollment_id", "overall")
        .annotate(n=Count("*"))
        .values_list("enrollment_id", "overall", "n")
    ):
        counts[enrollment_id, answer] = n
    issued = {}
    if codes:
        issued = dict(
            HouseholdCode.objects.filter(enrollment_id__in=pks, revoked_at__isnull=True)
            .order_by()
            .values_list("enrollment_id")
            .annotate(n=Count("*"))
            .values_list("enrollment_id", "n")
        )
    for enrollment in listed:
        for answer in Answer.values:
            setattr(enrollment, f"n_{answer}", counts[enrollment.pk, answer])
        if codes:
            enrollment.codes_issued = issued.get(enrollment.pk, 0)
    return listed


def enrollment_rows(enrollments) -> list[dict]:
    """Each enrollment of a page with its responses, coverage and tally row, from the
    counts `with_answer_counts` annotated (no query per row)."""
    rows = []
    for enrollment in enrollments:
        responses = responses_from_counts(enrollment)
        rows.append(
            {
                "enrollment": enrollment,
                "responses": responses,
                "coverage": percent_floor(Fraction(responses, enrollment.households)),
                "tally": tally_row_from_counts(enrollment),
            }
        )
    return rows
