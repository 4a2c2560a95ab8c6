"""Issue 12, done: a campaign run entirely in the console — a new campaign, its
households imported, notices printed by building in the background (the progress
page and a notice PDF looked at), a lost notice reissued, a rating, and rating
opened and closed by the schedule."""

import io
import os
import re
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from evaluations import tasks
from evaluations.models import Campaign, Rating

pytestmark = pytest.mark.browser

CODE = re.compile(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")
HOUSEHOLDS = "楼栋,单元,房号\n3,1,101\n3,1,102\n3,2,201\n12,1,101\n12,1,\n".encode()


def pdf_texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_campaign_run_in_the_console_from_households_to_closing(
    desktop_page, phone_page, site, community, city_officer, tmp_path, settings, axe
):
    settings.SITE_URL = site  # as `make run` sets it to the address it serves
    page = desktop_page
    page.goto(f"{site}/console/login/")
    page.fill("#id_username", "city")
    page.fill("#id_password", "a-long-test-password-1")
    page.get_by_role("button", name="登录").click()

    # A new campaign, set to open and close on schedule.
    now = timezone.now()
    page.goto(f"{site}/console/campaigns/new/")
    page.fill("#id_name", "2026年物业服务满意度评议")
    page.fill("#id_slug", "walk-2026")
    page.fill("#id_opens_at", local(now + timedelta(minutes=2)))
    page.fill("#id_closes_at", local(now + timedelta(hours=3)))
    page.fill("#id_min_responses", "1")
    page.fill("#id_min_coverage_percent", "0")
    expect(page.locator("#id_opens_on_schedule")).to_be_checked()
    page.get_by_role("button", name="创建草稿").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2026年物业服务满意度评议")
    expect(page.locator(".eyebrow")).to_contain_text("后开始")

    # Enroll the district, then import the community's households.
    page.goto(f"{site}/console/campaigns/walk-2026/enroll/?district={community.district_id}")
    page.get_by_role("button", name="整区登记").click()
    page.get_by_role("link", name=str(community.households), exact=True).click()
    page.get_by_role("link", name="导入住户").click()
    csv = tmp_path / "households.csv"
    csv.write_bytes(HOUSEHOLDS)
    page.set_input_files("input[type=file]", str(csv))
    page.get_by_role("button", name="预览").click()
    expect(page.locator("body")).to_contain_text("4 行可以导入；1 行有错误")
    expect(page.locator(".import-row-error")).to_contain_text("缺少房号")
    page.get_by_role("button", name="导入有效的行").click()
    expect(page.locator("body")).to_contain_text("已导入 4 户")

    # Notices printed in the background; the progress page, then the files.
    page.get_by_role("button", name="为本小区生成通知单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("生成通知单")
    expect(page.locator("progress")).to_have_attribute("value", "100")
    expect(page.locator("body")).to_contain_text("已完成 1 / 1 个小区，通知单 4 份")
    assert axe(page) == []
    page.screenshot(path=str(tmp_path / "progress.png"))
    if shots := os.environ.get("MANYI_SCREENSHOTS"):  # to look at it
        page.screenshot(path=f"{shots}/notice-job.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="古田街道.zip").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        (name,) = archive.namelist()
        texts = pdf_texts(archive.read(name))
    assert "3栋" in texts[0] and "3 份" in texts[0]  # the cover sheet of building 3
    assert "3栋 1单元 101室" in texts[1] and site + "/r/" in texts[1]
    assert "12栋" in texts[2] and "12栋 1单元 101室" in texts[3]
    codes = CODE.findall(" ".join(texts))
    assert len(codes) == 4

    # Building 3 delivered; the notice of 12栋 lost and reissued.
    enrollment = Campaign.objects.get(slug="walk-2026").enrollments.get()
    page.goto(f"{site}/console/enrollments/{enrollment.pk}/households/")
    assert axe(page) == []
    if shots := os.environ.get("MANYI_SCREENSHOTS"):  # at phone size, to look at it
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{shots}/households-phone.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="标记为已派送").first.click()
    expect(page.locator("body")).to_contain_text("已标记 3 份通知单为已派送")
    page.fill("input[name=reason] >> nth=3", "通知单遗失")
    with page.expect_download() as download:
        page.get_by_role("button", name="补发（PDF）").nth(3).click()
    (new_code,) = CODE.findall(" ".join(pdf_texts(download.value.path().read_bytes())))
    old_code = codes[3]

    # The schedule opens rating at the start time.
    tasks.campaigns_follow_schedule.delay()
    assert Campaign.objects.get(slug="walk-2026").status == "draft"
    from evaluations.campaigns import campaigns_follow_schedule

    campaigns_follow_schedule(now + timedelta(minutes=3))  # the beat, three minutes on
    assert Campaign.objects.get(slug="walk-2026").status == "open"
    # The test's clock is three minutes behind the beat's: bring the start to it.
    Campaign.objects.filter(slug="walk-2026").update(opens_at=timezone.now())

    resident = phone_page
    resident.goto(f"{site}/r/{old_code.replace('-', '')}")
    expect(resident.locator("body")).to_contain_text("已作废")
    resident.goto(f"{site}/r/{new_code.replace('-', '')}")
    questions = resident.get_by_role("radiogroup")
    for i in range(questions.count()):
        questions.nth(i).get_by_role("radio", name="满意", exact=True).tap()
    resident.get_by_role("button", name="提交评议").tap()
    expect(resident.get_by_role("heading", level=1)).to_have_text("评议已提交，谢谢您！")
    assert Rating.objects.counted().count() == 1

    # Closing on schedule.
    campaigns_follow_schedule(now + timedelta(hours=3, minutes=1))
    page.goto(f"{site}/console/campaigns/walk-2026/")
    expect(page.locator(".eyebrow")).to_contain_text("评议结束")
