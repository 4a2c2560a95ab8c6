"""A lifecycle that forgives (issue 12): a draft edited, a campaign cancelled with a
reason, opening early moves the start, confirmation pages in numbers, the schedule
shown as "opens in …"/"closes in …", practice campaigns kept off the public site."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import AuditEntry, Campaign
from monitoring.holds import monitoring_finalise
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


def draft(**kwargs):
    now = timezone.now()
    defaults = dict(
        status=Campaign.Status.DRAFT,
        opens_at=now + timedelta(days=2, minutes=5),
        closes_at=now + timedelta(days=9),
    )
    return make_campaign(**{**defaults, **kwargs})


def form_data(campaign, **changes):
    data = {
        "name": campaign.name,
        "name_en": campaign.name_en,
        "description": campaign.description,
        "opens_at": timezone.localtime(campaign.opens_at).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": timezone.localtime(campaign.closes_at).strftime("%Y-%m-%dT%H:%M"),
        "opens_on_schedule": "on",
        "threshold_percent": "90",
        "min_responses": "20",
        "min_coverage_percent": "10",
        "satisfied_answers": ["satisfied", "basically_satisfied"],
        "notice_days": "5",
    }
    data.update(changes)
    return data


def test_a_draft_is_edited_and_the_change_audited(client, city_officer):
    campaign = draft(slug="d1")
    client.force_login(city_officer)
    url = reverse("console:campaign_edit", args=[campaign.slug])
    asked = list(campaign.criteria.all())
    response = client.post(url, form_data(campaign, name="2026年新名称", threshold_percent="85"))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "2026年新名称" and str(campaign.threshold_percent) == "85.00"
    # The questions are changed on their own page (tests/console/test_questionnaires.py).
    assert list(campaign.criteria.all()) == asked
    entry = AuditEntry.objects.get(action="campaign_updated")
    assert (
        "threshold_percent=90.00" in entry.old_value and "threshold_percent=85" in entry.new_value
    )
    assert entry.actor == city_officer


def test_a_bad_edit_says_why_and_changes_nothing(client, city_officer):
    campaign = draft(slug="d2")
    client.force_login(city_officer)
    url = reverse("console:campaign_edit", args=[campaign.slug])
    response = client.post(url, form_data(campaign, closes_at="2020-01-01T00:00", name="不应保存"))
    assert response.status_code == 200
    assert (
        "评议结束时间必须晚于开始时间" in response.content.decode()
        or "errorlist" in response.content.decode()
    )
    campaign.refresh_from_db()
    assert campaign.name != "不应保存"
    assert not AuditEntry.objects.filter(action="campaign_updated").exists()


def test_an_open_campaign_cannot_be_edited(client, city_officer, enrollment):
    client.force_login(city_officer)
    response = client.get(
        reverse("console:campaign_edit", args=[enrollment.campaign.slug]), follow=True
    )
    assert "只有尚未开始评议的活动才能修改" in response.content.decode()


def test_opening_early_asks_and_moves_the_start(client, city_officer, community):
    campaign = draft(slug="early")
    enrollment = enrollment_create(campaign, community)
    codes_issue(enrollment, 3)
    client.force_login(city_officer)
    url = reverse("console:campaign_transition", args=[campaign.slug, "open"])
    page = client.get(url).content.decode()
    assert "开始时间提前到现在" in page or "moves the start to now" in page
    assert (
        "1 个参评小区" in page and "已发放 3 个住户评议码" in page and "目前已有 0 条评议" in page
    )
    client.post(url, {"reason": ""})
    campaign.refresh_from_db()
    assert campaign.status == "open" and campaign.accepts_ratings()
    # Never "open" while refusing ratings: the resident's page takes the rating.
    assert campaign.opens_at <= timezone.now()


def test_the_campaign_page_says_when_rating_opens_and_closes(client, city_officer, enrollment):
    client.force_login(city_officer)
    page = client.get(reverse("console:campaign", args=[enrollment.campaign.slug]))
    assert "后结束" in page.content.decode()  # "closes in 7 days"
    campaign = draft(slug="later", opens_on_schedule=True)
    page = client.get(reverse("console:campaign", args=[campaign.slug]))
    assert "2" in page.content.decode() and "后开始" in page.content.decode()


def test_a_cancelled_campaign_leaves_the_public_site_and_is_kept(client, city_officer, enrollment):
    campaign = enrollment.campaign
    add_ratings(enrollment, satisfied=3)
    assert campaign.name in client.get("/").content.decode()
    client.force_login(city_officer)
    url = reverse("console:campaign_cancel", args=[campaign.slug])
    page = client.get(url).content.decode()
    assert "目前已有 3 条评议" in page
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    client.post(url, {"reason": "演练结束"})
    campaign.refresh_from_db()
    assert campaign.status == "cancelled" and campaign.cancel_reason == "演练结束"
    assert AuditEntry.objects.filter(action="campaign_cancelled", reason="演练结束").exists()
    assert campaign.enrollments.get().ratings.count() == 3
    client.logout()
    assert campaign.name not in client.get("/").content.decode()


def _published(slug, community, city_officer, **kwargs):
    from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
    from reviews.publishing import publication_publish_final, publication_publish_preliminary

    campaign = make_campaign(slug=slug, min_responses=1, **kwargs)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=5)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=city_officer, met=True)
    enrollment_recommend(enrollment, actor=city_officer)
    enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(minutes=1)
    )
    return Campaign.objects.get(pk=campaign.pk)


def test_a_practice_campaign_never_appears_on_the_public_site_or_in_open_data(
    client, city_officer, community
):
    practice = _published("practice", community, city_officer, name="练习活动", is_practice=True)
    assert practice.status == "published"
    for url in ("/", "/open-data/", f"/lists/{practice.slug}/", f"/communities/{community.pk}/"):
        response = client.get(url)
        assert "练习活动" not in response.content.decode(), url
    assert client.get(f"/open-data/{practice.slug}.csv").status_code == 404
    assert client.get(f"/open-data/{practice.slug}.json").status_code == 404
    assert client.get(f"/lists/{practice.slug}/").status_code == 404


def test_an_open_practice_campaign_is_not_on_the_home_page_but_takes_ratings(
    client, community, criteria
):
    practice = make_campaign(slug="drill", name="培训演练活动", is_practice=True)
    enrollment = enrollment_create(practice, community)
    (code,) = codes_issue(enrollment, 1)
    assert "培训演练活动" not in client.get("/").content.decode()
    assert client.get(f"/r/{code}").status_code == 200


def test_a_community_is_unenrolled_before_rating_opens_and_kept_in_the_records(
    client, city_officer, community, criteria
):
    campaign = draft(slug="unenroll")
    enrollment = enrollment_create(campaign, community)
    (code,) = codes_issue(enrollment, 1)
    client.force_login(city_officer)
    url = reverse("console:unenroll", args=[enrollment.pk])
    assert "1 个住户评议码" in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    client.post(url, {"reason": "小区已拆迁"})
    enrollment.refresh_from_db()
    assert enrollment.review_status == "unenrolled"
    assert AuditEntry.objects.filter(action="enrollment_removed", reason__startswith="小区已拆迁")
    client.logout()
    assert client.get(f"/r/{code}").status_code == 410  # its code was revoked
    # Nothing left to open rating with; enrolling it again brings the same row back.
    from evaluations.campaigns import TransitionRefused

    with pytest.raises(TransitionRefused):
        campaign_transition(campaign, "open", actor=city_officer)
    assert enrollment_create(campaign, community).pk == enrollment.pk
    enrollment.refresh_from_db()
    assert enrollment.review_status == "pending"


def test_an_open_campaigns_community_cannot_be_unenrolled(client, city_officer, enrollment):
    client.force_login(city_officer)
    response = client.post(
        reverse("console:unenroll", args=[enrollment.pk]), {"reason": "x"}, follow=True
    )
    assert "只能在评议开始前取消参评" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.review_status == "pending"
