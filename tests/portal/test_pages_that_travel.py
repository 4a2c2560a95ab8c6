"""Pages that travel: a favicon at the root, robots.txt keeping crawlers out of the
households' pages, a sitemap of the public pages, a description and a share card (Open
Graph) per page — a community's card says its rate and status — and the product's own
404 page."""

import re

import pytest
from django.urls import reverse

from evaluations.campaigns import enrollment_create
from tests.conftest import make_campaign
from tests.portal import test_portal
from tests.portal.test_portal import text

pytestmark = pytest.mark.django_db

world = test_portal.world


def meta(page: str, key: str) -> str:
    found = re.search(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)"', page)
    assert found, key
    return found.group(1)


def test_the_favicon_is_at_the_root(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.ico")


def test_robots_keeps_crawlers_out_of_codes_receipts_and_the_console(client, db):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    rules = text(response).splitlines()
    for path in ["/r/", "/receipts/", "/console/", "/admin/"]:
        assert f"Disallow: {path}" in rules
    assert "Sitemap: http://testserver/sitemap.xml" in rules


def test_the_sitemap_lists_the_public_pages_and_no_household_page(client, world, community):
    campaign, _enrollments, mingyue, loser = world
    page = text(client.get("/sitemap.xml"))
    locations = re.findall(r"<loc>http://testserver([^<]*)</loc>", page)
    assert {"/", "/search/", "/privacy/", "/lists/2020/", "/lists/2020/420104/"} <= set(locations)
    assert f"/communities/{community.pk}/" in locations
    assert f"/communities/{mingyue.pk}/" in locations
    assert f"/communities/{loser.pk}/" not in locations  # not on the list
    assert not [loc for loc in locations if loc.startswith(("/r/", "/receipts/", "/console/"))]


@pytest.mark.parametrize("path", ["/", "/search/", "/r/", "/privacy/", "/lists/2020/"])
def test_every_page_has_a_description_and_a_share_card(client, world, path):
    page = text(client.get(path))
    assert meta(page, "description")
    assert meta(page, "og:title") and meta(page, "og:description")
    assert meta(page, "og:image").endswith("/static/img/share.png")
    assert meta(page, "og:image").startswith("http")  # absolute, as share cards need
    assert '<link rel="icon"' in page


def test_a_communitys_share_card_says_its_rate_and_status(client, world, community):
    page = text(client.get(reverse("community", args=[community.pk])))
    assert meta(page, "og:title") == "汉口春天 · 硚口区"
    assert meta(page, "og:description") == (
        "已列入“群众满意小区”名单（2020年评选）：40户参评，满意率90.0%。"
    )
    assert "90.0%" in meta(page, "description")
    loser = world[3]
    other = text(client.get(reverse("community", args=[loser.pk])))
    assert meta(other, "og:description") == "未列入任何已发布的“群众满意小区”名单。"


def test_a_community_being_rated_says_so_on_its_card(client, world):
    mingyue = world[2]
    campaign = make_campaign(slug="2024", name="2024年评选")
    enrollment_create(campaign, mingyue)
    loser = world[3]
    enrollment_create(campaign, loser)
    page = text(client.get(reverse("community", args=[loser.pk])))
    assert meta(page, "og:description") == "居民正在评议：2024年评选。"


def test_a_mistyped_address_shows_the_products_own_404(client, db, settings):
    settings.DEBUG = False
    response = client.get("/lists/no-such-campaign/x/y/")
    assert response.status_code == 404
    page = text(response)
    assert "页面不存在" in page and 'class="site-footer"' in page
    assert "URLconf" not in page  # never Django's debug page with the URL list
