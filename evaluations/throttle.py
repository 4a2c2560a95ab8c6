"""Slowing down and then refusing clients that try wrong household codes.

Two limits on failed look-ups per client address, kept in the shared cache
(Redis in production, so every app server sees the same counts): past the
first (CODE_FAILURES_SLOWDOWN, default 5 a minute) the client must wait for
the minute to end; past the second (CODE_FAILURES_LOCKOUT, default 20 an hour)
it is refused until the hour ends. Only failures count. While a client address
is limited, correct codes are refused too — otherwise guessing would go on — so
residents sharing an address with a guesser (a carrier NAT) wait with it; the
limits are set high enough that typing mistakes alone do not get there.

If the cache cannot be reached the limits are not applied (and the failure is
logged): the 60-bit codes, not the counters, are what makes guessing hopeless,
and a cache outage must not turn every rating page into an error.
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


@dataclass(frozen=True)
class Limited:
    locked_out: bool
    seconds_left: int


logger = logging.getLogger(__name__)


def counter_usage(request: HttpRequest, group: str, rate: str, *, increment: bool, key: str = "ip"):
    """django-ratelimit's usage of one counter in the shared cache, or None when the
    cache cannot be reached: every limit of the site fails open (logged), so an outage
    of the cache never stops a resident, a reviewer or the public."""
    try:
        usage = get_usage(
            request, group=group, key=key, rate=rate, method=get_usage.ALL, increment=increment
        )
    except Exception:  # the cache backend is down: log it, do not fail the resident
        logger.exception("rate-limit counters unavailable")
        return None
    if usage is not None and usage["limit"] == 0:  # django-ratelimit's "cache failed"
        logger.error("rate-limit counters unavailable")
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
        logger.exception("rate-limit counters unavailable")
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
