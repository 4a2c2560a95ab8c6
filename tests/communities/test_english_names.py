"""English that reads as English: districts, streets, companies and communities show
their English name on English pages, or their name in pinyin where none is given."""

import pytest
from django.urls import reverse
from django.utils import translation

from communities.models import Community, PropertyCompany, Street
from communities.search import romanized_name

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("汉口春天", "Hankou Chuntian"),
        ("洺悦府", "Mingyuefu"),
        ("宗关街道", "Zongguan Subdistrict"),
        ("武汉惠之美物业服务有限公司", "Wuhan Huizhimei Property Services Co., Ltd."),
        (
            "中电建物业管理有限公司武汉分公司",
            "Zhongdianjian Property Management Co., Ltd. Wuhan Branch",
        ),
        ("汉江湾1号", "Hanjiangwan 1 Hao"),
    ],
)
def test_names_in_pinyin_read_as_words(name, english):
    assert romanized_name(name) == english


def test_a_name_without_english_shows_in_pinyin_on_english_pages(qiaokou, company):
    street = Street.objects.create(district=qiaokou, name="宗关街道")
    community = Community.objects.create(
        district=qiaokou, street=street, name="洺悦府", households=10, company=company
    )
    with translation.override("en"):
        assert community.display_name == "Mingyuefu"
        assert street.display_name == "Zongguan Subdistrict"
        assert company.display_name == "Wuhan Huizhimei Property Services Co., Ltd."
    with translation.override("zh-hans"):
        assert community.display_name == "洺悦府"
    # A given English name wins; a renamed community gets its new pinyin.
    community.name_en = "Mingyue Mansion"
    community.save()
    with translation.override("en"):
        assert community.display_name == "Mingyue Mansion"
    community.name, community.name_en = "洺悦新府", ""
    community.save(update_fields=["name", "name_en"])
    community.refresh_from_db()
    assert community.name_pinyin == "Mingyue Xinfu"


def test_english_pages_show_english_names(client, community, company, qiaokou):
    community.name_en = ""
    community.save()
    page = client.get(reverse("community", args=[community.pk]), **EN).content.decode()
    assert "<h1>Hankou Chuntian" in page
    assert "Wuhan Huizhimei Property Services Co., Ltd." in page
    found = client.get(reverse("search"), {"q": "汉口"}, **EN).content.decode()
    assert "Hankou Chuntian" in found and "汉口春天</a>" not in found
    company_page = client.get(reverse("company", args=[company.pk]), **EN).content.decode()
    assert "<h1>Wuhan Huizhimei Property Services Co., Ltd." in company_page


def test_the_migration_fills_names_already_there(db):
    from importlib import import_module

    from django.apps import apps

    company = PropertyCompany.objects.create(name="武汉惠之美物业服务有限公司")
    PropertyCompany.objects.filter(pk=company.pk).update(name_pinyin="")
    migration = import_module("communities.migrations.0004_names_in_english_and_pinyin")
    migration.fill_names_in_pinyin(apps, None)
    company.refresh_from_db()
    assert company.name_pinyin == "Wuhan Huizhimei Property Services Co., Ltd."
