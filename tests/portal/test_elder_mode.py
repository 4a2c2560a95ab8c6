"""The elder mode (适老化): a switch on every page, kept in a cookie; the pages of one
mode are never served to the other, from the page cache or by a 304."""

import pytest
from django.urls import reverse

from config.display import ELDER_COOKIE
from tests.portal import test_portal
from tests.portal.test_portal import text

pytestmark = pytest.mark.django_db

world = test_portal.world


def _is_elder(page: str) -> bool:
    return '<html lang="zh-Hans" class="elder">' in page


@pytest.mark.parametrize("path", ["/", "/search/?q=hkct", "/r/", "RATING", "/receipts/check/"])
def test_every_page_has_the_switch(client, household_code, path):
    path = f"/r/{household_code}" if path == "RATING" else path
    page = text(client.get(path))
    assert 'action="/display/"' in page and "长辈版（大字）" in page
    assert not _is_elder(page)


def test_the_switch_turns_the_elder_mode_on_and_off_and_keeps_it(client, household_code):
    rating = f"/r/{household_code}"
    response = client.get(reverse("switch_display"), {"elder": "1", "next": rating})
    assert response.status_code == 302 and response["Location"] == rating
    assert response.cookies[ELDER_COOKIE].value == "1"
    page = text(client.get(rating))
    assert _is_elder(page) and "标准版" in page
    assert _is_elder(text(client.get("/")))  # and on the next page too

    off = client.get(reverse("switch_display"), {"elder": "0", "next": "/"})
    assert off.cookies[ELDER_COOKIE].value == ""  # deleted
    assert not _is_elder(text(client.get("/")))


def test_the_switch_goes_back_only_to_this_site(client, db):
    response = client.get(
        reverse("switch_display"), {"elder": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_cached_page_is_never_served_in_the_other_mode(client, world):
    url = reverse("campaign_list", args=["2020"])
    normal = client.get(url)
    assert client.get(url)["X-Page-Cache"] == "hit"  # the normal page is cached
    client.cookies[ELDER_COOKIE] = "1"
    elder = client.get(url)
    assert "X-Page-Cache" not in elder and _is_elder(text(elder))
    # A browser keeping the normal page asks whether it is current: not in this mode.
    again = client.get(url, HTTP_IF_NONE_MATCH=normal["ETag"])
    assert again.status_code == 200 and _is_elder(text(again))
    del client.cookies[ELDER_COOKIE]
    assert not _is_elder(text(client.get(url)))


def test_the_95_percent_range_is_said_in_plain_words(client, world, community):
    page = text(client.get(reverse("community", args=[community.pk])))
    assert "按参评户数推算，真实满意率大概率在" in page
    assert "95%" not in page
    district = text(client.get(reverse("district", args=["2020", "420104"])))
    assert "真实满意率大概率在" in district and "区间" not in district
