"""Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES without a request and after
STAFF_SESSION_MAX_HOURS in any case (ASVS V3.3), enforced on the server; residents
and anonymous visitors are not touched."""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts import staff_security
from accounts.staff_security import LAST_ACTIVITY_KEY, LOGIN_AT_KEY
from tests.conftest import rating_post_data

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"
START = 1_900_000_000


class Clock:
    def __init__(self, monkeypatch):
        self.now = START
        monkeypatch.setattr(staff_security, "_now", lambda: self.now)

    def advance(self, minutes=0, seconds=0):
        self.now += minutes * 60 + seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def log_in(client, username="city"):
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def test_a_staff_session_idle_past_the_limit_is_logged_out_with_the_reason(
    client, clock, city_officer
):
    key = log_in(client)
    assert client.session[LOGIN_AT_KEY] == START
    clock.advance(minutes=29)
    assert client.get(reverse("console:dashboard")).status_code == 200  # activity: counts
    clock.advance(minutes=29)
    assert client.get(reverse("console:dashboard")).status_code == 200
    clock.advance(minutes=30, seconds=1)

    url = reverse("console:campaign_create")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "30 分钟没有操作" in page and "重新登录" in page
    # And the next request is anonymous: the console asks for a login again.
    assert client.get(reverse("console:dashboard")).status_code == 302


def test_the_idle_limit_comes_from_the_setting(client, clock, settings, city_officer):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    log_in(client)
    clock.advance(minutes=5, seconds=1)
    response = client.get(reverse("console:dashboard"), follow=True)
    assert "5 分钟没有操作" in response.content.decode()


def test_activity_is_written_at_most_once_a_minute(client, clock, city_officer):
    log_in(client)
    clock.advance(seconds=30)
    client.get(reverse("console:dashboard"))
    assert client.session[LAST_ACTIVITY_KEY] == START  # not rewritten for 30 s
    clock.advance(seconds=40)
    client.get(reverse("console:dashboard"))
    assert client.session[LAST_ACTIVITY_KEY] == START + 70


def test_an_active_session_still_ends_after_the_maximum_age(client, clock, settings, city_officer):
    settings.STAFF_SESSION_MAX_HOURS = 2
    log_in(client)
    for _ in range(6):  # a request every 20 minutes for two hours
        clock.advance(minutes=20)
        assert client.get(reverse("console:dashboard")).status_code == 200
    clock.advance(minutes=1)
    response = client.get(reverse("console:dashboard"), follow=True)
    page = response.content.decode()
    assert "最长 2 小时" in page and 'name="password"' in page


def test_an_expired_session_on_a_public_page_just_continues_anonymously(
    client, clock, city_officer
):
    key = log_in(client)
    clock.advance(minutes=31)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert not Session.objects.filter(session_key=key).exists()


def test_residents_and_visitors_are_not_touched(client, clock, household_code, criteria):
    """A resident rates without a session: hours apart, nothing expires, no cookie."""
    url = f"/r/{household_code}"
    assert client.get(reverse("home")).status_code == 200
    assert client.get(url).status_code == 200
    clock.advance(minutes=600)
    response = client.post(url, rating_post_data(criteria), follow=True)
    assert response.status_code == 200
    from evaluations.models import Rating

    assert Rating.objects.filter(is_current=True).count() == 1
    assert "sessionid" not in client.cookies


def test_a_session_from_before_the_rule_starts_counting_now(client, clock, city_officer):
    client.force_login(city_officer)
    session = client.session
    del session[LOGIN_AT_KEY]
    del session[LAST_ACTIVITY_KEY]
    session.save()
    assert client.get(reverse("console:dashboard")).status_code == 200
    assert client.session[LOGIN_AT_KEY] == START and client.session[LAST_ACTIVITY_KEY] == START
