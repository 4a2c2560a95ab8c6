"""Counting wrong household codes (issue 11: a valid code always opens its page).

Two limits on wrong codes per client address, kept in the shared cache (Redis in
production, so every app server sees the same counts): CODE_FAILURES_SLOWDOWN
(default 5 a minute) and CODE_FAILURES_LOCKOUT (default 20 an hour). Past either,
a *wrong* code is answered with "too many wrong codes from this network, check your
notice" and a Retry-After instead of the plain "not found". A code that exists is
looked up first and always opens its page: whole compounds and mobile carriers
share one address, and one prankster must not lock out a building.

This costs guessing nothing, because the limits never protected the codes: the
arithmetic does (docs/security.md, "Guessing codes"): 60-bit codes, at most a
million valid codes a campaign, so even the whole cluster answering nothing but
guesses for a whole campaign expects far fewer than one hit. The counters feed the
plain message and the monitoring: every wrong code is also counted city-wide per
hour (city_failures_this_hour), and the monitoring page flags a surge.

If the cache cannot be reached the limits are not applied (and the failure is
logged): a cache outage must not turn every rating page into an error.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage

GROUP_SLOW = "household-code-failures:slow"
GROUP_LOCK = "household-code-failures:lock"
CITY_KEY = "household-code-failures:city:{hour}"


@dataclass(frozen=True)
class Limited:
    locked_out: bool
    seconds_left: int


logger = logging.getLogger(__name__)
# While the cache is down every rating page asks it: one warning a minute per kind, not
# one traceback per request (config.caching reports the outage itself, once).
UNAVAILABLE_LOG_SECONDS = 60
_last_logged: dict[str, float] = {}


def _unavailable(what: str) -> None:
    now = time.monotonic()
    if now - _last_logged.get(what, -UNAVAILABLE_LOG_SECONDS) >= UNAVAILABLE_LOG_SECONDS:
        _last_logged[what] = now
        logger.warning("%s unavailable: limits fail open until the cache is back", what)


def counter_usage(request: HttpRequest, group: str, rate: str, *, increment: bool, key: str = "ip"):
    """django-ratelimit's usage of one counter in the shared cache, or None when the
    cache cannot be reached: every limit of the site fails open (logged), so an outage
    of the cache never stops a resident, a reviewer or the public."""
    try:
        usage = get_usage(
            request, group=group, key=key, rate=rate, method=get_usage.ALL, increment=increment
        )
    except Exception:  # the cache backend is down: log it, do not fail the resident
        _unavailable("rate-limit counters")
        return None
    if usage is not None and usage["limit"] == 0:  # django-ratelimit's "cache failed"
        _unavailable("rate-limit counters")
        return None
    return usage


def check(request: HttpRequest) -> Limited | None:
    """Whether this client may try a code now.

    Every rating form and submit asks, so both counters are read in one round trip
    (the cache's get_many) under the very keys django-ratelimit counts the failures
    under (record_failure, get_usage; the version is pinned in pyproject.toml), where
    asking get_usage itself costs two round trips per counter."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limits = (
        (GROUP_LOCK, settings.CODE_FAILURES_LOCKOUT, True),
        (GROUP_SLOW, settings.CODE_FAILURES_SLOWDOWN, False),
    )
    try:
        value = ratelimit_core._SIMPLE_KEYS["ip"](request)
        keys = []
        for group, rate, _locked_out in limits:
            _limit, period = ratelimit_core._split_rate(rate)
            window = ratelimit_core._get_window(value, period)
            keys.append(
                (
                    ratelimit_core._make_cache_key(group, window, rate, value, ratelimit_core.ALL),
                    window,
                )
            )
        counts = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].get_many(
            [key for key, _window in keys]
        )
    except Exception:  # the cache backend is down: log it, do not fail the resident
        _unavailable("rate-limit counters")
        return None
    for (_group, rate, locked_out), (key, window) in zip(limits, keys, strict=True):
        limit, _period = ratelimit_core._split_rate(rate)
        if (counts.get(key) or 0) >= limit:
            seconds_left = window - int(time.time())
            return Limited(locked_out=locked_out, seconds_left=max(seconds_left, 1))
    return None


def record_failure(request: HttpRequest) -> None:
    counter_usage(request, GROUP_SLOW, settings.CODE_FAILURES_SLOWDOWN, increment=True)
    counter_usage(request, GROUP_LOCK, settings.CODE_FAILURES_LOCKOUT, increment=True)
    _count_city_wide()


def _city_key(now: float | None = None) -> str:
    return CITY_KEY.format(hour=int((now or time.time()) // 3600))


def _count_city_wide() -> None:
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    key = _city_key()
    try:
        if not cache.add(key, 1, timeout=2 * 3600):
            cache.incr(key)
    except Exception:  # the cache backend is down: the monitoring loses a count, no more
        _unavailable("city-wide wrong-code counter")


def city_failures_this_hour() -> int | None:
    """Wrong codes typed city-wide in the current clock hour, or None when the cache
    cannot be reached."""
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    try:
        return int(cache.get(_city_key()) or 0)
    except Exception:
        _unavailable("city-wide wrong-code counter")
        return None
