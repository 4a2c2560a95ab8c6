"""What is recorded when a resident rates or types a wrong code, for the anomaly
monitoring (the `monitoring` app reads it; this module only writes it):

- ``Rating.form_seconds``: the rating form carries a signed start time (a hidden
  field, django.core.signing, bound to the household code); the seconds between the
  form's first display and its submission are stored. A missing, forged or expired
  start time stores nothing (None) and never stops the resident.
- ``Rating.browser_id``: a random id kept in a first-party cookie (BROWSER_COOKIE),
  set when the form is shown. Empty when the browser sent none.
- every wrong household code typed or opened (``FailedCodeAttempt``): time, client
  address, browser, what was typed. Pruned after FAILED_CODE_RETENTION_DAYS.
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import timezone

from config.client_ip import client_ip

from .codes import normalize_code
from .models import Campaign, FailedCodeAttempt, Rating

FORM_STARTED_FIELD = "started"
FORM_STARTED_MAX_AGE = 2 * 24 * 3600
BROWSER_COOKIE = "manyi_browser"
BROWSER_COOKIE_MAX_AGE = 365 * 24 * 3600
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{16,32}$")


def _form_salt(code: str) -> str:
    return f"manyi.rating-form:{normalize_code(code) or code}"


def form_started_token(code: str, now: float | None = None) -> str:
    """The signed start time embedded in the rating form, bound to one household code."""
    started = int(now if now is not None else time.time())
    return signing.dumps({"t": started}, salt=_form_salt(code))


def form_started_at(token: str, code: str) -> int | None:
    """The start time of a genuine token of this code (epoch seconds), else None."""
    if not token or len(token) > 200:
        return None
    try:
        payload = signing.loads(token, salt=_form_salt(code), max_age=FORM_STARTED_MAX_AGE)
        started = int(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return started


def form_seconds(token: str, code: str, now: float | None = None) -> int | None:
    """Seconds from the form's display to now; None for a missing, forged or expired
    token. A small negative difference (clocks of two app servers) counts as 0."""
    started = form_started_at(token, code)
    if started is None:
        return None
    elapsed = int((now if now is not None else time.time()) - started)
    if elapsed < -60:
        return None
    return max(elapsed, 0)


def browser_id_of(request) -> str:
    """The browser id the request's cookie carries, or "" (absent or malformed)."""
    value = request.COOKIES.get(BROWSER_COOKIE, "")
    return value if _BROWSER_ID.match(value) else ""


def new_browser_id() -> str:
    return secrets.token_urlsafe(16)


def set_browser_cookie(response, browser_id: str) -> None:
    response.set_cookie(
        BROWSER_COOKIE,
        browser_id,
        max_age=BROWSER_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def record_failed_code(request, typed: str) -> None:
    """Write down one wrong household code for the monitoring."""
    typed = str(typed or "")
    code = normalize_code(typed)
    if code is None:
        code = "".join(ch for ch in typed.strip().upper() if ch not in " -\t")[:40]
    FailedCodeAttempt.objects.create(
        client_ip=client_ip(request),
        user_agent=request.headers.get("User-Agent", "")[:300],
        typed=code,
    )


def prune_failed_codes(days: int | None = None, now=None) -> int:
    days = settings.FAILED_CODE_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _details = FailedCodeAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted


def forget_rating_addresses() -> int:
    """Blank client address, browser string and browser id of the ratings of every
    published or archived campaign (manage.py forget_rating_addresses, and the daily
    task): the number of ratings changed."""
    return (
        Rating.objects.filter(
            enrollment__campaign__status__in=[Campaign.Status.PUBLISHED, Campaign.Status.ARCHIVED]
        )
        .filter(Q(client_ip__isnull=False) | ~Q(user_agent="") | ~Q(browser_id=""))
        .update(client_ip=None, user_agent="", browser_id="")
    )
