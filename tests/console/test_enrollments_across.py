"""The list of enrollments across campaigns (issue 13, item 1): scoped by role,
filtered by campaign, district, street, company, status and rate band, sorted, paged,
with a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import Community, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import Campaign
from monitoring.holds import monitoring_finalise
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db
URL = "/console/enrollments/"


@pytest.fixture
def two_campaigns(qiaokou, jiangan, company, city_officer):
    """2020 (closed, rates visible): 汉口春天 95%, 宗关小区 70% in 硚口; 江滩花园 in 江岸.
    2021 (open, rates hidden): 汉口春天 again."""
    street = Street.objects.create(district=qiaokou, name="汉中街道")
    hankou = Community.objects.create(
        district=qiaokou, street=street, name="汉口春天", households=100, company=company
    )
    zongguan = Community.objects.create(
        district=qiaokou, name="宗关小区", households=100, company=company
    )
    jiangtan = Community.objects.create(
        district=jiangan, name="江滩花园", households=100, company=company
    )
    old = make_campaign(slug="2020", name="2020年评选", min_responses=5)
    add_ratings(enrollment_create(old, hankou), satisfied=19, unsatisfied=1)
    add_ratings(enrollment_create(old, zongguan), satisfied=7, unsatisfied=3)
    add_ratings(enrollment_create(old, jiangtan), satisfied=10)
    campaign_transition(old, "close", actor=city_officer)
    monitoring_finalise(old, actor=city_officer)
    new = make_campaign(
        slug="2021", name="2021年评选", min_responses=5, status=Campaign.Status.OPEN
    )
    add_ratings(enrollment_create(new, hankou), satisfied=2, unsatisfied=8)
    return old, new


def rows(client, **params):
    html = client.get(URL, params).content.decode()
    return re.findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a></td>\s*<td><a [^>]*>([^<]+)</a>", html)


def test_a_district_reviewer_sees_their_district_in_every_campaign(
    client, two_campaigns, qiaokou_reviewer
):
    client.force_login(qiaokou_reviewer)
    listed = rows(client)
    assert ("2021年评选", "汉口春天") in listed and ("2020年评选", "宗关小区") in listed
    assert all(name != "江滩花园" for _c, name in listed)
    # by district code, then name (codepoint order on both databases: 宗 before 汉)
    assert rows(client, campaign="2020") == [("2020年评选", "宗关小区"), ("2020年评选", "汉口春天")]


def test_bands_and_the_rate_order_keep_only_campaigns_with_visible_rates(
    client, two_campaigns, city_officer
):
    client.force_login(city_officer)
    # 2021 is open: its 20% must not land in a band (a band would reveal it).
    assert rows(client, band="low") == [("2020年评选", "宗关小区")]
    assert rows(client, band="90") == [("2020年评选", "江滩花园"), ("2020年评选", "汉口春天")]
    assert [n for _c, n in rows(client, sort="rate")] == ["宗关小区", "汉口春天", "江滩花园"]
    page = client.get(URL).content.decode()
    assert "20%" not in page  # the open campaign's rate is never shown
    assert [n for _c, n in rows(client, district="420102")] == ["江滩花园"]
    assert [n for _c, n in rows(client, status="pending", campaign="2021")] == ["汉口春天"]


def test_a_company_sees_only_its_communities(client, two_campaigns, company_staffer):
    client.force_login(company_staffer)
    assert len(rows(client)) == 4  # all four are its company's


def test_the_list_makes_as_many_queries_for_50_rows_as_for_1(
    client, qiaokou, company, city_officer
):
    campaign = make_campaign(slug="many", min_responses=5)
    street = Street.objects.create(district=qiaokou, name="汉正街道")

    def add(i):
        community = Community.objects.create(
            district=qiaokou, street=street, name=f"小区{i:03d}", households=50, company=company
        )
        add_ratings(enrollment_create(campaign, community), satisfied=5)

    add(0)
    client.force_login(city_officer)

    def count(**params):
        client.get(URL, params)
        with CaptureQueriesContext(connection) as queries:
            client.get(URL, params)
        return len(queries)

    one = count(), count(sort="-rate", band="90")
    for i in range(1, 50):
        add(i)
    assert (count(), count(sort="-rate", band="90")) == one
