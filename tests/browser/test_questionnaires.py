"""Questionnaires in a browser (issue 12): the city edits the general set in the
library (a new version), then adjusts a draft campaign's questions; the pages pass
axe, and a resident of the campaign is asked the adjusted question."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from questionnaires.models import CriteriaSet
from questionnaires.services import campaign_create_with_set

pytestmark = pytest.mark.browser


def log_in(page, site, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": site,
            }
        ]
    )


def shoot(page, name, full_page=True):
    if shots := os.environ.get("MANYI_SCREENSHOTS"):  # to look at it (docs/questionnaires.md)
        page.screenshot(path=f"{shots}/{name}.png", full_page=full_page)


def test_the_city_edits_a_set_and_adjusts_a_draft_campaigns_questions(
    desktop_page, site, city_officer, axe
):
    general = CriteriaSet.objects.get(is_default=True)
    now = timezone.now()
    campaign_create_with_set(
        general.current_version(),
        actor=city_officer,
        slug="q-browser",
        name="2027年度物业服务满意度评议",
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=20),
    )
    page = desktop_page
    log_in(page, site, city_officer)

    # A new campaign is offered the library, the general set preselected.
    page.goto(f"{site}/console/campaigns/new/")
    expect(page.get_by_label("问卷（评价标准集）")).to_have_value(str(general.pk))
    shoot(page, "console-new-campaign")

    page.goto(f"{site}/console/")
    page.get_by_role("link", name="问卷库").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("问卷库")
    page.get_by_role("link", name="物业服务通用问卷").click()
    expect(page.locator("body")).to_contain_text("与居民沟通")
    assert axe(page) == []
    page.get_by_role("link", name="编辑（生成新版本）").click()
    page.locator("#id_q-4-text").fill("绿化美化")
    page.get_by_label("改了什么、为什么改").fill("绿化一项的说法更贴近居民")
    assert axe(page) == []
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("body")).to_contain_text("已保存为第2版")
    expect(page.locator("section.card").first).to_contain_text("绿化美化")
    shoot(page, "console-questionnaire")

    # The campaign took version 1 and keeps it; its own questions are adjusted here.
    page.goto(f"{site}/console/campaigns/q-browser/")
    page.get_by_role("link", name="评议问题", exact=True).click()
    expect(page.locator("body")).to_contain_text("来自问卷“物业服务通用问卷”第1版")
    expect(page.locator("#id_q-4-text")).to_have_value("绿化养护")
    page.locator("#id_q-0-hint").fill("服务中心每天8:00–20:00有人值守。")
    page.locator("#id_q-5-order").fill("1")
    assert axe(page) == []
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "console-campaign-questions", full_page=False)
    page.get_by_role("button", name="保存问题").click()
    expect(page.locator("body")).to_contain_text("已修改2个问题")
    # Two questions at order 1: the code decides (resident-… before service-…).
    expect(page.locator("#id_q-0-text")).to_have_value("与居民沟通")
    expect(page.locator("#id_q-1-text")).to_have_value("物业基本服务规范")
