"""Staff accounts: `manage.py create_staff`, and the login lockout."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from evaluations.models import StaffProfile

pytestmark = pytest.mark.django_db


def create_staff(*args):
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_district_reviewer_with_a_generated_password(client, qiaokou):
    out = create_staff("wang", "--role", "district", "--district", "420104")
    password = out.split("password: ")[1].strip()
    user = get_user_model().objects.get(username="wang")
    assert user.staff_profile.role == StaffProfile.Role.DISTRICT
    assert list(user.staff_profile.districts.values_list("code", flat=True)) == ["420104"]
    assert user.has_perm("evaluations.review_enrollment")
    assert not user.has_perm("evaluations.publish_list")
    assert not user.is_staff  # the Django admin is for the city bureau only
    response = client.post(reverse("console:login"), {"username": "wang", "password": password})
    assert response.status_code == 302


def test_it_changes_a_role_and_scope_on_a_second_run(qiaokou, company):
    create_staff("li", "--role", "district", "--district", "420104")
    create_staff("li", "--role", "company", "--company", company.name)
    user = get_user_model().objects.get(username="li")
    assert user.staff_profile.role == StaffProfile.Role.COMPANY
    assert user.staff_profile.company == company
    assert list(user.groups.values_list("name", flat=True)) == ["物业服务企业"]
    assert not user.has_perm("evaluations.review_enrollment")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "district"], "at least one --district"),
        (["--role", "district", "--district", "999999"], "Unknown district"),
        (["--role", "company"], "--company"),
        (["--role", "company", "--company", "无此企业"], "No property company"),
        (["--role", "city", "--password", "123"], "密码"),
    ],
)
def test_bad_arguments_are_refused(qiaokou, args, message):
    with pytest.raises(CommandError) as error:
        create_staff("zhao", *args)
    assert message in str(error.value)
    assert not get_user_model().objects.filter(username="zhao").exists()


def test_repeated_wrong_passwords_lock_the_login(client, settings, city_officer):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("console:login")
    for _ in range(3):
        response = client.post(url, {"username": "city", "password": "wrong"})
    response = client.post(url, {"username": "city", "password": "a-long-test-password-1"})
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()
    # Another address is not locked out by this one.
    other = client.post(
        url,
        {"username": "city", "password": "a-long-test-password-1"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert other.status_code == 302


def test_logging_in_rotates_the_session(client, city_officer):
    session = client.session
    session["visited"] = True
    session.save()
    before = client.cookies["sessionid"].value
    client.post(
        reverse("console:login"), {"username": "city", "password": "a-long-test-password-1"}
    )
    after = client.cookies["sessionid"].value
    assert before != after
    assert client.session["visited"] is True  # rotated, not emptied


def test_the_demo_can_end_a_notice_period_only_with_debug(
    settings, community, city_officer, qiaokou_reviewer
):
    from evaluations.models import AuditEntry, Publication
    from evaluations.services import enrollment_create
    from evaluations.workflow import (
        campaign_transition,
        enrollment_approve,
        enrollment_recommend,
        publication_publish_final,
        publication_publish_preliminary,
        review_check_record,
    )

    from .conftest import add_ratings, make_campaign

    campaign = make_campaign(slug="walk")
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=3)
    campaign_transition(campaign, "close", actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication_publish_preliminary(campaign, actor=city_officer)
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_end_notice", "walk", stdout=io.StringIO())
    settings.DEBUG = True
    call_command("demo_end_notice", "walk", stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="notice_shortened").exists()
    publication_publish_final(campaign, actor=city_officer)
    assert Publication.objects.current().get(campaign=campaign).entries.count() == 1
