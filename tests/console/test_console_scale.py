"""City scale (issue 12): the console's campaign pages, results export and
monitoring send as many queries for a campaign of many communities as for one of
few, and the campaign page counts only the ratings of the communities it shows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


def grow(campaign, qiaokou, company, count, start=0):
    for number in range(start, start + count):
        community = Community.objects.create(
            name=f"规模小区{number:03d}", district=qiaokou, company=company, households=50
        )
        add_ratings(enrollment_create(campaign, community), satisfied=3, unsatisfied=1)


def queries(client, url) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize(
    "name", ["console:campaign", "console:results_csv", "console:monitoring", "console:approval"]
)
def test_console_pages_send_the_same_queries_for_3_or_30_communities(
    client, city_officer, qiaokou, company, name, settings
):
    campaign = make_campaign(slug="scale")
    grow(campaign, qiaokou, company, 3)
    if name != "console:monitoring":
        campaign_transition(campaign, "close", actor=city_officer)
        monitoring_finalise(campaign, actor=city_officer)
    client.force_login(city_officer)
    url = reverse(name, args=[campaign.slug])
    small, _sql = queries(client, url)
    from evaluations.models import Campaign

    Campaign.objects.filter(pk=campaign.pk).update(status="open")
    grow(campaign, qiaokou, company, 27, start=3)
    if name != "console:monitoring":
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
    large, _sql = queries(client, url)
    assert large == small


def test_the_campaign_page_counts_only_the_communities_of_its_page(
    client, city_officer, qiaokou, company, settings
):
    from console.views import campaigns as views

    campaign = make_campaign(slug="paged")
    grow(campaign, qiaokou, company, 5)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    client.force_login(city_officer)
    original = views.PAGE_SIZE
    views.PAGE_SIZE = 2
    try:
        page = client.get(reverse("console:campaign", args=[campaign.slug]))
        count, sql = queries(client, reverse("console:campaign", args=[campaign.slug]))
    finally:
        views.PAGE_SIZE = original
    text = page.content.decode()
    assert "规模小区000" in text and "规模小区001" in text and "规模小区002" not in text
    # 3 satisfied of 4 ratings: 75.0% on each row shown
    assert text.count('<td class="num">75.0%</td>') == 2
    counting = [s for s in sql if "COUNT(" in s.upper() and "rating" in s.lower()]
    assert counting and all(" IN (" in s for s in counting)


def test_the_campaign_page_counts_only_current_ratings_not_held_ones(
    client, city_officer, qiaokou, company
):
    """The page's counts come from the counted ratings alone (issue 12: straight from
    the index of counted ratings): a superseded rating and a held one are not in them;
    the codes issued column counts active codes."""
    from django.utils import timezone

    from evaluations.models import HouseholdCode, Rating

    campaign = make_campaign(slug="counted")
    community = Community.objects.create(
        name="计数小区", district=qiaokou, company=company, households=50
    )
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=3, unsatisfied=1, superseded=2)  # 2 older, unsatisfied
    held = Rating.objects.filter(enrollment=enrollment, overall="satisfied").first()
    Rating.objects.filter(pk=held.pk).update(quarantined_at=timezone.now())
    HouseholdCode.objects.filter(pk=held.household_code_id).update(revoked_at=timezone.now())
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    client.force_login(city_officer)
    page = client.get(reverse("console:campaign", args=[campaign.slug]))
    (row,) = page.context["rows"]
    enrollment_row = row["enrollment"]
    assert (enrollment_row.n_satisfied, enrollment_row.n_unsatisfied) == (2, 1)
    assert row["responses"] == 3
    assert enrollment_row.codes_issued == 3  # four issued, one revoked
    assert '<td class="num">66.6%</td>' in page.content.decode()
