"""English pages of published lists (issue 14): an entry's frozen names are the record
and stay Chinese; an English page shows the English frozen with them or the pinyin of
the frozen Chinese, with the Chinese beside it — never the community's name of today,
and nothing is written to the append-only entries."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from reviews.models import PublicationEntry
from tests.portal import test_portal
from tests.portal.test_portal import text

pytestmark = pytest.mark.django_db

world = test_portal.world


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def squeeze(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_the_english_district_page_shows_english_or_pinyin_beside_the_frozen_chinese(
    english, world
):
    campaign, *_ = world
    page = squeeze(text(english.get(reverse("district", args=[campaign.slug, "420104"]))))
    chinese = '<span class="frozen-name" lang="zh-Hans">'
    assert f"Hankou Chuntian {chinese}汉口春天</span>" in page
    assert f"Gutian Subdistrict {chinese}古田街道</span>" in page
    assert (
        f"Wuhan Huizhimei Property Services Co., Ltd. {chinese}武汉惠之美物业服务有限公司</span>"
        in page
    )
    assert f"Mingyuefu {chinese}洺悦府</span>" in page


def test_the_chinese_page_shows_the_frozen_names_alone(client, world):
    campaign, *_ = world
    page = text(client.get(reverse("district", args=[campaign.slug, "420104"])))
    assert "汉口春天" in page and "frozen-name" not in page and "Hankou" not in page


def test_the_english_is_of_the_frozen_name_not_of_the_renamed_community(english, world, community):
    campaign, *_ = world
    entry = PublicationEntry.objects.get(community_name="汉口春天", publication__kind="final")
    before = PublicationEntry.objects.filter(pk=entry.pk).values().get()
    community.name, community.name_en = "汉口春天二期", "Spring Garden Phase II"
    community.save()
    page = squeeze(text(english.get(reverse("district", args=[campaign.slug, "420104"]))))
    assert "Hankou Chuntian" in page and ">汉口春天</span>" in page
    assert "Spring Garden Phase II" not in page and "汉口春天二期" not in page
    # Nothing was written to the record.
    assert PublicationEntry.objects.filter(pk=entry.pk).values().get() == before


def test_a_frozen_english_name_is_used_when_the_entry_has_one(world):
    entry = PublicationEntry.objects.filter(district_name="硚口区").first()
    assert entry.district_name_en == "Qiaokou District"  # frozen at publication
    with translation.override("en"):
        assert entry.display_district_name == "Qiaokou District"
        assert entry.english_name("community") == "Hankou Chuntian" or entry.community_name_en
    with translation.override("zh-hans"):
        assert entry.display_district_name == "硚口区"
        assert entry.display_company_name == entry.company_name


def test_the_english_notice_and_lists_name_districts_and_companies_in_english(
    english, world, community
):
    campaign, *_ = world
    page = squeeze(text(english.get(reverse("notice", args=[campaign.slug]))))
    chinese = '<span class="frozen-name" lang="zh-Hans">'
    assert f"<h2>Qiaokou District {chinese}硚口区</span>" in page
    assert f"<strong>Hankou Chuntian {chinese}汉口春天</span></strong>" in page
    assert f"Zhongdianjian Property Management Co., Ltd. Wuhan Branch {chinese}" in page
    company_page = squeeze(text(english.get(reverse("company", args=[community.company_id]))))
    assert "Qiaokou District" in company_page and "Hankou Chuntian" in company_page
