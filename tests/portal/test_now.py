"""What is happening now comes first: the home page opens with the code box while a
campaign is open and with the notice while objections are open; a community's page
and its search result say that it is being rated now, or on notice with objections
open, and link where to go."""

import pytest
from django.urls import reverse

from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import publication_publish_preliminary
from tests.conftest import add_ratings, make_campaign
from tests.portal import test_portal
from tests.portal.test_portal import results, text

world = test_portal.world  # the fixture: 2020 published, 汉口春天 and 洺悦府 on the list

pytestmark = pytest.mark.django_db


@pytest.fixture
def rating_now(world):
    """2024, open for rating now: 洺悦府 takes part, 汉口春天 does not."""
    _campaign, _enrollments, mingyue, _loser = world
    campaign = make_campaign(slug="2024", name="2024年评选")
    enrollment_create(campaign, mingyue)
    return campaign


@pytest.fixture
def on_notice(world, community, city_officer, qiaokou_reviewer):
    """2023: 汉口春天 on the preliminary list, its notice open for objections."""
    campaign = make_campaign(slug="2023", name="2023年评选")
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication_publish_preliminary(campaign, actor=city_officer)
    return campaign


def test_the_home_page_opens_with_the_code_box_while_a_campaign_is_open(client, rating_now):
    page = text(client.get("/"))
    code_box = page.index('action="/r/"')
    assert page.index("<h1") < code_box < page.index("2个“群众满意小区”")
    assert "现在评议您小区的物业服务" in page and "2024年评选" in page
    assert "一次性" not in page  # a household may rate again until the close


def test_the_home_page_leads_with_an_open_notice(client, on_notice):
    page = text(client.get("/"))
    notice = page.index(f'href="{reverse("notice", args=["2023"])}"')
    assert notice < page.index("2个“群众满意小区”")
    assert "正在公示：可提出异议" in page


def test_a_community_being_rated_says_so_on_its_page_and_in_the_search(client, rating_now, world):
    mingyue = world[2]
    page = text(client.get(reverse("community", args=[mingyue.pk])))
    assert "正在评议" in page and "2024年评选" in page
    assert 'href="/r/"' in page
    found = results(text(client.get(reverse("search"), {"q": "洺悦府"})))
    assert "正在评议" in found and 'href="/r/"' in found
    # 汉口春天 is not in the 2024 campaign: nothing said of it
    other = results(text(client.get(reverse("search"), {"q": "汉口春天"})))
    assert "正在评议" not in other


def test_a_community_on_notice_says_objections_are_open_and_links_the_notice(
    client, on_notice, community
):
    notice_url = reverse("notice", args=["2023"])
    page = text(client.get(reverse("community", args=[community.pk])))
    assert "公示中（可提出异议）" in page and f'href="{notice_url}"' in page
    found = results(text(client.get(reverse("search"), {"q": "汉口春天"})))
    assert "公示中（可提出异议）" in found and f'href="{notice_url}"' in found
    assert "在名单中" in found  # and it stays on the published 2020 list


def test_the_community_page_changes_its_etag_when_rating_opens(client, world, city_officer):
    mingyue = world[2]
    url = reverse("community", args=[mingyue.pk])
    before = client.get(url)["ETag"]
    campaign = make_campaign(slug="2025", name="2025年评选", status="draft")
    enrollment_create(campaign, mingyue)
    campaign_transition(campaign, "open", actor=city_officer)
    response = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and "正在评议" in text(response)


def test_a_published_community_links_its_published_list(client, world, community):
    list_url = reverse("campaign_list", args=["2020"])
    found = results(text(client.get(reverse("search"), {"q": "汉口春天"})))
    assert "已发布名单" in found and f'href="{list_url}"' in found
    page = text(client.get(reverse("community", args=[community.pk])))
    assert f'href="{list_url}"' in page
