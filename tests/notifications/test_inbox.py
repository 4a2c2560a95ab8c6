"""The console's inbox: the list (unread first or newest first, paged), marking read
(one's own rows only), the e-mail choices, and the unread count in the header — one
query, whatever the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications import kinds
from notifications.models import Notification

pytestmark = pytest.mark.django_db


def make_rows(user, n, *, read=0, start=None):
    start = start or timezone.now() - timedelta(days=1)
    rows = [
        Notification(
            recipient=user,
            kind=kinds.OBJECTION,
            params={"community": f"小区{i:03d}", "district": "硚口区", "campaign": "测试评选"},
            link="/console/",
            created_at=start + timedelta(minutes=i),
            read_at=start + timedelta(minutes=i, seconds=1) if i < read else None,
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_inbox_lists_unread_first_then_newest_first(client, qiaokou_reviewer):
    make_rows(qiaokou_reviewer, 3, read=2)  # 小区000 and 小区001 read, 小区002 unread
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:inbox")).content.decode()
    # unread first: 002 (unread), then 001, 000 (read, newest first)
    assert page.index("小区002") < page.index("小区001") < page.index("小区000")
    make_rows(qiaokou_reviewer, 1, start=timezone.now() - timedelta(days=3))  # an older unread
    page = client.get(reverse("console:inbox") + "?order=unread").content.decode()
    # two unread rows (002, and the older 000 of the second batch) before the read ones
    assert page.index("小区002") < page.index("小区001")
    newest = client.get(reverse("console:inbox") + "?order=newest").content.decode()
    assert newest.index("小区002") < newest.index("小区001")
    # the header counts the unread rows
    assert 'class="badge badge-info">2</span>' in page


def test_marking_read_touches_only_ones_own_rows(client, qiaokou_reviewer, jiangan_reviewer):
    mine = make_rows(qiaokou_reviewer, 2)
    theirs = make_rows(jiangan_reviewer, 1)
    client.force_login(qiaokou_reviewer)
    response = client.post(
        reverse("console:inbox_read"), {"id": [mine[0].pk, theirs[0].pk], "order": "newest"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("console:inbox") + "?order=newest"
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None
    client.post(reverse("console:inbox_read"), {"all": "1"})
    assert not Notification.objects.filter(recipient=qiaokou_reviewer, read_at=None).exists()
    assert Notification.objects.filter(recipient=jiangan_reviewer, read_at=None).count() == 1


def test_bad_input_gets_a_page_not_an_error(client, qiaokou_reviewer):
    make_rows(qiaokou_reviewer, 1)
    client.force_login(qiaokou_reviewer)
    for query in ["?page=abc", "?page=99999999999999999999", "?order=drop", "?page=-3"]:
        assert client.get(reverse("console:inbox") + query).status_code == 200
    response = client.post(
        reverse("console:inbox_read"), {"id": ["x", "-1", "9" * 40]}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a notification" in response.content.decode() or "请选择" in (
        response.content.decode()
    )
    assert client.get(reverse("console:inbox_read")).status_code == 405
    response = client.post(reverse("console:inbox_preferences"), {"email": ["nonsense"]})
    assert response.status_code == 302


def test_the_inbox_and_its_header_take_a_fixed_number_of_queries(client, qiaokou_reviewer):
    client.force_login(qiaokou_reviewer)
    make_rows(qiaokou_reviewer, 1)
    one = count_queries(client, reverse("console:inbox"))
    make_rows(qiaokou_reviewer, 60, read=30)  # two pages
    many = count_queries(client, reverse("console:inbox"))
    # session, user, the two second-factor devices, the staff profile (the guard), the
    # count of the pages, the two permission sets of the nav, the header's unread
    # count, the page's rows
    assert one == many == 10, (one, many)


def test_the_unread_count_in_the_header_is_one_query(qiaokou_reviewer):
    make_rows(qiaokou_reviewer, 40, read=15)
    request = RequestFactory().get("/console/")
    request.user = qiaokou_reviewer
    template = Template("{% load inbox %}{% inbox_unread as n %}{{ n }}")
    with CaptureQueriesContext(connection) as ctx:
        assert template.render(Context({"request": request})) == "25"
    assert len(ctx.captured_queries) == 1
