"""The tally: exact threshold comparison, minimums, and no rates while open."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from communities.models import Community
from evaluations.campaigns import enrollment_create
from evaluations.models import Campaign, Enrollment, Rating
from evaluations.tally import (
    RatesNotAvailable,
    campaign_tally,
    campaign_turnout,
    enrollment_tally,
    percent_floor,
)
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_campaign(db):
    return make_campaign(
        slug="closed",
        status=Campaign.Status.DRAFT,
        min_responses=20,
        min_coverage_percent=Decimal("10"),
    )


def enroll(campaign, community, households=1000, name=None):
    if name:
        community = Community.objects.create(
            district=community.district,
            name=name,
            households=households,
            company=community.company,
        )
    else:
        community.households = households
        community.save()
    return enrollment_create(campaign, community)


def close(campaign):
    campaign.status = Campaign.Status.CLOSED
    campaign.monitoring_finalised_at = timezone.now()  # the holds are settled
    campaign.save()


@pytest.mark.parametrize(
    ("satisfied", "basic", "unsatisfied", "households", "eligible", "shown", "reason"),
    [
        # exactly at the threshold: 90.0% qualifies
        (30, 6, 4, 200, True, Decimal("90.0"), None),
        # 89.96% does not, and is shown rounded down so it never reads as 90.0%
        (2000, 249, 251, 20000, False, Decimal("89.9"), "低于90.00%的门槛"),
        # one unsatisfied too many: just below
        (35, 0, 5, 200, False, Decimal("87.5"), "低于"),
        # 100% but too few responses
        (19, 0, 0, 100, False, Decimal("100.0"), "评议数不足"),
        # 100% but too little coverage (25 of 1000 households = 2.5%)
        (25, 0, 0, 1000, False, Decimal("100.0"), "参评率不足"),
        # zero ratings
        (0, 0, 0, 100, False, None, "没有有效评议"),
        # exactly the minimum of 20 responses qualifies; 19 does not
        (20, 0, 0, 100, True, Decimal("100.0"), None),
        # coverage exactly 10.0% qualifies (25 of 250); 24 of 250 (9.6%) does not
        (25, 0, 0, 250, True, Decimal("100.0"), None),
        (24, 0, 0, 240 * 1 + 1, False, Decimal("100.0"), "参评率不足"),
    ],
)
def test_threshold_edges(
    closed_campaign, community, satisfied, basic, unsatisfied, households, eligible, shown, reason
):
    enrollment = enroll(closed_campaign, community, households=households)
    add_ratings(enrollment, satisfied, basic, unsatisfied)
    close(closed_campaign)

    row = campaign_tally(closed_campaign)[enrollment.pk]
    assert row.responses == satisfied + basic + unsatisfied
    assert row.satisfied == satisfied + basic
    assert row.eligible is eligible
    assert row.rate_percent == shown
    if reason:
        assert any(reason in r for r in row.reasons)
    else:
        assert row.reasons == []
    # The SQL filter and the exact fractions agree.
    sql_eligible = set(Enrollment.objects.eligible(closed_campaign).values_list("pk", flat=True))
    assert (enrollment.pk in sql_eligible) is eligible
    assert enrollment_tally(enrollment) == row


def test_only_the_latest_rating_of_a_household_counts(closed_campaign, community):
    enrollment = enroll(closed_campaign, community, households=100)
    add_ratings(enrollment, satisfied=20, superseded=10)
    close(closed_campaign)
    row = campaign_tally(closed_campaign)[enrollment.pk]
    assert (row.responses, row.satisfied) == (20, 20)
    assert Rating.objects.count() == 30


def test_which_answers_count_as_satisfied_is_the_campaigns_rule(closed_campaign, community):
    closed_campaign.satisfied_answers = ["satisfied"]
    closed_campaign.save()
    enrollment = enroll(closed_campaign, community, households=100)
    add_ratings(enrollment, satisfied=18, basic=2)
    close(closed_campaign)
    row = campaign_tally(closed_campaign)[enrollment.pk]
    assert row.rate == Fraction(18, 20)
    assert row.eligible  # 90% with only 满意 counted
    closed_campaign.threshold_percent = Decimal("90.01")
    assert not campaign_tally(closed_campaign)[enrollment.pk].eligible


def test_rates_are_not_available_while_the_campaign_is_open(open_campaign, community):
    enrollment = enroll(open_campaign, community, households=100)
    add_ratings(enrollment, satisfied=5)
    with pytest.raises(RatesNotAvailable):
        campaign_tally(open_campaign)
    with pytest.raises(RatesNotAvailable):
        enrollment_tally(enrollment)
    # Turnout, though, is always there.
    assert campaign_turnout(open_campaign) == {"enrollments": 1, "households": 100, "responses": 5}


def test_the_tally_is_two_queries_whatever_the_number_of_enrollments(
    closed_campaign, community, django_assert_num_queries
):
    for i in range(30):
        enrollment = enroll(closed_campaign, community, households=100, name=f"小区{i}")
        add_ratings(enrollment, satisfied=20 + i % 3, unsatisfied=i % 4)
    unrated = enroll(closed_campaign, community, households=50, name="没人评的小区")
    close(closed_campaign)
    with django_assert_num_queries(2) as captured:
        tally = campaign_tally(closed_campaign)
    assert len(tally) == 31
    assert sum(row.responses for row in tally.values()) == Rating.objects.count()
    # An enrollment without a counted rating is there, with zeros.
    assert (tally[unrated.pk].responses, tally[unrated.pk].households) == (0, 50)
    # The aggregate reads the ratings alone: no join to the community or the district
    # (the enrollment's ordering), no ORDER BY.
    aggregate = captured.captured_queries[0]["sql"]
    assert "GROUP BY" in aggregate and "ORDER BY" not in aggregate
    assert "communities_" not in aggregate


@pytest.mark.parametrize(
    ("fraction", "shown"),
    [
        (Fraction(9, 10), "90.0"),
        (Fraction(2249, 2500), "89.9"),
        (Fraction(1, 3), "33.3"),
        (Fraction(2, 3), "66.6"),
        (Fraction(1), "100.0"),
        (Fraction(0), "0.0"),
    ],
)
def test_percentages_are_shown_with_one_decimal_rounded_down(fraction, shown):
    assert str(percent_floor(fraction)) == shown
