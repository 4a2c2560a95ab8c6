"""Liveness, readiness, and the page a resident sees when the database is down.

- `/healthz` (liveness): 200 whenever this process answers, with the state of the
  database and of the cache, each "ok" or "unavailable" — for people and dashboards.
- `/readyz` (readiness): 200 only when this server can serve ratings, that is when its
  database answers and it is not draining; 503 otherwise, so that the load balancer
  (nginx's passive checks, a Kubernetes probe, a script) takes it out of the pool.
  Ratings need no cache (config/caching.py), so the cache does not count here.
- Draining: while the file DRAIN_FILE exists (the systemd unit and gunicorn's
  `on_exit`/`worker_int` hooks write it, see config/gunicorn.conf.py) `/readyz` answers
  503 and the server goes on finishing what it has.
- handler500: an error that is the database's (it is down, or refuses connections) is
  a 503 page saying to try again shortly, with Retry-After, instead of a 500 page.
"""

from __future__ import annotations

import logging
import os
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config import metrics

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means "unavailable", never a 500 page
        logger.warning("health: the database does not answer", exc_info=True)
        return "unavailable"
    return "ok"


def cache_state() -> str:
    try:
        # Reaches the server even through the resilient backend: a write read back.
        cache.set("healthz:probe", "1", 30)
        ok = cache.get("healthz:probe") == "1"
    except Exception:
        ok = False
    return "ok" if ok else "unavailable"


def draining() -> bool:
    drain_file = getattr(settings, "DRAIN_FILE", "")
    return bool(drain_file) and os.path.exists(drain_file)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    database, cache_ = database_state(), cache_state()
    status = "ok" if database == cache_ == "ok" else "degraded"
    return JsonResponse({"status": status, "database": database, "cache": cache_})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    if draining():
        return JsonResponse({"status": "draining"}, status=503)
    if database_state() != "ok":
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a 503 page when the database is at fault, else the 500 page. Neither
    template touches the database (no user, no session), so both render during an outage."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError) and not isinstance(error, _PROGRAMMING_ERRORS):
        metrics.DATABASE_ERRORS.inc()
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def _programming_errors() -> tuple[type[Exception], ...]:
    from django.db import DataError, IntegrityError, NotSupportedError, ProgrammingError

    return (ProgrammingError, IntegrityError, DataError, NotSupportedError)


_PROGRAMMING_ERRORS = _programming_errors()
