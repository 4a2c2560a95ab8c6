"""Two app servers, one PostgreSQL and one Redis: nothing is kept in one process.

Two gunicorn instances of the app (config/gunicorn.conf.py) are started on two free
localhost ports against the test database pytest-django created and a Redis database
of this test's own, and plain HTTP shows that

(a) a staff session made through server A is valid through server B,
(b) wrong household codes counted through A get the same client refused through B,
(c) a household's rating submitted through A is seen through B (and one more
    submitted through B supersedes it: one current rating in the database);
(d) 200 submits of one household code at once, spread over A and B, are all answered
    without a server error and leave exactly one counted rating (the others kept as
    history, none lost, none doubled).

It needs PostgreSQL (DATABASE_URL=postgres://…; the servers are other processes, so
the data must be committed: a transactional test) and Redis (MANYI_TEST_SERVERS_REDIS_URL,
default redis://127.0.0.1:6379/12 — that database is flushed). On SQLite it is skipped;
without Redis it is skipped with the reason, or fails with MANYI_REQUIRE_SERVERS=1.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

from evaluations.models import Rating
from tests.conftest import make_staff

BASE_DIR = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("MANYI_TEST_SERVERS_REDIS_URL", "redis://127.0.0.1:6379/12")
WAIT_SECONDS = 20
REQUEST_TIMEOUT = 10
PASSWORD = "a-long-test-password-for-two-servers"
RESIDENT_IP = "198.51.100.7"
GUESSER_IP = "203.0.113.66"
OTHER_IP = "203.0.113.99"
# Only the daily lockout counts in this test (a window that does not end mid-test).
LOCKOUT_AFTER = 3

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _unavailable(reason: str):
    if os.environ.get("MANYI_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (MANYI_REQUIRE_SERVERS=1: this test may not be skipped)")
    pytest.skip(reason)


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not IS_POSTGRES,
        reason="needs PostgreSQL (DATABASE_URL=postgres://…): two app servers share one "
        "database; SQLite is the one-process laptop setup",
    ),
]


# --- plain HTTP ---------------------------------------------------------------------


class Browser:
    """One client: its cookies and the address the proxy would report for it."""

    def __init__(self, client_ip: str):
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None):
        headers = {
            "Host": f"127.0.0.1:{port}",
            "Accept-Language": "zh-CN,zh;q=0.9",
            "X-Real-IP": self.client_ip,
            "User-Agent": "manyi-two-servers-test",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response, text


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


# --- the servers --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    # NAME is the test database pytest-django created (test_…), not the one in DATABASE_URL.
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


def server_env(port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CACHE_URL", "MANYI_PRODUCTION", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        MANYI_NO_DOTENV="1",
        DEBUG="0",
        # The same keys as this process, so that code hashes match the codes issued here.
        SECRET_KEY=settings.SECRET_KEY,
        HOUSEHOLD_CODE_KEY=settings.HOUSEHOLD_CODE_KEY,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        REDIS_URL=REDIS_URL,
        # As behind nginx (docs/deploy.md): the client address is the proxy's X-Real-IP.
        RATELIMIT_IP_META_KEY="HTTP_X_REAL_IP",
        CODE_FAILURES_SLOWDOWN="1000/m",
        CODE_FAILURES_LOCKOUT=f"{LOCKOUT_AFTER}/d",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
        GUNICORN_GRACEFUL_TIMEOUT="5",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


class Server:
    def __init__(self, name: str, log_dir: Path, **extra_env: str):
        self.name = name
        self.extra_env = extra_env
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"],
            cwd=BASE_DIR,
            env=server_env(self.port, **self.extra_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def log(self) -> str:
        return self.full_log()[-4000:]

    def full_log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server {self.name} exited ({self.process.returncode}):\n{self.log()}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/readyz", headers={"Host": "127.0.0.1"})
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        pytest.fail(f"server {self.name} not healthy within {WAIT_SECONDS} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # gunicorn: graceful shutdown
        try:
            self.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=WAIT_SECONDS)


@pytest.fixture
def shared_redis():
    try:
        import redis
    except ImportError:
        _unavailable("the redis package is not installed (pip install -e '.[dev]')")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        _unavailable(f"Redis is not reachable at {REDIS_URL} ({error})")
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def two_servers(shared_redis, tmp_path):
    """Servers A and B, started by the test once its data is committed."""
    servers = [Server("A", tmp_path), Server("B", tmp_path)]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- the test -----------------------------------------------------------------------


# Transactional (the servers are other processes: they see committed rows only), with
# serialized rollback like every transactional test of the suite (tests/browser/conftest.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_session_rate_limit_and_rating_are_shared_by_two_app_servers(
    two_servers, household_code, criteria
):
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from accounts.models import StaffProfile

    # The test process hashes passwords with MD5 (tests/conftest.py), which the servers
    # do not accept: store this one with the servers' default hasher.
    officer = make_staff("two-servers-city", StaffProfile.Role.CITY)
    hasher = PBKDF2PasswordHasher()
    officer.password = hasher.encode(PASSWORD, hasher.salt())
    officer.save(update_fields=["password"])

    a, b = two_servers
    try:
        for server in two_servers:
            server.start()
        for server in two_servers:
            server.wait_healthy()

        # (a) A session made through A is seen through B.
        staff = Browser("192.0.2.10")
        response, html = staff.request(a.port, "GET", "/console/login/")
        assert response.status == 200
        response, _ = staff.request(
            a.port,
            "POST",
            "/console/login/",
            {
                "csrfmiddlewaretoken": csrf_token(html),
                "username": officer.username,
                "password": PASSWORD,
                "next": "/console/",
            },
        )
        assert response.status == 302, a.log()
        assert response.headers["Location"] == "/console/"
        assert "sessionid" in staff.cookies
        response, html = staff.request(b.port, "GET", "/console/")
        assert response.status == 200, b.log()
        assert "测试评选" in html  # the campaign of the test data, on the dashboard
        response, _ = Browser("192.0.2.11").request(b.port, "GET", "/console/")
        assert response.status == 302  # and without the cookie: the login page

        # (c) A household's rating submitted through A is seen through B.
        resident = Browser(RESIDENT_IP)
        answers = {f"criterion_{c.pk}": "satisfied" for c in criteria}
        response, html = resident.request(a.port, "GET", f"/r/{household_code}")
        assert response.status == 200, a.log()
        assert "本户已提交过评议" not in html
        response, _ = resident.request(
            a.port,
            "POST",
            f"/r/{household_code}",
            {"csrfmiddlewaretoken": csrf_token(html), "overall": "satisfied", **answers},
        )
        assert response.status == 302, a.log()
        assert response.headers["Location"].startswith("/receipts/")
        response, html = resident.request(b.port, "GET", f"/r/{household_code}")
        assert response.status == 200, b.log()
        assert "本户已提交过评议" in html
        assert Rating.objects.filter(is_current=True).count() == 1
        # Rating again through B supersedes the rating made through A.
        response, _ = resident.request(
            b.port,
            "POST",
            f"/r/{household_code}",
            {"csrfmiddlewaretoken": csrf_token(html), "overall": "unsatisfied", **answers},
        )
        assert response.status == 302, b.log()
        # The receipt travels in the thank-you page's signed cookie, never in the address.
        assert response.headers["Location"] == "/receipts/thanks/"
        [handover] = [
            c for c in response.headers.get_all("Set-Cookie") or [] if "manyi_receipt=" in c
        ]
        receipt_b = handover.split("manyi_receipt=", 1)[1].strip('"')[:16]
        assert Rating.objects.count() == 2
        current = Rating.objects.get(is_current=True)
        assert (current.overall, current.receipt) == ("unsatisfied", receipt_b)
        # The address recorded is the client's, as the proxy reported it, not the proxy's.
        assert current.client_ip == RESIDENT_IP

        # (b) Wrong codes counted through A: the same client is refused through B.
        guesser = Browser(GUESSER_IP)
        statuses = []
        for i in range(LOCKOUT_AFTER + 2):  # bounded: the limit must be reached by then
            response, _ = guesser.request(a.port, "GET", f"/r/ZZZZZZZZZZ{'ABCDEFGH'[i]}Z")
            statuses.append(response.status)
            if response.status == 429:
                break
        assert statuses == [404] * LOCKOUT_AFTER + [429], statuses
        response, _ = guesser.request(b.port, "GET", "/r/ZZZZZZZZZZZZ")
        assert response.status == 429, b.log()
        assert int(response.headers["Retry-After"]) > 0
        # A correct code still opens at once (issue 11: evaluations/throttle.py).
        response, _ = guesser.request(b.port, "GET", f"/r/{household_code}")
        assert response.status == 200
        # Another client is not affected.
        response, _ = Browser(OTHER_IP).request(b.port, "GET", "/r/ZZZZZZZZZZZZ")
        assert response.status == 404
    finally:
        for server in two_servers:
            server.stop()


CONCURRENT_SUBMITS = 200
CLIENT_THREADS = 40


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_200_concurrent_submits_of_one_code_through_two_servers_count_once(
    two_servers, household_code, criteria
):
    a, b = two_servers
    for server in two_servers:
        server.start()
    for server in two_servers:
        server.wait_healthy()

    # One household, one form (its CSRF cookie and token), submitted 200 times at once:
    # a double-clicking resident, a script, or several family members on one notice.
    resident = Browser(RESIDENT_IP)
    response, html = resident.request(a.port, "GET", f"/r/{household_code}")
    assert response.status == 200, a.log()
    token = csrf_token(html)
    answers = {f"criterion_{c.pk}": "satisfied" for c in criteria}
    start = threading.Barrier(CLIENT_THREADS)

    def submit(i: int):
        if i < CLIENT_THREADS:
            start.wait()  # the first wave leaves together
        browser = Browser(RESIDENT_IP)
        browser.cookies = dict(resident.cookies)
        overall = ("satisfied", "basically_satisfied", "unsatisfied")[i % 3]
        response, _ = browser.request(
            (a, b)[i % 2].port,
            "POST",
            f"/r/{household_code}",
            {"csrfmiddlewaretoken": token, "overall": overall, **answers},
        )
        receipt = None
        if response.status == 302:  # the receipt comes in the handover cookie
            for cookie in response.headers.get_all("Set-Cookie") or []:
                if "manyi_receipt=" in cookie:
                    receipt = cookie.split("manyi_receipt=", 1)[1].strip('"')[:16]
        return response.status, overall, receipt

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(submit, range(CONCURRENT_SUBMITS)))

    statuses = [status for status, _, _ in results]
    assert statuses == [302] * CONCURRENT_SUBMITS, (
        sorted(set(statuses)),
        a.log() if any(s >= 500 for s in statuses) else "",
        b.log() if any(s >= 500 for s in statuses) else "",
    )
    # Every answered submit is in the database once, nothing else is; exactly one counts.
    receipts = {receipt: overall for _, overall, receipt in results}
    assert len(receipts) == CONCURRENT_SUBMITS
    stored = dict(Rating.objects.values_list("receipt", "overall"))
    assert stored == receipts
    current = Rating.objects.get(is_current=True)
    # The one that counts is the last one written.
    assert current == Rating.objects.order_by("-submitted_at", "-id").first()
    for server in two_servers:
        assert "Traceback" not in server.log(), server.log()
