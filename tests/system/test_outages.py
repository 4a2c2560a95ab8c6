"""Degrade, don't fall (issue 15): with the shared cache really down — a Redis cache of
the production kind (config.caching.redis_cache) pointed at a port where nothing
listens, or at one that accepts and never answers — residents rate and get their
receipt, staff log in and work, the public pages render. With the database down, the
resident gets a 503 page that says to come back, and /readyz takes the server out of
the pool while /healthz still answers."""

from __future__ import annotations

import logging
import socket
import threading
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError
from django.urls import reverse
from redis.connection import Connection

from config.caching import redis_cache
from evaluations.models import Rating
from tests.conftest import rating_post_data

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def connect_attempts(monkeypatch):
    """Every attempt of the Redis client to open a connection."""
    attempts = []
    original = Connection.connect

    def counting(self):
        attempts.append(self.port)
        return original(self)

    monkeypatch.setattr(Connection, "connect", counting)
    return attempts


def _use_cache(settings, location: str) -> None:
    settings.CACHES = {"default": redis_cache(location, socket_timeout=0.05, retry_seconds=60)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.RATELIMIT_ENABLE = True
    settings.RATELIMIT_USE_CACHE = "default"


@pytest.fixture
def redis_down(settings):
    """Nothing listens on port 1: every connection is refused."""
    _use_cache(settings, "redis://127.0.0.1:1/0")


@pytest.fixture
def redis_silent(settings):
    """A server that accepts connections and never says a word: a hung Redis."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    _use_cache(settings, f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    yield
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def _rate(client, household_code, criteria):
    page = client.get(f"/r/{household_code}")
    assert page.status_code == 200
    assert "整体满意度" in page.content.decode() or "满意" in page.content.decode()
    response = client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_a_resident_rates_and_gets_a_receipt_while_redis_is_down(
    client, redis_down, household_code, criteria, caplog
):
    response = _rate(client, household_code, criteria)
    rating = Rating.objects.get()
    assert rating.is_current and rating.overall == "satisfied"
    receipt_page = client.get(response["Location"])
    assert receipt_page.status_code == 200
    assert rating.receipt_display in receipt_page.content.decode()
    # The outage is logged, once, not once per cache call.
    records = caplog.get_records("setup") + caplog.get_records("call")
    warnings = [r for r in records if r.name == "manyi.cache"]
    assert len(warnings) == 1
    assert "cache unavailable" in warnings[0].getMessage()


def test_a_hung_redis_costs_one_short_time_out_then_nothing(
    client, connect_attempts, redis_silent, household_code, criteria
):
    _rate(client, household_code, criteria)
    client.get("/")
    client.get("/receipts/check/?receipt=RABCDEFGHJKLMNPQ")
    assert Rating.objects.count() == 1
    # One connection timed out (0.05 s); after it the cache was not asked again.
    assert len(connect_attempts) == 1


def test_wrong_codes_are_answered_and_the_limits_fail_open(client, redis_down, caplog):
    from evaluations import throttle

    throttle._last_logged.clear()
    caplog.set_level(logging.WARNING)
    for _ in range(3):
        response = client.get("/r/ZZZZZZZZZZZZ")
        assert response.status_code == 404
        assert "评议码" in response.content.decode()
    # The limits say so once (a warning, not an error per request and counter).
    said = [r for r in caplog.records if r.name == "evaluations.throttle"]
    assert [(r.levelname, r.getMessage().split(" unavailable")[0]) for r in said] == [
        ("WARNING", "rate-limit counters")
    ]


def test_a_reviewer_logs_in_and_works_while_redis_is_down(
    client, redis_down, city_officer, enrollment
):
    response = client.post(reverse("accounts:login"), {"username": "city", "password": PASSWORD})
    assert response.status_code == 302
    # The session is in the database (cached_db): every server finds it.
    assert Session.objects.count() == 1
    dashboard = client.get(reverse("console:dashboard"))
    assert dashboard.status_code == 200
    assert "测试评选" in dashboard.content.decode()
    assert "no-store" in dashboard["Cache-Control"]


def test_public_pages_render_without_the_page_cache(client, redis_down, enrollment):
    for path in ["/", f"/communities/{enrollment.community.pk}/", "/search/?q=测试"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "X-Page-Cache" not in response
    assert (
        enrollment.community.name
        in client.get(f"/communities/{enrollment.community.pk}/").content.decode()
    )


def test_healthz_reports_the_cache_down_and_readyz_stays_ready(client, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "cache": "unavailable"}
    assert client.get("/readyz").status_code == 200


def test_healthz_and_readyz_with_everything_up(client, db):
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}


def test_a_server_whose_database_is_down_leaves_the_pool(client, db):
    with mock.patch("config.health.connection.cursor", side_effect=OperationalError("down")):
        ready = client.get("/readyz")
        health = client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["database"] == "unavailable"
    # Liveness: the process answers, and says what is wrong.
    assert health.status_code == 200
    assert health.json()["database"] == "unavailable"


def test_a_draining_server_is_not_ready(client, db, settings, tmp_path):
    settings.DRAIN_FILE = str(tmp_path / "draining")
    assert client.get("/readyz").status_code == 200
    (tmp_path / "draining").touch()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "draining"}


def test_a_database_outage_is_a_friendly_503_page_not_a_500(client, household_code):
    client.raise_request_exception = False
    with mock.patch(
        "evaluations.views.household_code_lookup",
        side_effect=OperationalError("connection to server failed"),
    ):
        response = client.get(f"/r/{household_code}")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "系统暂时无法使用，请稍后再试" in page
    assert "The service is briefly unavailable" in page
    assert household_code not in page


def test_a_programming_error_is_still_a_500(client, household_code):
    client.raise_request_exception = False
    with mock.patch("evaluations.views.household_code_lookup", side_effect=ZeroDivisionError):
        response = client.get(f"/r/{household_code}")
    assert response.status_code == 500
    assert "系统繁忙" in response.content.decode()


# --- a real server whose database does not answer -----------------------------------


@pytest.fixture
def server_without_database(tmp_path):
    """gunicorn with this project, its DATABASE_URL pointing where no PostgreSQL listens."""
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    from tests.system.test_several_servers import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CACHE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        MANYI_NO_DOTENV="1",
        DEBUG="0",
        SECRET_KEY=django_settings.SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL="postgres://manyi@127.0.0.1:1/manyi",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        LOG_LEVEL="WARNING",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(port: int, path: str):
    import http.client
    import time

    deadline = time.monotonic() + 20
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            return response, response.read().decode("utf-8", "replace")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        finally:
            connection.close()


def test_a_server_with_its_database_down_answers_503_pages_and_leaves_the_pool(
    server_without_database,
):
    port, log = server_without_database
    response, body = _get(port, "/readyz")
    assert response.status == 503
    assert '"database": "unavailable"' in body
    response, body = _get(port, "/healthz")
    assert response.status == 200  # alive, and saying what is wrong
    assert '"database": "unavailable"' in body and '"cache": "ok"' in body
    for path in ["/r/K7QMX2PA9RTD", "/", "/communities/1/"]:
        response, body = _get(port, path)
        assert response.status == 503, (path, log.read_text()[-2000:])
        assert response.getheader("Retry-After") == "30"
        assert "系统暂时无法使用，请稍后再试" in body and "briefly unavailable" in body
    assert "K7QMX2PA9RTD" not in log.read_text()
