"""Security headers on every response, and production settings that refuse to
start with a missing or weak secret."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

BASE = Path(settings.BASE_DIR)
STRONG = "Vx7_kq2-Lm9PzR4tYw8NbJ3cHs6GfD1aQe5UoIiKl0rTyXnMvBpC"  # 52 varied characters


def test_every_page_sends_an_enforced_csp_and_the_security_headers(client):
    response = client.get("/")
    assert "Content-Security-Policy-Report-Only" not in response
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_no_page_of_ours_has_an_inline_script():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    offenders = [
        str(path.relative_to(BASE))
        for path in (BASE / "templates").rglob("*.html")
        if inline.search(path.read_text())
    ]
    assert offenders == []


def _start(env_overrides, then=""):
    """Start Django in a fresh process with this environment (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "HOUSEHOLD_CODE_KEY")}
    env.update(env_overrides)
    env = {k: v for k, v in env.items() if v is not None}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["MANYI_NO_DOTENV"] = "1"  # only the environment counts, not a local .env
    return subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import django; django.setup(); " + then, str(BASE)],
        env=env, cwd="/", capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("secret", "household_key", "message"),
    [
        (None, None, "SECRET_KEY is missing or weak"),
        ("short", "x" * 60, "SECRET_KEY is missing or weak"),
        ("a" * 60, "b" * 60, "SECRET_KEY is missing or weak"),  # long but not random
        (STRONG, None, "HOUSEHOLD_CODE_KEY is missing or weak"),
    ],
)
def test_production_refuses_to_start_with_a_weak_secret(secret, household_key, message):
    env = {"MANYI_PRODUCTION": "1"}
    if secret:
        env["SECRET_KEY"] = secret
    if household_key:
        env["HOUSEHOLD_CODE_KEY"] = household_key
    result = _start(env)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_strong_secrets_and_a_shared_cache():
    import secrets

    result = _start(
        {
            "MANYI_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": "redis://127.0.0.1:6379/15",  # not contacted at start
        }
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("cache_url", [None, "locmemcache://manyi", "dummycache://"])
def test_production_refuses_to_start_without_a_shared_cache(cache_url):
    """Issue 11: without REDIS_URL every worker had its own limits, and check --deploy
    passed."""
    import secrets

    result = _start(
        {
            "MANYI_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": None,
            "CACHE_URL": cache_url,
        },
        then="from django.core.management import call_command; call_command('check', deploy=True)",
    )
    assert result.returncode != 0
    assert "REDIS_URL is missing" in result.stderr


# --- the client address: from the proxy only when the deployment says so ------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("meta_key", "expected"),
    [
        (None, "127.0.0.1"),  # no proxy configured: a client's own header is ignored
        ("HTTP_X_REAL_IP", "198.51.100.7"),  # behind nginx (docs/deploy.md §5)
    ],
)
def test_ratings_and_wrong_codes_record_the_address_the_deployment_trusts(
    client, settings, household_code, criteria, meta_key, expected
):
    from evaluations.models import FailedCodeAttempt, Rating
    from tests.conftest import rating_post_data

    settings.RATELIMIT_IP_META_KEY = meta_key
    headers = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "198.51.100.7"}
    response = client.post(f"/r/{household_code}", rating_post_data(criteria), **headers)
    assert response.status_code == 302
    assert Rating.objects.get().client_ip == expected
    client.get("/r/ZZZZZZZZZZZZ", **headers)
    assert FailedCodeAttempt.objects.get().client_ip == expected


def test_a_forged_or_missing_address_is_recorded_as_unknown(rf, settings):
    from config.client_ip import client_ip

    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    assert client_ip(rf.get("/", HTTP_X_REAL_IP="<script>")) is None
    assert client_ip(rf.get("/")) is None
    assert client_ip(rf.get("/", HTTP_X_REAL_IP="203.0.113.9, 10.0.0.1")) == "203.0.113.9"
    assert client_ip(rf.get("/", HTTP_X_REAL_IP="2001:DB8::1")) == "2001:db8::1"


def test_the_login_lockout_keys_on_the_same_address(rf, settings):
    from axes.helpers import get_client_ip_address

    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    request = rf.get("/console/login/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.7")
    assert get_client_ip_address(request) == "198.51.100.7"


@pytest.mark.parametrize(("production", "expected"), [("1", "60"), ("0", "0")])
def test_production_keeps_database_connections_open(production, expected):
    import secrets

    result = _start(
        {
            "MANYI_PRODUCTION": production,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "CONN_MAX_AGE": None,
        },
        then="from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_the_admin_and_the_console_login_are_not_kept_by_browsers(client, db):
    for path in ["/console/login/", "/admin/", "/admin/login/"]:
        response = client.get(path)
        assert "no-store" in response["Cache-Control"], path
    # Public pages stay cacheable.
    assert "no-store" not in client.get("/").get("Cache-Control", "")


def test_production_marks_the_language_cookie_secure():
    import secrets

    result = _start(
        {
            "MANYI_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": "redis://127.0.0.1:6379/9",  # production refuses to start without
        },
        "from django.conf import settings; print(settings.LANGUAGE_COOKIE_SECURE)",
    )
    assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize("secure", [True, False])
def test_the_language_switch_sets_the_cookie_as_the_settings_say(client, db, settings, secure):
    settings.LANGUAGE_COOKIE_SECURE = secure
    response = client.get("/lang/?language=en&next=/")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert bool(cookie["secure"]) is secure
    assert cookie["samesite"] == "Lax"
