"""Prometheus metrics at /metrics, for the operator's network only (METRICS_ALLOWED_IPS)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from config import metrics
from evaluations.models import Rating
from tests.conftest import rating_post_data

pytestmark = pytest.mark.django_db


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _scrape(ip: str = "127.0.0.1") -> str:
    response = Client(REMOTE_ADDR=ip).get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_outsiders_may_not_read_the_metrics(db):
    response = Client(REMOTE_ADDR="198.51.100.20").get("/metrics")
    assert response.status_code == 403
    assert "manyi_" not in response.content.decode()


def test_the_operators_network_is_a_setting(settings):
    settings.METRICS_ALLOWED_IPS = ["10.8.0.0/16"]
    assert Client(REMOTE_ADDR="10.8.3.4").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403


def test_ratings_refusals_and_requests_are_counted(household_code, criteria):
    before = _scrape()
    resident = Client(REMOTE_ADDR="198.51.100.7")
    resident.post(f"/r/{household_code}", rating_post_data(criteria))
    resident.get("/r/ZZZZZZZZZZZZ")
    resident.post(f"/r/{household_code}", {"overall": "nonsense"})
    after = _scrape()
    assert Rating.objects.count() == 1
    assert _value(after, "manyi_ratings_total") - _value(before, "manyi_ratings_total") == 1
    for kind in ("wrong_code", "invalid"):
        sample = f'manyi_rating_refusals_total{{kind="{kind}"}}'
        assert _value(after, sample) - _value(before, sample) == 1, kind
    sample = 'manyi_http_requests_total{method="POST",status="3xx"}'
    assert _value(after, sample) - _value(before, sample) == 1
    assert "manyi_cache_errors_total" in after
    assert "manyi_database_errors_total" in after


def test_the_job_queue_depth_is_zero_without_a_broker(settings):
    settings.CELERY_BROKER_URL = ""
    assert _value(_scrape(), "manyi_job_queue_depth") == 0


def test_the_job_queue_depth_is_read_from_the_broker(settings, monkeypatch):
    import redis

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"
    monkeypatch.setattr(redis.Redis, "llen", lambda self, name: 7 if name == "celery" else 0)
    assert _value(_scrape(), "manyi_job_queue_depth") == 7
    assert metrics.job_queue_depth() == 7


def test_a_broker_that_does_not_answer_reads_as_zero_and_counts_an_error(settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    before = _value(_scrape(), "manyi_cache_errors_total")
    assert metrics.job_queue_depth() == 0
    assert _value(_scrape(), "manyi_cache_errors_total") > before
