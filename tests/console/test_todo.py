"""待办 (issue 13): the console's first page says what this account must do now, by
kind, with counts and links, scoped by role and district."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import Enrollment
from monitoring.holds import monitoring_finalise
from reviews.bulk import enrollments_decide
from reviews.publishing import objection_file, publication_publish_preliminary
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(qiaokou, jiangan, company, city_officer):
    """Three communities of 硚口区 and one of 江岸区, rated, rating closed."""
    campaign = make_campaign(slug="todo", min_responses=5)
    for district, name in [(qiaokou, "硚口甲"), (qiaokou, "硚口乙"), (qiaokou, "硚口丙"),
                           (jiangan, "江岸甲")]:  # fmt: skip
        community = Community.objects.create(
            district=district, name=name, households=50, company=company
        )
        add_ratings(enrollment_create(campaign, community), satisfied=10)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    return campaign


def todo(client, user):
    client.force_login(user)
    html = client.get(reverse("console:dashboard")).content.decode()
    items = re.findall(
        r'<li class="todo-(\w+)"><a href="([^"]+)"><strong>([^<]+)</strong>\s*(?:<span class="todo-count">(\d+)</span>)?',
        html,
    )
    return {kind: (label, int(count or 0), url) for kind, url, label, count in items}, html


def test_each_district_sees_its_own_enrollments_to_check(
    client, closed, qiaokou_reviewer, jiangan_reviewer, company_staffer
):
    items, _ = todo(client, qiaokou_reviewer)
    label, count, url = items["to_check"]
    assert (label, count) == ("待核查的参评", 3)
    assert url == reverse("console:bulk", args=["todo"]) + "?status=pending"
    assert todo(client, jiangan_reviewer)[0]["to_check"][1] == 1
    items, html = todo(client, company_staffer)
    assert items == {} and "眼下没有等你处理的事" in html


def test_returned_enrollments_and_approvals_go_to_who_acts_on_them(
    client, closed, qiaokou_reviewer, city_officer
):
    rows = list(closed.enrollments.filter(community__district__code="420104"))
    enrollments_decide(rows, "checks_met", actor=qiaokou_reviewer)
    enrollments_decide(rows, "recommend", actor=qiaokou_reviewer)
    items, _ = todo(client, city_officer)
    assert items["approvals"][:2] == ("待批准的推荐", 3)
    assert items["approvals"][2] == reverse("console:approval", args=["todo"])
    enrollments_decide(rows[:1], "return", actor=city_officer, reason="请补充材料")
    assert todo(client, city_officer)[0]["approvals"][1] == 2
    items, _ = todo(client, qiaokou_reviewer)
    assert items["returned"][:2] == ("市已退回", 1)
    assert "to_check" not in items and "approvals" not in items


def test_objections_and_the_end_of_the_notice(
    client, closed, qiaokou_reviewer, jiangan_reviewer, city_officer
):
    rows = list(closed.enrollments.all())
    enrollments_decide(rows, "checks_met", actor=city_officer)
    for enrollment in rows:
        enrollment.review_status = "approved"
    Enrollment.objects.bulk_update(rows, ["review_status"])
    publication = publication_publish_preliminary(closed, actor=city_officer)
    entry = publication.entries.get(community_name="硚口甲")
    objection_file(entry, contact_name="王", contact="138", text="门岗夜间无人")
    items, _ = todo(client, qiaokou_reviewer)
    assert items["objections"][:2] == ("待答复的异议", 1)
    assert "objections" not in todo(client, jiangan_reviewer)[0]
    items, html = todo(client, city_officer)
    assert items["objections"][1] == 1
    assert "notice_ending" not in items  # seven days away
    publication.notice_ends_at = publication.published_at + __import__("datetime").timedelta(days=2)
    publication.save(update_fields=["notice_ends_at"])
    items, html = todo(client, city_officer)
    assert items["notice_ending"][0] == "公示即将结束"


def test_the_todo_page_makes_as_many_queries_for_50_rows_as_for_1(
    client, qiaokou, jiangan, company, city_officer, qiaokou_reviewer
):
    def count(user):
        client.force_login(user)
        client.get(reverse("console:dashboard"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("console:dashboard"))
        return len(queries)

    campaign = make_campaign(slug="todo-one", min_responses=5)
    community = Community.objects.create(
        district=qiaokou, name="一", households=50, company=company
    )
    enrollment_create(campaign, community)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    one = count(qiaokou_reviewer), count(city_officer)
    for i in range(49):
        community = Community.objects.create(
            district=qiaokou, name=f"又{i}", households=50, company=company
        )
        Enrollment.objects.create(
            campaign=campaign, community=community, company=company, households=50
        )
    other = make_campaign(slug="todo-two", min_responses=5)
    Enrollment.objects.create(campaign=other, community=community, company=company, households=50)
    campaign_transition(other, "close", actor=city_officer)
    monitoring_finalise(other, actor=city_officer)
    assert (count(qiaokou_reviewer), count(city_officer)) == one


def test_the_dashboard_does_not_count_a_withdrawn_entry_as_approved(client, closed, city_officer):
    # Bug: after a withdrawal the dashboard still counted the entry as approved.
    from datetime import timedelta

    from django.utils import timezone

    from reviews.publishing import entry_withdraw, publication_publish_final

    closed.enrollments.update(review_status="approved")
    publication_publish_preliminary(closed, actor=city_officer)
    later = timezone.now() + timedelta(days=30)
    final = publication_publish_final(closed, actor=city_officer, now=later)
    entry_withdraw(
        final.entries.get(community_name="硚口甲"), actor=city_officer, reason="违规", now=later
    )
    client.force_login(city_officer)
    html = client.get(reverse("console:dashboard")).content.decode()
    row = re.search(r'<tr>\s*<td><a href="/console/campaigns/todo/">.*?</tr>', html, re.S)[0]
    numbers = re.findall(r'<td class="num">(\d+)</td>', row)
    assert numbers == [
        "4",
        "0",
        "0",
        "3",
        "1",
    ]  # communities, to review, recommended, approved, withdrawn


def test_the_publish_page_lists_the_undecided_and_asks_to_leave_them_out(
    client, closed, city_officer
):
    closed.enrollments.exclude(community__name="硚口甲").update(review_status="approved")
    client.force_login(city_officer)
    url = reverse("console:publish", args=["todo", "preliminary"])
    html = client.get(url).content.decode()
    assert "1个小区尚未作出决定" in html and "硚口甲" in html and 'name="leave_out"' in html
    response = client.post(url, follow=True)
    assert "尚未作出决定：硚口甲" in response.content.decode()
    assert not closed.publications.exists()
    client.post(url, {"leave_out": "yes"})
    assert closed.publications.get().entries.count() == 3
