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


def _start(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "HOUSEHOLD_CODE_KEY")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["MANYI_NO_DOTENV"] = "1"  # only the environment counts, not a local .env
    return subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
         "import django; django.setup()", str(BASE)],
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


def test_production_starts_with_strong_secrets():
    import secrets

    result = _start(
        {
            "MANYI_PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HOUSEHOLD_CODE_KEY": secrets.token_urlsafe(50),
        }
    )
    assert result.returncode == 0, result.stderr
