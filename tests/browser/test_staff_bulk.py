"""Staff work at city scale in a browser (issue 13): a district reviewer clears a
district of 200 enrollments with bulk decisions, starting from the 待办 page."""

import pytest
from django.conf import settings
from django.test import Client

from communities.models import Community, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry, ReviewStatus
from monitoring.holds import monitoring_finalise
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.browser

N = 200


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


def test_a_district_reviewer_clears_200_enrollments_from_the_todo_page(
    desktop_page, site, qiaokou, company, city_officer, qiaokou_reviewer
):
    campaign = make_campaign(slug="city-scale", min_responses=5)
    street = Street.objects.create(district=qiaokou, name="汉正街道")
    for i in range(N):
        community = Community.objects.create(
            district=qiaokou, street=street, name=f"硚口小区{i:03d}", households=40, company=company
        )
        add_ratings(enrollment_create(campaign, community), satisfied=10)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    page = desktop_page
    page.set_default_timeout(60_000)  # 200 enrollments × 7 checks on a loaded machine
    log_in(page, site, qiaokou_reviewer)

    page.goto(f"{site}/console/")
    todo = page.locator("li.todo-to_check")
    assert "待核查的参评" in todo.inner_text() and str(N) in todo.inner_text()
    todo.locator("a").click()

    for decision in ("全部核查项记为达到", "推荐"):
        page.get_by_label(f"全选符合筛选条件的{N}个小区").check()
        page.get_by_label("决定", exact=True).select_option(label=decision)
        page.get_by_role("button", name="执行").click()
        assert f"已决定{N}个小区" in page.locator(".bulk-outcome").inner_text()
        if decision == "全部核查项记为达到":
            # the filter (待区审核) is kept: the same 200 are still listed for the next step
            assert page.locator('input[name="enrollment"]').count() == 100  # one page

    statuses = set(campaign.enrollments.values_list("review_status", flat=True))
    assert statuses == {ReviewStatus.RECOMMENDED}
    assert AuditEntry.objects.filter(action="recommended").count() == N
    assert AuditEntry.objects.filter(action="check_recorded").count() == N * 7
    page.goto(f"{site}/console/")
    assert page.locator("li.todo-to_check").count() == 0


def test_the_xlsx_downloaded_after_a_withdrawal_says_withdrawn(
    desktop_page, site, qiaokou, company, city_officer
):
    import io
    from datetime import timedelta

    import openpyxl
    from django.utils import timezone

    from reviews.publishing import (
        entry_withdraw,
        publication_publish_final,
        publication_publish_preliminary,
    )

    campaign = make_campaign(slug="withdrawn-xlsx", min_responses=5)
    community = Community.objects.create(
        district=qiaokou, name="汉口春天", households=40, company=company
    )
    add_ratings(enrollment_create(campaign, community), satisfied=10)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    campaign.enrollments.update(review_status=ReviewStatus.APPROVED)
    publication_publish_preliminary(campaign, actor=city_officer)
    later = timezone.now() + timedelta(days=30)
    final = publication_publish_final(campaign, actor=city_officer, now=later)
    entry_withdraw(final.entries.get(), actor=city_officer, reason="核实存在违规收费", now=later)

    page = desktop_page
    log_in(page, site, city_officer)
    page.goto(f"{site}/console/campaigns/{campaign.slug}/")
    with page.expect_download() as download:
        page.get_by_role("link", name="评选结果（XLSX）").click()
    with open(download.value.path(), "rb") as file:  # saved without an extension
        workbook = openpyxl.load_workbook(io.BytesIO(file.read()))
    row = [c.value for c in workbook["硚口区"][2]]
    assert row[3] == "汉口春天"
    assert row[-2].startswith("已撤销（") and row[-2].endswith("核实存在违规收费")
    assert row[-1] == "正式名单 第2版"
