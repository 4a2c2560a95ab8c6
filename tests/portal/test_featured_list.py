"""The home page leads with the city's main list, chosen by the city (issue 13, item
5): never a practice campaign; without a choice, the latest list; the cached home page
changes at once."""

import pytest
from django.urls import reverse

from communities.models import Community
from evaluations.models import AuditEntry
from reviews.models import FeaturedList, Publication
from reviews.publishing import PublicationRefused, publication_feature
from tests.conftest import make_campaign
from tests.portal.test_portal import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_lists(community, qiaokou, company, city_officer, qiaokou_reviewer):
    """The city's real list (2020年评选, 汉口春天), then a one-community test list."""
    real = make_campaign(slug="2020", name="2020年评选", min_responses=20)
    publish(real, {community: (36, 4)}, city_officer, qiaokou_reviewer)
    test = make_campaign(slug="trial", name="试运行评选", min_responses=20)
    other = Community.objects.create(
        district=qiaokou, name="试点小区", households=40, company=company
    )
    publish(test, {other: (20, 0)}, city_officer, qiaokou_reviewer)
    return real, test


def lead(page: str) -> str:
    """The home page's leading list: what comes before the earlier lists (往期)."""
    return page.split('class="eyebrow"', 1)[1][:200]


def test_without_a_choice_the_latest_list_leads_then_the_citys_choice(
    client, two_lists, city_officer
):
    real, test = two_lists
    assert "试运行评选" in lead(client.get("/").content.decode())
    client.force_login(city_officer)
    final = real.publications.get(kind=Publication.Kind.FINAL)
    response = client.post(reverse("console:publication_feature", args=[final.pk]))
    assert response.status_code == 302
    page = client.get(reverse("console:publication", args=[final.pk])).content.decode()
    assert "首页现在以此名单为主名单" in page and "首页主名单" in page
    client.logout()
    page = client.get("/").content.decode()
    assert "2020年评选" in lead(page)
    audit = AuditEntry.objects.get(action="featured_list_chosen")
    assert audit.actor_name == "city" and audit.new_value == "2020"


def test_the_cached_home_page_changes_when_the_city_chooses(client, two_lists, city_officer):
    real, _test = two_lists
    first = client.get("/").content.decode()
    assert "试运行评选" in lead(first)
    assert client.get("/").content.decode() == first  # served again (from the cache)
    publication_feature(real.publications.get(kind="final"), actor=city_officer)
    assert "2020年评选" in lead(client.get("/").content.decode())


def test_a_practice_or_preliminary_list_is_never_featured(
    community, qiaokou_reviewer, city_officer
):
    practice = make_campaign(slug="practice", name="练习", min_responses=20, is_practice=True)
    publish(practice, {community: (36, 4)}, city_officer, qiaokou_reviewer)
    with pytest.raises(PublicationRefused):
        publication_feature(practice.publications.get(kind="final"), actor=city_officer)
    with pytest.raises(PublicationRefused):
        publication_feature(practice.publications.get(kind="preliminary"), actor=city_officer)
    assert not FeaturedList.objects.exists()


def test_the_featured_campaign_leads_with_its_current_revision(client, two_lists, city_officer):
    from reviews.publishing import entry_withdraw

    real, _test = two_lists
    publication_feature(real.publications.get(kind="final"), actor=city_officer)
    entry = real.publications.get(kind="final").entries.get()
    entry_withdraw(entry, actor=city_officer, reason="经查实")
    page = client.get("/").content.decode()
    assert "2020年评选" in lead(page)
    assert "试运行评选" in page.split('class="eyebrow"', 1)[1]  # among the earlier lists
