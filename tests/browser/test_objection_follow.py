"""An objector files an objection in a browser, gets a reference number, and after a
district reviewer answers it sees the answer on the public status page (issue 13)."""

import pytest

from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Objection
from reviews.publishing import publication_publish_preliminary
from tests.browser.test_staff_bulk import log_in
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.browser


def test_an_objector_files_gets_a_number_and_sees_the_answer(
    browser, site, community, qiaokou_reviewer, city_officer
):
    campaign = make_campaign(slug="objection-follow", min_responses=20)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication_publish_preliminary(campaign, actor=city_officer)

    resident = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
    resident.goto(f"{site}/notice/{campaign.slug}/")
    resident.get_by_role("link", name="对此小区提出异议").click()
    resident.get_by_label("您的姓名").fill("张三")
    resident.get_by_label("电话或电子邮箱").fill("zhang@example.cn")
    resident.get_by_label("答复后通知我").check()
    resident.locator("textarea[name=text]").fill("门岗夜间无人值守")
    resident.get_by_role("button", name="提交异议").click()
    number = resident.get_by_test_id("reference").inner_text()
    objection = Objection.objects.get()
    assert number == objection.reference_display

    # Later, from another device: the number typed by hand, in lower case.
    resident.goto(f"{site}/objections/")
    resident.get_by_label("受理编号").fill(number.lower())
    resident.get_by_role("button", name="查询").click()
    assert resident.get_by_test_id("objection-stage").inner_text() == "已受理"

    staff = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    log_in(staff, site, qiaokou_reviewer)
    staff.goto(f"{site}/console/campaigns/{campaign.slug}/objections/")
    staff.get_by_label("异议不成立").check()
    staff.get_by_label("答复（必填，将记录，并在异议查询页公开）").fill(
        "经核实，门岗24小时有人值守"
    )
    staff.get_by_role("button", name="答复", exact=True).click()
    staff.close()

    resident.reload()
    assert resident.get_by_test_id("objection-stage").inner_text() == "已答复"
    assert "经核实，门岗24小时有人值守" in resident.get_by_test_id("objection-answer").inner_text()
    body = resident.locator("main").inner_text()
    assert "张三" not in body and "zhang@example.cn" not in body
    resident.close()
