"""The server-side cache of the public pages (evaluations/pagecache.py): a cached page
costs no query; a change invalidates exactly the pages that show it; languages do not
mix; staff never get, nor leave, a cached page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from reviews.models import Publication, PublicationEntry
from reviews.publishing import entry_withdraw
from showcases.models import ModerationStatus, Showcase, ShowcaseItem
from tests.conftest import make_campaign
from tests.portal.test_portal import publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(qiaokou, jiangan, company, city_officer, qiaokou_reviewer):
    """One published campaign: 汉口春天 in 硚口区, 江岸花园 in 江岸区, both on the list."""
    hankou = Community.objects.create(
        district=qiaokou, name="汉口春天", households=40, company=company
    )
    jiangan_garden = Community.objects.create(
        district=jiangan, name="江岸花园", households=40, company=company
    )
    campaign = make_campaign(slug="2020", min_responses=1)
    enrollments = publish(
        campaign, {hankou: (36, 4), jiangan_garden: (38, 2)}, city_officer, qiaokou_reviewer
    )
    return campaign, hankou, jiangan_garden, enrollments


def get(client, url, **headers):
    """The response and the number of queries it cost."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code in (200, 304), (url, response.status_code)
    return response, len(queries)


def pages(campaign, hankou, jiangan_garden, company):
    return {
        "home": "/",
        "list": reverse("campaign_list", args=[campaign.slug]),
        "qiaokou": reverse("district", args=[campaign.slug, "420104"]),
        "jiangan": reverse("district", args=[campaign.slug, "420102"]),
        "hankou": reverse("community", args=[hankou.pk]),
        "jiangan_garden": reverse("community", args=[jiangan_garden.pk]),
        "company": reverse("company", args=[company.pk]),
        "search": reverse("search") + "?q=汉口",
    }


def test_a_cached_page_is_served_without_a_query(client, city, company):
    urls = pages(*city[:3], company)
    for name, url in urls.items():
        first, queries = get(client, url)
        assert queries > 0 and "X-Page-Cache" not in first, name
        again, queries = get(client, url)
        assert queries == 0, name
        assert again["X-Page-Cache"] == "hit"
        assert again.content == first.content, name


def test_gzip_is_served_to_clients_that_accept_it(client, city, company):
    url = reverse("district", args=[city[0].slug, "420104"])
    plain, _ = get(client, url)
    import gzip

    zipped, queries = get(client, url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert queries == 0 and zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]


def test_a_withdrawal_changes_its_pages_and_leaves_the_others_cached(
    client, city, company, city_officer
):
    campaign, hankou, jiangan_garden, _enrollments = city
    urls = pages(campaign, hankou, jiangan_garden, company)
    before = {name: get(client, url)[0].content.decode() for name, url in urls.items()}
    assert "江岸花园" in before["jiangan"]

    entry = PublicationEntry.objects.get(
        publication=Publication.objects.current().get(campaign=campaign),
        enrollment__community=hankou,
    )
    entry_withdraw(entry, actor=city_officer, reason="物业费公示不实")

    for name in ("hankou", "qiaokou", "list", "home", "company", "search"):
        response, queries = get(client, urls[name])
        assert queries > 0 and "X-Page-Cache" not in response, name
        assert response.content.decode() != before[name], name
    assert "物业费公示不实" in get(client, urls["hankou"])[0].content.decode()
    assert "物业费公示不实" in get(client, urls["qiaokou"])[0].content.decode()
    # Another district's page and another community's page: still from the cache.
    for name in ("jiangan", "jiangan_garden"):
        response, queries = get(client, urls[name])
        assert queries == 0 and response["X-Page-Cache"] == "hit", name
        assert response.content.decode() == before[name]


def test_an_approved_showcase_item_changes_the_community_page_only(client, city, company):
    campaign, hankou, jiangan_garden, enrollments = city
    urls = pages(campaign, hankou, jiangan_garden, company)
    for url in urls.values():
        get(client, url)
    item = ShowcaseItem.objects.create(
        showcase=Showcase.objects.create(enrollment=enrollments[hankou.pk]),
        kind=ShowcaseItem.Kind.STORY,
        title="暖心故事：深夜修水管",
        body="凌晨两点，维修师傅赶到。",
    )
    # Pending: not shown; the page may be rendered again, but says nothing of it.
    assert "深夜修水管" not in get(client, urls["hankou"])[0].content.decode()
    item.status = ModerationStatus.APPROVED
    item.save()
    response, queries = get(client, urls["hankou"])
    assert queries > 0 and "深夜修水管" in response.content.decode()
    for name in ("jiangan_garden", "qiaokou", "home"):
        assert get(client, urls[name])[1] == 0, name


def test_an_edited_community_name_shows_at_once(client, city, company):
    campaign, hankou, jiangan_garden, _ = city
    url = reverse("community", args=[hankou.pk])
    get(client, url)
    hankou.name = "汉口春天二期"
    hankou.save()
    assert "汉口春天二期" in get(client, url)[0].content.decode()


def test_languages_do_not_mix(client, city, company):
    campaign, hankou, *_ = city
    url = reverse("district", args=[campaign.slug, "420104"])
    chinese, _ = get(client, url)
    english, queries = get(client, url, HTTP_ACCEPT_LANGUAGE="en")
    assert queries > 0  # rendered for English, not the Chinese page from the cache
    assert "Qiaokou District" in english.content.decode()
    assert "Qiaokou District" not in chinese.content.decode()
    again_en, queries = get(client, url, HTTP_ACCEPT_LANGUAGE="en")
    assert queries == 0 and again_en.content == english.content
    again_zh, queries = get(client, url)
    assert queries == 0 and again_zh.content == chinese.content


def test_conditional_get_is_answered_from_the_cache(client, city):
    campaign = city[0]
    url = reverse("district", args=[campaign.slug, "420104"])
    first, _ = get(client, url)
    etag = first["ETag"]
    not_modified, queries = get(client, url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and queries == 0
    assert not_modified["ETag"] == etag


def test_staff_never_get_nor_leave_a_cached_page(client, city, city_officer):
    campaign = city[0]
    url = reverse("district", args=[campaign.slug, "420104"])
    get(client, url)  # cached for the anonymous public
    client.force_login(city_officer)
    response, queries = get(client, url)
    assert queries > 0 and "X-Page-Cache" not in response
    # Rendered for a logged-in officer: not stored either.
    from django.core.cache import cache

    cache.clear()
    get(client, url)
    client.logout()
    client.cookies.clear()
    response, queries = get(client, url)
    assert queries > 0 and "X-Page-Cache" not in response


def test_unknown_query_parameters_are_not_cached(client, city):
    campaign = city[0]
    url = reverse("district", args=[campaign.slug, "420104"]) + "?utm=x"
    get(client, url)
    response, queries = get(client, url)
    assert queries > 0 and "X-Page-Cache" not in response
    # The page's own parameter is part of the key.
    street = reverse("district", args=[campaign.slug, "420104"]) + "?street=古田街道"
    get(client, street)
    assert get(client, street)[1] == 0
