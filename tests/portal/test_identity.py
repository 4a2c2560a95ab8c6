"""An issuer you can trust: who runs the site is configuration (SITE_*), shown in every
footer — bureau, city, the 12345 hotline, the ICP and public-security filing numbers,
the seal — with a privacy statement under the Personal Information Protection Law."""

import pytest
from django.urls import reverse

from tests.portal.test_portal import text

pytestmark = pytest.mark.django_db


@pytest.fixture
def wuhan(settings):
    settings.SITE_ISSUER = "武汉市住房保障和房屋管理局"
    settings.SITE_ISSUER_EN = "Wuhan Housing Security and Management Bureau"
    settings.SITE_CITY = "武汉市"
    settings.SITE_CITY_EN = "Wuhan"
    settings.SITE_HOTLINE = "12345"
    settings.SITE_ICP = "鄂ICP备00000000号（演示）"
    settings.SITE_PSB = "鄂公网安备00000000000000号（演示）"
    settings.SITE_PSB_CODE = "00000000000000"
    settings.SITE_DEMO = True


@pytest.mark.parametrize("path", ["/", "/r/", "RATING", "/search/?q=汉口", "/privacy/"])
def test_every_footer_names_the_issuer_its_hotline_and_filings(client, wuhan, household_code, path):
    path = f"/r/{household_code}" if path == "RATING" else path
    page = text(client.get(path))
    footer = page.split('<footer class="site-footer">', 1)[1]
    assert "武汉市住房保障和房屋管理局" in footer and "武汉市" in footer
    assert 'href="tel:12345"' in footer
    assert 'href="https://beian.miit.gov.cn/"' in footer and "鄂ICP备00000000号（演示）" in footer
    assert "鄂公网安备00000000000000号（演示）" in footer and "code=00000000000000" in footer
    assert "演示：并非真实的政府服务" in footer
    assert 'src="/static/img/logo.png"' in footer
    assert f'href="{reverse("privacy")}"' in footer


def test_the_footer_in_english_names_the_issuer_in_english(client, wuhan):
    page = text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    footer = page.split('<footer class="site-footer">', 1)[1]
    assert "Wuhan Housing Security and Management Bureau" in footer
    assert "Demo: not a real government service" in footer


def test_without_configuration_nothing_is_invented(client, db, settings):
    settings.SITE_ISSUER = settings.SITE_ICP = settings.SITE_PSB = ""
    settings.SITE_DEMO = False
    footer = text(client.get("/")).split('<footer class="site-footer">', 1)[1]
    assert "ICP" not in footer and "公网安备" not in footer and "演示" not in footer
    assert "市住房保障和房屋管理部门" in footer  # the generic issuer
    assert 'href="tel:12345"' in footer  # the national citizens' hotline by default


def test_the_privacy_statement_says_what_is_stored_why_how_long_and_who_sees_it(client, wuhan):
    page = text(client.get(reverse("privacy")))
    assert "隐私声明" in page and "个人信息保护法" in page
    for heading in ["您的住户评议码", "您的评议", "评议的网络痕迹", "公示期间提出的异议", "Cookie"]:
        assert heading in page
    assert page.count("<dt>为什么</dt>") == 5 and page.count("<dt>保存多久</dt>") == 5
    assert "正式名单发布后即清除" in page and "30天后删除" in page
    english = text(client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Personal Information Protection Law" in english and "How long" in english
