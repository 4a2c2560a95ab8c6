"""Staff accounts: `manage.py create_staff`, and the login lockout."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import StaffProfile
from monitoring.holds import monitoring_finalise

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
    response = client.post(reverse("accounts:login"), {"username": "wang", "password": password})
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
    url = reverse("accounts:login")
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
        reverse("accounts:login"), {"username": "city", "password": "a-long-test-password-1"}
    )
    after = client.cookies["sessionid"].value
    assert before != after
    assert client.session["visited"] is True  # rotated, not emptied


def test_the_demo_can_end_a_notice_period_only_with_debug(
    settings, community, city_officer, qiaokou_reviewer
):
    from evaluations.campaigns import campaign_transition, enrollment_create
    from evaluations.models import AuditEntry
    from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
    from reviews.models import Publication
    from reviews.publishing import publication_publish_final, publication_publish_preliminary
    from tests.conftest import add_ratings, make_campaign

    campaign = make_campaign(slug="walk")
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=3)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
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


# --- passwords (OWASP ASVS 4.0 V2.1) -------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "accepted", "message"),
    [
        ("a9-Kq2x", False, "密码太短"),  # 7 characters: under 12
        ("password1234", False, "太常见"),  # on the common-password list
        ("123456789012", False, "一串"),  # a run of characters (NIST SP 800-63B)
        ("aaaaaaaaaaaaaaaa", False, "一串"),
        ("qwertyuiopasdf", False, "一串"),
        ("zhangwei.city1", False, "相似"),  # close to the user name
        (("the lift works again " * 7)[:129], False, "密码太长"),  # over 128 characters
        ("x7" * 64, False, "一串"),
        # No composition rules: lower-case words and spaces, Chinese, digits only.
        ("correct horse battery staple", True, ""),
        ("我家小区的电梯每天都有人打扫干净", True, ""),
        ("804127395618", True, ""),
        ("楼下的桂花开了 🌼 二〇二六年秋", True, ""),
        (("the lift works again " * 7)[:128], True, ""),  # 128 characters: allowed
    ],
)
def test_create_staff_applies_the_password_rules(password, accepted, message):
    args = ["zhangwei.city", "--role", "city", "--password", password]
    if accepted:
        create_staff(*args)
        user = get_user_model().objects.get(username="zhangwei.city")
        assert user.check_password(password)
    else:
        with pytest.raises(CommandError) as error:
            create_staff(*args)
        assert message in str(error.value)
        assert not get_user_model().objects.filter(username="zhangwei.city").exists()


def test_the_password_rules_are_the_asvs_ones(settings):
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "MaximumLengthValidator",
        "CommonPasswordValidator",
        "SequencePasswordValidator",
    ]  # NumericPasswordValidator (a composition rule) is not there


def test_a_long_passphrase_is_not_truncated(client, db):
    passphrase = "汉口春天小区的物业每天清扫楼道 and the lift works " * 3  # 105 characters
    assert len(passphrase) > 100
    create_staff("wu", "--role", "city", "--password", passphrase)
    url = reverse("accounts:login")
    assert client.post(url, {"username": "wu", "password": passphrase[:72]}).status_code == 200
    assert client.post(url, {"username": "wu", "password": passphrase}).status_code == 302


def test_staff_change_their_password_in_the_console(client, city_officer):
    client.post(
        reverse("accounts:login"), {"username": "city", "password": "a-long-test-password-1"}
    )
    url = reverse("accounts:password_change")
    page = client.get(url)
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    old_key = client.cookies["sessionid"].value

    wrong_old = client.post(
        url,
        {
            "old_password": "not-my-password",
            "new_password1": "the lift was fixed on monday",
            "new_password2": "the lift was fixed on monday",
        },
    )
    assert wrong_old.status_code == 200 and "旧密码不正确" in wrong_old.content.decode()
    weak = client.post(
        url,
        {
            "old_password": "a-long-test-password-1",
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert weak.status_code == 200 and "太常见" in weak.content.decode()
    city_officer.refresh_from_db()
    assert city_officer.check_password("a-long-test-password-1")

    done = client.post(
        url,
        {
            "old_password": "a-long-test-password-1",
            "new_password1": "the lift was fixed on monday",
            "new_password2": "the lift was fixed on monday",
        },
        follow=True,
    )
    assert "密码已修改" in done.content.decode()
    city_officer.refresh_from_db()
    assert city_officer.check_password("the lift was fixed on monday")
    # Still logged in, under a new session key; the old key is gone.
    assert client.cookies["sessionid"].value != old_key
    assert client.get(reverse("console:dashboard")).status_code == 200
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=old_key).exists()


def test_logging_out_ends_the_session_on_the_server(client, city_officer):
    from django.contrib.sessions.models import Session

    client.post(
        reverse("accounts:login"), {"username": "city", "password": "a-long-test-password-1"}
    )
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old cookie gets nobody in.
    client.cookies["sessionid"] = key
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_logging_out_needs_a_post(client, city_officer):
    client.force_login(city_officer)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("console:dashboard")).status_code == 200


def test_the_roles_hold_the_permissions_of_the_apps_that_own_them(db):
    from django.contrib.auth.models import Group

    from accounts.roles import GROUP_NAMES, Role

    district = Group.objects.get(name=GROUP_NAMES[Role.DISTRICT])
    names = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in district.permissions.select_related("content_type")
    }
    assert {"reviews.answer_objection", "showcases.moderate_showcase"} <= names
    assert not any(name.startswith("evaluations.answer_") for name in names)


def test_a_role_naming_a_permission_that_does_not_exist_fails_loudly(db, monkeypatch):
    from accounts import roles

    monkeypatch.setitem(
        roles.ROLE_PERMISSIONS,
        roles.Role.DISTRICT,
        [*roles.ROLE_PERMISSIONS[roles.Role.DISTRICT], "evaluations.answer_objection"],
    )
    with pytest.raises(roles.MissingPermission, match="evaluations.answer_objection"):
        roles.ensure_groups()


def test_distributed_password_guessing_locks_the_account_across_addresses(
    client, settings, city_officer
):
    """Issue 11: 40 wrong passwords from 10 addresses, then the right one, logged in
    (the lockout was per account and address only)."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.STAFF_ACCOUNT_FAILURE_LIMIT = 20
    url = reverse("accounts:login")
    for i in range(40):
        client.post(url, {"username": "city", "password": "wrong"}, REMOTE_ADDR=f"10.9.{i % 10}.1")
    response = client.post(
        url, {"username": "city", "password": "a-long-test-password-1"}, REMOTE_ADDR="10.9.99.1"
    )
    assert response.status_code == 429
    assert "来自多个地点" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_few_wrong_passwords_elsewhere_do_not_lock_the_account(client, settings, city_officer):
    settings.AXES_FAILURE_LIMIT = 5
    settings.STAFF_ACCOUNT_FAILURE_LIMIT = 20
    url = reverse("accounts:login")
    for i in range(4):
        client.post(url, {"username": "city", "password": "wrong"}, REMOTE_ADDR=f"10.8.{i}.1")
    response = client.post(
        url, {"username": "city", "password": "a-long-test-password-1"}, REMOTE_ADDR="10.8.9.1"
    )
    assert response.status_code == 302


def test_ipv6_addresses_of_one_64_count_as_one_address(client, settings, city_officer):
    settings.AXES_FAILURE_LIMIT = 3
    url = reverse("accounts:login")
    for i in range(3):
        client.post(
            url, {"username": "city", "password": "wrong"}, REMOTE_ADDR=f"2001:db8:1:2::{i + 1}"
        )
    same_64 = client.post(
        url,
        {"username": "city", "password": "a-long-test-password-1"},
        REMOTE_ADDR="2001:db8:1:2:ffff::9",
    )
    assert same_64.status_code == 429
    other_64 = client.post(
        url,
        {"username": "city", "password": "a-long-test-password-1"},
        REMOTE_ADDR="2001:db8:1:3::1",
    )
    assert other_64.status_code == 302
