"""The inbox in a browser (issue 13, item 3): the unread count in the header, the list
unread first, marking one read, the e-mail choices as plain checkboxes — and axe."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications import kinds
from notifications.models import Notification
from tests.browser.test_staff_bulk import log_in

pytestmark = pytest.mark.browser


def test_a_reviewer_reads_the_inbox_and_turns_off_one_kind_of_email(
    desktop_page, site, qiaokou_reviewer, axe, tmp_path
):
    start = timezone.now() - timedelta(hours=3)
    params = {"district": "硚口区", "campaign": "2026年度群众满意小区评选"}
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=qiaokou_reviewer,
                kind=kinds.OBJECTION,
                params={**params, "community": "汉口春天"},
                link="/console/",
                created_at=start,
                email=Notification.Email.SENT,
            ),
            Notification(
                recipient=qiaokou_reviewer,
                kind=kinds.RETURNED,
                params={**params, "community": "古田小区", "reason": "照片不清，请补充现场核查"},
                link="/console/",
                created_at=start + timedelta(hours=1),
                email=Notification.Email.OPTED_OUT,
            ),
            Notification(
                recipient=qiaokou_reviewer,
                kind=kinds.OBJECTION,
                params={**params, "community": "宝丰小区"},
                link="/console/",
                created_at=start + timedelta(hours=2),
                read_at=timezone.now(),
            ),
        ]
    )
    page = desktop_page
    log_in(page, site, qiaokou_reviewer)
    page.goto(f"{site}/console/")
    header = page.locator("a.inbox-link")
    assert "收件箱" in header.inner_text() and "2" in header.inner_text()
    header.click()
    items = page.locator("li.inbox-item")
    assert items.count() == 3
    assert "古田小区" in items.nth(0).inner_text()  # unread, newest first
    assert "宝丰小区" in items.nth(2).inner_text()  # read: last
    # MANYI_SCREENSHOTS=<dir> keeps the picture to look at
    shots = Path(os.environ.get("MANYI_SCREENSHOTS", tmp_path))
    page.screenshot(path=shots / "inbox.png", full_page=True)
    assert axe(page) == []

    items.nth(0).get_by_role("button", name="标为已读").click()
    assert "1" in page.locator("a.inbox-link").inner_text()
    assert page.locator("li.inbox-unread").count() == 1

    page.get_by_role("link", name="邮件设置").click()
    page.get_by_label("有新的异议").uncheck()
    page.get_by_role("button", name="保存").click()
    assert "邮件设置已保存" in page.content()
    assert not page.get_by_label("有新的异议").is_checked()
    assert page.get_by_label("报名被市局退回").is_checked()
    assert axe(page) == []
