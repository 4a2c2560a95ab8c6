"""Prometheus metrics (prometheus_client), read at /metrics by the operator's network only.

What an operator watches on campaign night (docs/deploy.md, "Alerts"): requests and
their status, ratings per minute (`rate(manyi_ratings_total[1m]) * 60`), refusals by
kind (wrong code, rate-limited, window closed, invalid form), the job queue's depth and
failed jobs, cache and database errors.

Several gunicorn workers each count their own: set PROMETHEUS_MULTIPROC_DIR (an empty
directory, emptied at each start; the systemd unit does it) and /metrics adds them up
(prometheus_client's multiprocess mode). Without it, /metrics shows the one worker that
answered, which is what `make run` and the tests need.
"""

from __future__ import annotations

import ipaddress
import logging
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as _DEFAULT_REGISTRY

logger = logging.getLogger(__name__)

REQUESTS = Counter(
    "manyi_http_requests_total",
    "HTTP requests answered, by method and status class (2xx, 3xx, 4xx, 5xx)",
    ["method", "status"],
)
RATINGS = Counter("manyi_ratings_total", "Ratings recorded (submits that got a receipt)")
REFUSALS = Counter(
    "manyi_rating_refusals_total",
    "Resident requests refused, by kind: wrong_code, rate_limited, window_closed, invalid",
    ["kind"],
)
CACHE_ERRORS = Counter("manyi_cache_errors_total", "Calls to the shared cache that failed")
DATABASE_ERRORS = Counter(
    "manyi_database_errors_total", "Requests that ended in a database error (a 503 page)"
)
JOB_FAILURES = Counter("manyi_job_failures_total", "Background jobs that failed")
JOB_QUEUE_DEPTH = Gauge(
    "manyi_job_queue_depth",
    "Jobs waiting in the queue (Celery's list in Redis; 0 without a broker)",
    multiprocess_mode="max",
)

# Celery's default queue in a Redis broker is a list of this name.
CELERY_QUEUE = "celery"


def job_queue_depth() -> int:
    """The length of the job queue, read from the broker (CELERY_BROKER_URL, Redis)."""
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://")):
        return 0
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
        try:
            return int(client.llen(CELERY_QUEUE))
        finally:
            client.close()
    except redis.RedisError:
        CACHE_ERRORS.inc()
        logger.warning("job queue depth unavailable: the broker does not answer")
        return 0


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_IPS
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The metrics, for addresses in METRICS_ALLOWED_IPS only (the peer address: the
    operator's Prometheus, or nginx, which also allows and denies; see deploy/nginx)."""
    if request.method not in ("GET", "HEAD") or not _allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    JOB_QUEUE_DEPTH.set(job_queue_depth())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = _DEFAULT_REGISTRY
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


_METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(method, f"{response.status_code // 100}xx").inc()
        return response


def _count_job_failures(**_kwargs) -> None:
    JOB_FAILURES.inc()


def connect_job_signals() -> None:
    """Failed jobs counted where Celery runs (the worker imports this module through
    Django's setup; without Celery installed there is nothing to connect)."""
    try:
        from celery.signals import task_failure
    except ImportError:
        return
    task_failure.connect(_count_job_failures, weak=False, dispatch_uid="manyi-job-failures")


connect_job_signals()
