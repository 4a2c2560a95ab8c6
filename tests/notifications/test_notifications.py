"""Notifications (issue 13, item 3): each kind reaches exactly the right people — two
districts, two companies, the other district and the other company get nothing — an
inbox row always, an e-mail unless the person opted out of its kind (the row is kept:
the inbox is the record), e-mail only from the background task after the commit, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import StaffProfile
from communities.models import Community, PropertyCompany, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from notifications import kinds, services, tasks
from notifications.models import Notification, NotificationPreference
from reviews.decisions import (
    enrollment_approve,
    enrollment_recommend,
    enrollment_return,
    review_check_record,
)
from reviews.publishing import (
    objection_file,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, make_campaign, make_staff

pytestmark = pytest.mark.django_db
Role = StaffProfile.Role


def check_all(enrollment, actor):
    for rule in [*enrollment.campaign.prerequisites.all(), *enrollment.campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=actor, met=True)


@pytest.fixture
def people(city_officer, qiaokou_reviewer, jiangan_reviewer, company_staffer, jiangan):
    other = PropertyCompany.objects.create(name="江岸物业有限公司")
    idle = PropertyCompany.objects.create(name="无关物业有限公司")
    staff = {
        "city": city_officer,
        "qiaokou": qiaokou_reviewer,
        "jiangan": jiangan_reviewer,
        "company": company_staffer,
        "other_company": make_staff("other", Role.COMPANY, company=other),
        "idle_company": make_staff("idle", Role.COMPANY, company=idle),
    }
    for name, user in staff.items():
        user.email = f"{name}@example.gov.cn"
        user.save(update_fields=["email"])
    return staff


@pytest.fixture
def approved(people, community, jiangan):
    """Two communities, one a district and a company each, rated, checked, recommended
    and approved; the campaign closed and its monitoring finalised."""
    campaign = make_campaign(slug="notify", min_responses=20)
    other_company = PropertyCompany.objects.get(name="江岸物业有限公司")
    street = Street.objects.create(district=jiangan, name="大智街道")
    second = Community.objects.create(
        district=jiangan, street=street, name="江岸花园", households=100, company=other_company
    )
    enrollments = {"qiaokou": enrollment_create(campaign, community)}
    enrollments["jiangan"] = enrollment_create(campaign, second)
    for enrollment in enrollments.values():
        add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=people["city"])
    monitoring_finalise(campaign, actor=people["city"])
    for district, enrollment in enrollments.items():
        check_all(enrollment, people[district])
        enrollment_recommend(enrollment, actor=people[district])
        enrollment_approve(enrollment, actor=people["city"])
    return enrollments


@pytest.fixture
def preliminary(approved, people):
    campaign = approved["qiaokou"].campaign
    return publication_publish_preliminary(campaign, actor=people["city"])


def told(kind):
    """Who has a row of this kind (user names, sorted)."""
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


def mailed():
    return sorted(address for message in mail.outbox for address in message.to)


# --- who is told ----------------------------------------------------------------------


def test_a_returned_enrollment_reaches_the_reviewers_of_its_district_only(
    approved, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrollment_return(approved["qiaokou"], actor=people["city"], reason="核查照片不清")
    assert told(kinds.RETURNED) == ["qiaokou"]
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert mailed() == ["qiaokou@example.gov.cn"]
    message = mail.outbox[0]
    assert "汉口春天" in message.subject
    assert "核查照片不清" in message.body
    assert reverse("console:enrollment", args=[approved["qiaokou"].pk]) in message.body
    row = Notification.objects.get()
    assert row.email == Notification.Email.SENT and row.emailed_at is not None


def test_a_new_objection_reaches_its_district_and_the_city(
    preliminary, people, django_capture_on_commit_callbacks
):
    entry = preliminary.entries.get(community_name="汉口春天")
    with django_capture_on_commit_callbacks(execute=True):
        objection_file(entry, contact_name="王", contact="13800000000", text="电梯常坏")
    assert told(kinds.OBJECTION) == ["city", "qiaokou"]
    assert mailed() == ["city@example.gov.cn", "qiaokou@example.gov.cn"]
    assert all("汉口春天" in m.subject for m in mail.outbox)
    # the other district's objection goes to the other district
    other = preliminary.entries.get(community_name="江岸花园")
    objection_file(other, contact_name="李", contact="13900000000", text="绿化差")
    assert sorted(
        Notification.objects.filter(kind=kinds.OBJECTION, params__community="江岸花园").values_list(
            "recipient__username", flat=True
        )
    ) == ["city", "jiangan"]


def test_the_end_of_the_notice_reaches_the_city_once(preliminary, people):
    ends = preliminary.notice_ends_at
    # two days before: not yet
    assert services.notice_ending_soon(now=ends - timedelta(hours=48)) == []
    assert told(kinds.NOTICE_ENDING) == []
    created = services.notice_ending_soon(now=ends - timedelta(hours=12))
    assert len(created) == 1
    assert told(kinds.NOTICE_ENDING) == ["city"]
    # the beat runs again and again: one row per publication and person, one e-mail
    assert services.notice_ending_soon(now=ends - timedelta(hours=11)) == []
    tasks.notify_notice_ending.apply()
    assert told(kinds.NOTICE_ENDING) == ["city"]
    assert mailed() == ["city@example.gov.cn"]
    services.send_pending()
    assert len(mail.outbox) == 1
    # after the end: nothing
    assert services.notice_ending_soon(now=ends + timedelta(minutes=1)) == []


def test_the_final_list_reaches_each_listed_company_with_its_own_communities(
    preliminary, people, django_capture_on_commit_callbacks
):
    later = preliminary.notice_ends_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        publication_publish_final(preliminary.campaign, actor=people["city"], now=later)
    assert told(kinds.FINAL_PUBLISHED) == ["huizhimei", "other"]
    assert mailed() == ["company@example.gov.cn", "other_company@example.gov.cn"]
    ours = Notification.objects.get(recipient=people["company"])
    assert "汉口春天" in ours.body and "江岸花园" not in ours.body
    theirs = Notification.objects.get(recipient=people["other_company"])
    assert "江岸花园" in theirs.body and "汉口春天" not in theirs.body
    assert ours.link == reverse("campaign_list", args=[preliminary.campaign.slug])


# --- opting out, sending once, never in the request -----------------------------------


def test_opting_out_stops_the_email_and_keeps_the_inbox_row(
    approved, people, client, django_capture_on_commit_callbacks
):
    reviewer = people["qiaokou"]
    client.force_login(reviewer)
    # every kind but the return stays ticked
    keep = [k for k, _label in kinds.KIND_CHOICES if k != kinds.RETURNED]
    response = client.post(reverse("console:inbox_preferences"), {"email": keep})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=reviewer, kind=kinds.RETURNED).email is False
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
    row = Notification.objects.get(recipient=reviewer)
    assert row.email == Notification.Email.OPTED_OUT and row.emailed_at is None
    assert mail.outbox == []
    page = client.get(reverse("console:inbox")).content.decode()
    assert "汉口春天" in page
    # the page shows the choice: the return unticked, the others ticked
    page = client.get(reverse("console:inbox_preferences")).content.decode()
    assert f'value="{kinds.RETURNED}">' in page
    assert f'value="{kinds.OBJECTION}" checked>' in page


def test_a_request_never_sends_mail_the_task_after_the_commit_does(
    approved, people, client, django_capture_on_commit_callbacks
):
    client.force_login(people["city"])
    url = reverse("console:enrollment_decide", args=[approved["jiangan"].pk, "return"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"reason": "材料不全"})
    assert response.status_code == 302
    assert told(kinds.RETURNED) == ["jiangan"]
    assert mail.outbox == []
    assert len(callbacks) >= 1
    for callback in callbacks:
        callback()
    assert mailed() == ["jiangan@example.gov.cn"]


def test_sending_is_idempotent(approved, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
    row = Notification.objects.get()
    tasks.send_notification_emails.apply(args=[[row.pk]])
    tasks.send_notification_emails.apply(args=[[row.pk]])
    services.send_pending()
    assert len(mail.outbox) == 1


def test_an_account_without_an_address_keeps_the_row_and_no_mail_is_tried(approved, people):
    people["qiaokou"].email = ""
    people["qiaokou"].save(update_fields=["email"])
    enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
    row = Notification.objects.get()
    assert services.notification_send(row.pk) == Notification.Email.NO_ADDRESS
    assert mail.outbox == []


def test_a_rolled_back_decision_tells_nobody(approved, people):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
        raise RuntimeError
    assert Notification.objects.count() == 0


def test_the_text_is_in_the_readers_language(approved, people):
    enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
    row = Notification.objects.get()
    with translation.override("en"):
        assert row.subject.startswith("Returned: 汉口春天")
    with translation.override("zh-hans"):
        assert not row.subject.startswith("Returned")


def test_a_provider_backend_of_anymail_sends_the_same_message(approved, people, settings):
    """The production path: a django-anymail backend (its test backend, no network)."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    enrollment_return(approved["qiaokou"], actor=people["city"], reason="再核查")
    row = Notification.objects.get()
    assert services.notification_send(row.pk) == Notification.Email.SENT
    assert [m.to for m in mail.outbox] == [["qiaokou@example.gov.cn"]]
    assert mail.outbox[0].anymail_test_params["subject"].startswith("退回：汉口春天")


def test_the_email_backend_comes_from_the_environment(monkeypatch):
    """Console backend by default (make run, DEBUG); a provider's when EMAIL_BACKEND
    names one; the tests' locmem is pytest-django's."""
    import importlib

    import config.settings as config_settings

    try:
        monkeypatch.delenv("EMAIL_BACKEND", raising=False)
        assert importlib.reload(config_settings).EMAIL_BACKEND.endswith("console.EmailBackend")
        monkeypatch.setenv("EMAIL_BACKEND", "anymail.backends.mailgun.EmailBackend")
        monkeypatch.setenv("ANYMAIL_MAILGUN_API_KEY", "key-test")
        reloaded = importlib.reload(config_settings)
        assert reloaded.EMAIL_BACKEND == "anymail.backends.mailgun.EmailBackend"
        assert reloaded.ANYMAIL == {"MAILGUN_API_KEY": "key-test"}
    finally:
        monkeypatch.undo()
        importlib.reload(config_settings)
