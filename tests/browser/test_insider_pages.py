"""The pages issue 11 added, in a browser: the receipt check (counted / superseded /
held, never the answers), the monitoring finalisation, the published list with its
ballots digest and audit chain head, and the headline moderation queue.

With MANYI_SCREENSHOTS=<dir> the test also saves the screenshots that docs/security.md
and docs/verification.md show (docs/screenshots/)."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import Rating
from evaluations.ratings import rating_submit
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import publication_publish_final, publication_publish_preliminary
from showcases.services import showcase_headline_set
from tests.conftest import make_campaign

pytestmark = pytest.mark.browser


def shoot(page, name: str, tmp_path: Path, **options) -> None:
    folder = Path(os.environ.get("MANYI_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / name), **options)


def sign_in(page, site, username):
    page.goto(f"{site}/console/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a-long-test-password-1")
    page.get_by_role("button", name="登录").click()


def test_the_insider_pages(
    desktop_page,
    phone_page,
    site,
    community,
    criteria,
    city_officer,
    qiaokou_reviewer,
    company_staffer,
    tmp_path,
    axe,
):
    campaign = make_campaign(slug="insider", min_responses=3)
    enrollment = enrollment_create(campaign, community)
    codes = codes_issue(enrollment, 5)
    ratings = [
        rating_submit(code, overall="satisfied", answers={c.pk: "satisfied" for c in criteria})
        for code in codes
    ]
    later = rating_submit(
        codes[0], overall="satisfied", answers={c.pk: "satisfied" for c in criteria}
    )
    # A rating the monitoring flagged, held by the bureau (the hold's own columns).
    Rating.objects.filter(pk=ratings[4].pk).update(
        quarantined_at=timezone.now(),
        quarantined_by=city_officer,
        quarantine_reason="同一设备短时间内多次提交",
        quarantine_flags="burst",
    )

    # The receipt check: three answers, none of them how the household rated.
    page = phone_page
    for receipt, state, name in [
        (later.receipt, "counted", "receipt-check-counted-phone.png"),
        (ratings[0].receipt, "superseded", "receipt-check-superseded-phone.png"),
        (ratings[4].receipt, "held", "receipt-check-held-phone.png"),
    ]:
        page.goto(f"{site}/receipts/check/")
        page.fill("#id_receipt", receipt)
        page.locator("form.code-form button[type=submit]").click()
        expect(page.locator(f'[data-state="{state}"]')).to_be_visible()
        assert "满意" not in page.locator("main").inner_text()
        assert receipt not in page.url
        assert axe(page) == []
        shoot(page, name, tmp_path, full_page=True)

    # Rating closes: rates stay hidden until the city finalises the monitoring.
    campaign_transition(campaign, "close", actor=city_officer)
    page = desktop_page
    sign_in(page, site, "city")
    page.goto(f"{site}/console/campaigns/insider/monitoring/")
    expect(page.locator('[data-state="not-finalised"]')).to_be_visible()
    expect(page.get_by_role("button", name="确认完成异常监测")).to_be_visible()
    shoot(page, "console-monitoring-finalise.png", tmp_path, full_page=True)
    page.get_by_role("button", name="确认完成异常监测").click()
    expect(page.locator('[data-state="finalised"]')).to_be_visible()
    campaign.refresh_from_db()
    assert campaign.monitoring_finalised_at is not None

    # The company proposes a headline; the bureau sees it in the moderation queue.
    showcase_headline_set(
        enrollment,
        actor=company_staffer,
        headline="坚守岗位，守土有责",
        subheadline="战疫路上亮出物业担当",
    )
    page.goto(f"{site}/console/moderation/")
    card = page.locator(".showcase-moderation-headline")
    expect(card).to_contain_text("坚守岗位，守土有责")
    expect(card).to_contain_text("无标题")  # nothing public yet
    shoot(page, "console-headline-moderation.png", tmp_path, full_page=True)

    # Published: the list carries its ballots digest and the audit chain's head.
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    final = publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )
    page = phone_page
    page.goto(f"{site}/lists/insider/")
    expect(page.locator('[data-anchor="digest"]')).to_have_text(final.ratings_digest)
    expect(page.locator('[data-anchor="audit-head"]')).to_have_text(final.audit_head)
    assert axe(page) == []
    page.locator('[data-anchor="digest"]').scroll_into_view_if_needed()
    shoot(page, "public-list-digest-phone.png", tmp_path, full_page=True)
