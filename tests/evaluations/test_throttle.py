"""Repeated wrong codes from one client are slowed down, then refused for a while."""

import pytest
from django.test import override_settings

from evaluations.models import Rating
from tests.conftest import rating_post_data

pytestmark = pytest.mark.django_db

WRONG = "ABCDEFGHJKLM"


@override_settings(CODE_FAILURES_SLOWDOWN="3/m", CODE_FAILURES_LOCKOUT="100/h")
def test_after_a_few_wrong_codes_the_client_must_wait(client, household_code, criteria):
    for _ in range(3):
        assert client.get(f"/r/{WRONG}").status_code == 404
    response = client.get(f"/r/{household_code}")
    assert response.status_code == 429
    assert "请等待约" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    # Even the right code is refused while the client waits, and nothing is written.
    response = client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert response.status_code == 429
    assert Rating.objects.count() == 0


@override_settings(CODE_FAILURES_SLOWDOWN="1000/m", CODE_FAILURES_LOCKOUT="4/h")
def test_many_wrong_codes_lock_the_client_out(client, household_code):
    for _ in range(4):
        client.get("/r/", {"code": "not-a-code"})
    response = client.get(f"/r/{household_code}")
    assert response.status_code == 429
    assert "已暂停约" in response.content.decode()


@override_settings(CODE_FAILURES_SLOWDOWN="3/m", CODE_FAILURES_LOCKOUT="100/h")
def test_limits_are_per_client_address(client, household_code):
    for _ in range(3):
        client.get(f"/r/{WRONG}", REMOTE_ADDR="10.0.0.1")
    assert client.get(f"/r/{household_code}", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.get(f"/r/{household_code}", REMOTE_ADDR="10.0.0.2").status_code == 200


@override_settings(CODE_FAILURES_SLOWDOWN="3/m", CODE_FAILURES_LOCKOUT="100/h")
def test_successful_look_ups_do_not_count(client, household_code):
    for _ in range(10):
        assert client.get(f"/r/{household_code}").status_code == 200


def test_a_cache_outage_does_not_lock_residents_out(client, household_code, monkeypatch):
    import evaluations.throttle as throttle

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(throttle, "get_usage", broken)
    assert client.get(f"/r/{household_code}").status_code == 200
    assert client.get(f"/r/{WRONG}").status_code == 404


def test_head_requests_are_answered(client, household_code):
    assert client.head("/healthz").status_code == 200
    assert client.head(f"/r/{household_code}").status_code == 200
