"""Two app servers behind real nginx, with the site file of deploy/nginx as it is.

Debian's nginx (installed by .ci/run) is started with a generated nginx.conf that
includes deploy/nginx/manyi.conf, in which only the addresses, ports and paths marked
"site:" are replaced. While 200 residents rate (each from an address of its own, as
nginx limits per address), one server is stopped with SIGTERM as systemd does (after
draining: /readyz answers 503), started again, reloaded with SIGHUP, and — in a second
stream — killed with SIGKILL. Then:

- graceful restarts and reloads: not one 5xx seen by a resident, every resident got a
  receipt, and every receipt is a rating in the database;
- a kill: no rating lost (every receipt a resident saw is stored) and none doubled
  (no household has two ratings: nginx never sends a POST twice);
- no household code, receipt or client address in any line of nginx's access and error
  logs or of the servers' logs (Django's and gunicorn's access log), and every line of
  the servers' logs is one JSON object.

Needs PostgreSQL, Redis and nginx, as test_several_servers.py does (MANYI_REQUIRE_SERVERS=1
makes a missing one a failure). The site file is also checked by `nginx -t` alone.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from evaluations.households import codes_issue
from evaluations.models import Rating
from tests.system.test_several_servers import (
    IS_POSTGRES,
    REQUEST_TIMEOUT,
    WAIT_SECONDS,
    Server,
    _unavailable,
    csrf_token,
    free_port,
)

BASE_DIR = Path(settings.BASE_DIR)
SITE_FILE = BASE_DIR / "deploy" / "nginx" / "manyi.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
RESIDENTS = 200
# The site file's fail_timeout: how long nginx leaves a failed server alone.
FAIL_TIMEOUT = int(re.search(r"fail_timeout=(\d+)s", SITE_FILE.read_text()).group(1))
CLIENT_THREADS = 8
# Each of the client threads waits this long before its next resident: the 200 ratings
# take about 40 s, so that the restarts below happen while they stream.
PACE_SECONDS = 1.5


def _need_nginx() -> None:
    if not os.path.exists(NGINX):
        _unavailable("nginx is not installed (apt-get install nginx-light; .ci/run does)")


# --- nginx with the site file --------------------------------------------------------


def site_config(tmp: Path, upstream_ports: tuple[int, int], http_port: int, https_port: int) -> str:
    """deploy/nginx/manyi.conf with what is marked "site:" pointed at this test."""
    text = SITE_FILE.read_text("utf-8")
    replacements = [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{upstream_ports[0]} "),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{upstream_ports[1]} "),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/manyi/fullchain.pem", str(tmp / "cert.pem")),
        ("/etc/ssl/manyi/privkey.pem", str(tmp / "key.pem")),
        ("/var/log/nginx/manyi.access.log", str(tmp / "nginx-access.log")),
        ("/var/log/nginx/manyi.error.log", str(tmp / "nginx-error.log")),
        ("/srv/manyi/deploy/errors/", f"{BASE_DIR}/deploy/errors/"),
        ("/srv/manyi-media/", f"{tmp}/media/"),
    ]
    for old, new in replacements:
        assert text.count(old) == 1, f"the site file no longer has {old!r} once"
        text = text.replace(old, new)
    return text


def nginx_conf(tmp: Path, site: Path) -> str:
    return f"""
daemon off;
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-main-error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    access_log off;
    include {site};
}}
"""


def self_signed_certificate(tmp: Path) -> None:
    subprocess.run(
        [
            shutil.which("openssl") or "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1",
            "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


class Nginx:
    def __init__(self, tmp: Path, servers: list[Server]):
        self.tmp = tmp
        self.http_port = free_port()
        self.https_port = free_port()
        (tmp / "media").mkdir(exist_ok=True)
        self_signed_certificate(tmp)
        site = tmp / "manyi-site.conf"
        ports = (servers[0].port, servers[1].port)
        site.write_text(site_config(tmp, ports, self.http_port, self.https_port))
        self.conf = tmp / "nginx.conf"
        self.conf.write_text(nginx_conf(tmp, site))
        self.process: subprocess.Popen | None = None

    def check(self) -> subprocess.CompletedProcess:
        return subprocess.run(
            [NGINX, "-t", "-c", str(self.conf), "-p", str(self.tmp)],
            capture_output=True,
            text=True,
        )

    def start(self) -> None:
        log = (self.tmp / "nginx-stdout.log").open("wb")
        # As the deployment runs it (docs/deploy.md §5): nginx in UTC, for its log's times.
        self.process = subprocess.Popen(
            [NGINX, "-c", str(self.conf), "-p", str(self.tmp)],
            stdout=log,
            stderr=log,
            env={"TZ": "UTC"},
        )
        log.close()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket_to(self.https_port):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail("nginx did not listen:\n" + self.logs())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=WAIT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return "\n".join(
            path.read_text("utf-8", "replace")
            for path in sorted(self.tmp.glob("nginx-*.log"))
            if path.exists()
        )


def socket_to(port: int):
    import socket

    return socket.create_connection(("127.0.0.1", port), timeout=1)


# --- residents -------------------------------------------------------------------------

_TLS = ssl.create_default_context()
_TLS.check_hostname = False
_TLS.verify_mode = ssl.CERT_NONE


def resident_address(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def request(port: int, source: str, method: str, path: str, *, cookies=None, form=None):
    from urllib.parse import urlencode

    headers = {
        "Host": f"127.0.0.1:{port}",
        "Accept-Language": "zh-CN,zh;q=0.9",
        "Origin": f"https://127.0.0.1:{port}",
        "Referer": f"https://127.0.0.1:{port}{path}",
    }
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPSConnection(
        "127.0.0.1", port, timeout=REQUEST_TIMEOUT, context=_TLS, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
    finally:
        connection.close()
    return response, text


RECEIPT_ON_PAGE = re.compile(r"R[0-9A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def rate_once(port: int, i: int, code: str, criteria) -> tuple[int, str | None]:
    """One resident: opens the rating page, submits. The status a person saw last, and
    the receipt if they got one."""
    source = resident_address(i)
    response, html = request(port, source, "GET", f"/r/{code}")
    if response.status != 200:
        return response.status, None
    cookies = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    time.sleep(0.02)  # a person reads the page
    answers = {f"criterion_{c.pk}": "satisfied" for c in criteria}
    form = {"csrfmiddlewaretoken": csrf_token(html), "overall": "satisfied", **answers}
    response, _ = request(port, source, "POST", f"/r/{code}", cookies=cookies, form=form)
    if response.status != 302:
        return response.status, None
    # The receipt travels in no address (issue 11): the thank-you page shows it, from a
    # short-lived signed cookie the submit set.
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name.strip()] = rest.split(";", 1)[0]
    from urllib.parse import urlsplit

    where = urlsplit(response.headers["Location"]).path
    thanks, page = request(port, source, "GET", where, cookies=cookies)
    found = RECEIPT_ON_PAGE.search(page) if thanks.status == 200 else None
    return 302, found.group(0).replace("-", "") if found else None


class Stream:
    """RESIDENTS residents rating through nginx, CLIENT_THREADS at a time."""

    def __init__(self, port: int, codes: list[str], criteria, offset: int = 0):
        self.port, self.codes, self.criteria, self.offset = port, codes, criteria, offset
        self.done = 0
        self.lock = threading.Lock()
        self.results: list[tuple[int, str | None, int]] = []

    def _one(self, i: int):
        time.sleep(PACE_SECONDS)  # residents arrive over a while, not all at once
        try:
            result = rate_once(self.port, self.offset + i, self.codes[i], self.criteria)
        except OSError as error:  # a connection nginx itself dropped: seen as an error
            result = (599, repr(error))
        with self.lock:
            self.done += 1
            self.results.append((*result, self.done))
        return result

    def run_in_background(self) -> threading.Thread:
        def run():
            with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
                list(pool.map(self._one, range(len(self.codes))))

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def wait_for(self, count: int) -> None:
        assert count < len(self.codes), "the stream would be over: pace it slower"
        deadline = time.monotonic() + 120
        while self.done < count:
            assert time.monotonic() < deadline, f"the stream stalled at {self.done}"
            time.sleep(0.05)


# --- the tests -------------------------------------------------------------------------


def _codes(enrollment) -> list[str]:
    enrollment.households = RESIDENTS
    enrollment.save(update_fields=["households"])
    return codes_issue(enrollment, RESIDENTS)


def test_the_site_file_is_valid_nginx(tmp_path):
    _need_nginx()
    servers = [Server("A", tmp_path), Server("B", tmp_path)]
    result = Nginx(tmp_path, servers).check()
    assert result.returncode == 0, result.stderr


@pytest.fixture
def stack(shared_redis, tmp_path, settings):
    _need_nginx()
    if not IS_POSTGRES:
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://…)")
    servers = [
        Server(name, tmp_path, DRAIN_FILE=str(tmp_path / f"draining-{name}")) for name in ("A", "B")
    ]
    proxy = Nginx(tmp_path, servers)
    for server in servers:
        server.extra_env["CSRF_TRUSTED_ORIGINS"] = f"https://127.0.0.1:{proxy.https_port}"
    try:
        yield servers, proxy
    finally:
        proxy.stop()
        for server in servers:
            server.stop()


def drain_and_stop(server: Server) -> None:
    """What the systemd unit's ExecStop does: /readyz 503 first, then SIGTERM."""
    Path(server.extra_env["DRAIN_FILE"]).touch()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT)
    connection.request("GET", "/readyz", headers={"Host": "127.0.0.1"})
    assert connection.getresponse().status == 503
    connection.close()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=WAIT_SECONDS)


# The residents' addresses (127.0.1.x; 127.0.0.1 is the servers', which may be logged),
# and a code or receipt in an address.
SECRETS_IN_LOGS = re.compile(r"127\.0\.[1-9]\d*\.\d+|/r/[0-9A-Za-z]|/receipts/R")


def assert_logs_clean(codes, receipts, servers, proxy) -> None:
    logs = {server.name: server.full_log() for server in servers}
    logs["nginx"] = proxy.logs()
    for name, text in logs.items():
        for code in codes:
            assert code not in text, (name, "a household code")
        for receipt in receipts:
            assert receipt not in text, (name, "a receipt")
        assert not SECRETS_IN_LOGS.search(text), (name, SECRETS_IN_LOGS.search(text).group(0))
    for server in servers:
        lines = [line for line in logs[server.name].splitlines() if line.strip()]
        assert any('"logger": "gunicorn.access"' in line for line in lines)
        for line in lines:
            record = json.loads(line)  # one JSON object per line
            assert record["time"].endswith("+00:00"), line
    access = [
        json.loads(line) for line in (proxy.tmp / "nginx-access.log").read_text().splitlines()
    ]
    assert len(access) >= 2 * RESIDENTS
    assert {line["path"] for line in access if line["path"].startswith("/r/")} == {"/r/[code]"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_restarts_and_reloads_behind_nginx_lose_nothing_and_show_no_error(
    stack, enrollment, criteria
):
    (a, b), proxy = stack
    codes = _codes(enrollment)
    for server in (a, b):
        server.start()
    for server in (a, b):
        server.wait_healthy()
    proxy.start()

    stream = Stream(proxy.https_port, codes, criteria)
    thread = stream.run_in_background()
    stream.wait_for(20)
    drain_and_stop(a)  # systemctl restart manyi, on server A
    a.start()
    a.wait_healthy()
    # The rolling restart of docs/deploy.md: the next server only once nginx has taken
    # the first one back (its fail_timeout has passed).
    time.sleep(FAIL_TIMEOUT + 1)
    b.process.send_signal(signal.SIGHUP)  # systemctl reload manyi, on server B
    stream.wait_for(stream.done + 20)
    drain_and_stop(b)
    b.start()
    b.wait_healthy()
    thread.join(timeout=180)
    assert not thread.is_alive()

    statuses = sorted(status for status, _, _ in stream.results)
    assert statuses == [302] * RESIDENTS, (
        [r for r in stream.results if r[0] != 302][:5],
        proxy.logs()[-2000:],
    )
    receipts = {receipt for _, receipt, _ in stream.results}
    stored = dict(Rating.objects.values_list("receipt", "household_code__id"))
    assert set(stored) == receipts  # none lost, none extra
    assert len(set(stored.values())) == RESIDENTS  # one rating per household
    assert_logs_clean(codes, receipts, (a, b), proxy)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_server_killed_behind_nginx_loses_and_doubles_no_rating(stack, enrollment, criteria):
    (a, b), proxy = stack
    codes = _codes(enrollment)
    for server in (a, b):
        server.start()
    for server in (a, b):
        server.wait_healthy()
    proxy.start()

    stream = Stream(proxy.https_port, codes, criteria)
    thread = stream.run_in_background()
    stream.wait_for(60)
    a.process.kill()  # the machine dies: no drain, requests in flight are cut
    a.process.wait()
    thread.join(timeout=180)
    assert not thread.is_alive()

    seen = [receipt for status, receipt, _ in stream.results if status == 302]
    # Most residents never noticed: nginx sent them to B.
    assert len(seen) >= RESIDENTS - 2 * CLIENT_THREADS, sorted(s for s, _, _ in stream.results)
    stored = list(Rating.objects.values_list("receipt", "household_code__id"))
    receipts = {receipt for receipt, _ in stored}
    assert set(seen) <= receipts  # every receipt a resident saw is a stored rating
    households = [household for _, household in stored]
    assert len(households) == len(set(households))  # no rating twice
    assert all(status < 600 for status, _, _ in stream.results)
