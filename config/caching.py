"""The shared cache (Redis) as production uses it: short time-outs, and an outage that
makes the cache answer "nothing there" instead of raising.

Everything the site keeps in the cache can be done without it: sessions are
`cached_db` (read from the database when the cache has nothing), the rate limits fail
open (evaluations/throttle.py), the page cache renders the page (portal/pagecache.py).
What must not happen is that a resident waits seconds per cache call, or gets a 500,
because Redis is down or slow. So:

- connecting and every command time out after REDIS_SOCKET_TIMEOUT seconds (default
  0.05: Redis answers in well under a millisecond on the local network);
- a failed call is swallowed (django-redis's IGNORE_EXCEPTIONS: a read returns its
  default, a write is dropped), counted (the `manyi_cache_errors_total` metric) and
  logged once per outage, not once per call;
- after a failure the cache is not asked again for REDIS_RETRY_SECONDS (default 5): for
  that while every call returns at once, so a request during an outage costs no
  network round trip at all.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

logger = logging.getLogger("manyi.cache")

# Client methods that do not talk to Redis (or must run even while it is down).
_LOCAL = frozenset(
    {"close", "make_key", "reverse_key", "get_client", "connect", "encode", "decode"}
)


def redis_cache(location: str, *, socket_timeout: float = 0.05, retry_seconds: float = 5.0) -> dict:
    """The CACHES entry of a Redis cache that degrades instead of failing."""
    return {
        "BACKEND": "config.caching.ResilientRedisCache",
        "LOCATION": location,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": socket_timeout,
            "SOCKET_TIMEOUT": socket_timeout,
            "IGNORE_EXCEPTIONS": True,
            "RETRY_SECONDS": retry_seconds,
        },
    }


class _Breaker:
    """The django-redis client, skipped while the cache is known to be down."""

    def __init__(self, client: Any, cache: ResilientRedisCache):
        self._client = client
        self._cache = cache

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or name in _LOCAL or not callable(attr):
            return attr
        cache = self._cache

        def call(*args, **kwargs):
            if cache.is_down():
                raise ConnectionInterrupted(connection=None)
            try:
                return attr(*args, **kwargs)
            except ConnectionInterrupted as error:
                cache.went_down(error)
                raise

        return call


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        options = params.get("OPTIONS", {})
        self._retry_seconds = float(options.get("RETRY_SECONDS", 5.0))
        self._down_until = 0.0
        self._lock = threading.Lock()
        # Logged here, once per outage, instead of django-redis's traceback per call.
        self._log_ignored_exceptions = False

    @property
    def client(self):
        return _Breaker(super().client, self)

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def went_down(self, error: Exception) -> None:
        from config import metrics

        metrics.CACHE_ERRORS.inc()
        with self._lock:
            first = not self.is_down()
            self._down_until = time.monotonic() + self._retry_seconds
        if first:
            logger.warning(
                "cache unavailable (%s): working without it for %.0f s",
                error,
                self._retry_seconds,
            )
