"""A community's share card (issue 14, item 7): a PNG of 1200 × 630 per community and
language, saying its status and — only where a list has published it — its rate; the
community page's og:image points to it; kept by the page cache and drawn anew when the
page's data changes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from portal import sharecard
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import entry_withdraw, publication_publish_preliminary
from tests.conftest import add_ratings, make_campaign
from tests.portal import test_portal
from tests.portal.test_pages_that_travel import meta

pytestmark = pytest.mark.django_db

world = test_portal.world


def card_url(community, language="zh-hans") -> str:
    return reverse("community_share_card", args=[community.pk, language])


def card(community, language="zh-hans") -> sharecard.ShareCard:
    with translation.override(language):
        return sharecard.card_for(community)


def test_the_page_points_og_image_to_its_own_card(client, world, community, settings):
    page = client.get(reverse("community", args=[community.pk])).content.decode()
    assert meta(page, "og:image") == f"{settings.SITE_URL}{card_url(community)}"
    assert meta(page, "og:image:width") == "1200" and meta(page, "og:image:height") == "630"
    client.cookies["django_language"] = "en"
    english = client.get(reverse("community", args=[community.pk])).content.decode()
    assert meta(english, "og:image").endswith(card_url(community, "en"))
    # Other pages keep the site's card.
    assert meta(client.get("/").content.decode(), "og:image").endswith("/static/img/share.png")


def test_the_card_is_a_png_of_1200_by_630_and_cached(client, world, community):
    response = client.get(card_url(community))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "max-age=300" in response["Cache-Control"] and "public" in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1200, 630)
    again = client.get(card_url(community))
    assert again["X-Page-Cache"] == "hit" and again.content == response.content
    assert client.get(card_url(community, "fr")).status_code == 404
    assert client.get(reverse("community_share_card", args=[999999, "en"])).status_code == 404


def test_a_listed_community_says_so_with_its_published_rate(world, community):
    zh = card(community)
    assert (zh.name, zh.district, zh.status) == ("汉口春天", "硚口区", "listed")
    assert (zh.status_label, zh.campaign, zh.rate) == ("群众满意小区", "2020年评选", "90.0%")
    assert "40" in zh.detail
    en = card(community, "en")
    assert en.status_label == "Satisfied community" and en.detail == "40 households rated"
    assert en.name == "Hankou Chuntian"  # its pinyin: no English name was given
    assert en.district != "硚口区"


def test_a_community_being_rated_shows_no_rate_whatever_its_ratings(world):
    loser = world[3]
    campaign = make_campaign(slug="2024", name="2024年评选")
    enrollment = enrollment_create(campaign, loser)
    add_ratings(enrollment, satisfied=50, unsatisfied=1)  # unpublished: never on a card
    now = card(loser)
    assert (now.status, now.status_label, now.campaign) == ("rating", "正在评议", "2024年评选")
    assert now.rate == "" and "%" not in now.detail
    assert now.until == campaign.closes_at


def test_a_community_on_public_notice_shows_the_rate_of_the_notice(
    community, city_officer, qiaokou_reviewer
):
    campaign = make_campaign(slug="2025", name="2025年评选", min_responses=1)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=9, unsatisfied=1)
    assert card(community).rate == ""  # open: no rate
    campaign_transition(campaign, "close", actor=city_officer)
    assert card(community).rate == ""  # closed, not finalised, no list: still none
    monitoring_finalise(campaign, actor=city_officer)
    assert card(community).status == "none"  # the city has not published anything
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    notice = card(community)
    assert (notice.status, notice.status_label, notice.rate) == ("notice", "公示中", "90.0%")
    assert notice.until == preliminary.notice_ends_at
    # Once the notice has ended (and no final list is out) the card says so: no rate.
    with translation.override("zh-hans"):
        after = sharecard.card_for(community, now=preliminary.notice_ends_at + timedelta(seconds=1))
    assert (after.status, after.rate) == ("none", "")


def test_a_community_on_no_list_says_so_without_a_number(world):
    loser = world[3]  # rejected: rated 15 of 25, never published
    none = card(loser)
    assert (none.status, none.status_label, none.rate) == ("none", "未列入已发布名单", "")


def test_the_card_is_drawn_anew_when_the_page_changes(client, world, community, city_officer):
    first = client.get(card_url(community)).content
    assert client.get(card_url(community))["X-Page-Cache"] == "hit"
    campaign, enrollments, *_ = world
    entry = enrollments[community.pk].publication_entries.get(publication__kind="final")
    entry_withdraw(entry, actor=city_officer, reason="核查发现问题")
    response = client.get(card_url(community))
    assert "X-Page-Cache" not in response and response.content != first
    assert card(community).status == "none"


def test_the_pictures_say_it(world, community, monkeypatch):
    """The drawing itself: the listed card is greener than the one on no list (its
    badge), and with no Chinese font the card is drawn all the same (English)."""
    listed = Image.open(io.BytesIO(sharecard.draw(card(community))))
    loser = Image.open(io.BytesIO(sharecard.draw(card(world[3]))))
    green = sharecard.COLOURS["listed"][0]
    assert listed.size == loser.size == (1200, 630)
    assert green in {c for _n, c in listed.getcolors(1_000_000)}
    assert green not in {c for _n, c in loser.getcolors(1_000_000)}
    monkeypatch.setattr(sharecard, "cjk_font", lambda *a, **k: None)
    latin = Image.open(io.BytesIO(sharecard.draw(card(community, "en"), latin=True)))
    assert latin.size == (1200, 630)


def test_the_card_is_not_kept_past_the_end_of_its_status(client, world, monkeypatch):
    from portal import pagecache

    loser = world[3]
    campaign = make_campaign(slug="2024", name="2024年评选")
    campaign.closes_at = timezone.now() + timedelta(minutes=2)  # before the max-age ends
    campaign.save()
    enrollment_create(campaign, loser)
    told = []
    real = pagecache.expires_at
    monkeypatch.setattr(pagecache, "expires_at", lambda r, when: told.append(when) or real(r, when))
    response = client.get(card_url(loser))
    assert response.status_code == 200
    assert told == [campaign.closes_at]  # the page cache keeps it until rating closes
