"""Gunicorn settings for Manyi's production app servers (see docs/deploy.md).

    gunicorn config.wsgi -c config/gunicorn.conf.py

Everything is read from the environment, so that every app server of a deployment
runs the same file:

BIND                  address to listen on (default 127.0.0.1:$PORT, PORT default 8000);
                      use 0.0.0.0:8000 only when the reverse proxy is on another machine
WEB_CONCURRENCY       worker processes (default 2 × cores + 1, at most 8)
GUNICORN_THREADS      threads per worker (default 4); each thread may hold one database
                      connection, so PostgreSQL needs max_connections ≥ servers × workers ×
                      threads (+ the management commands)
GUNICORN_TIMEOUT      seconds before a silent worker is killed and replaced (default 60: the
                      PDF of household notices for a large community takes a while)
GUNICORN_GRACEFUL_TIMEOUT  seconds for running requests to finish on restart (default 30)
GUNICORN_KEEPALIVE    seconds to keep an idle proxy connection open (default 5)
GUNICORN_MAX_REQUESTS worker recycled after this many requests (default 1000, with
                      GUNICORN_MAX_REQUESTS_JITTER, default 100, so they do not restart together)
FORWARDED_ALLOW_IPS   the proxies whose X-Forwarded-* headers gunicorn believes (gunicorn's
                      own default 127.0.0.1,::1: a proxy on the same machine). Never "*"
                      unless the app servers are reachable from the proxy only.
GUNICORN_ACCESS_LOG   where the access log goes (default "-", stdout; "" turns it off)
LOG_LEVEL             also Django's: upper case (INFO, WARNING); gunicorn's error log, to stderr
LOG_FORMAT            json (default: one JSON object per line) or text
DRAIN_FILE            while it exists /readyz answers 503 (see "draining" below)

Household codes and receipts are secrets that travel in URLs: /r/<code> (the QR code on a
notice), /r/?code=… (the code-entry form) and /receipts/<receipt>/. Whoever reads an
access log could rate in a household's name. The access logger below writes its own
fields, each scrubbed (config/log_filters.scrub): /r/[code], /receipts/[receipt], no
query string, no client address. nginx's site (deploy/nginx/manyi.conf) does likewise.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_port = os.environ.get("PORT", "").strip() or "8000"
bind = [os.environ.get("BIND", "").strip() or f"127.0.0.1:{_port}"]

workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Each worker imports the app itself: a restart picks up new code, and no database or
# Redis connection is opened before the fork and then shared between workers.
preload_app = False

# Only from the environment; gunicorn's default when unset (the local proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The heartbeat file of each worker: in memory where there is /dev/shm (containers often
# have a slow or overlay /tmp).
if os.path.isdir("/dev/shm"):  # noqa: S108 - a worker heartbeat, not a temporary file
    worker_tmp_dir = "/dev/shm"  # noqa: S108

proc_name = "manyi"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
errorlog = "-"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None

# config/ is importable whether gunicorn was started as `gunicorn` or `python -m gunicorn`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.log_filters import RequestId, ScrubHouseholdCodes, scrub  # noqa: E402
from config.logs import UtcJsonFormatter, UtcTextFormatter  # noqa: E402


class CodeScrubbingLogger(Logger):
    """Gunicorn's logger, writing the project's lines (config/logs.py): one JSON object
    per line, UTC, with the request id (nginx's X-Request-ID, or the one the app made),
    and no household code, receipt or client address. The access line is a record of
    its own fields — method, path (scrubbed, without its query string), status, bytes,
    duration — never the raw request line."""

    def setup(self, cfg):
        super().setup(cfg)
        text = os.environ.get("LOG_FORMAT", "json") == "text"
        formatter = (
            UtcTextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
            if text
            else UtcJsonFormatter("%(levelname)s %(name)s %(request_id)s %(message)s")
        )
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)
                handler.addFilter(RequestId())
                handler.addFilter(ScrubHouseholdCodes())

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        headers = dict(resp.headers or [])
        request_id = headers.get("X-Request-ID") or environ.get("HTTP_X_REQUEST_ID") or "-"
        path = scrub(environ.get("PATH_INFO") or "")
        status = getattr(resp, "status_code", None) or str(resp.status).split(None, 1)[0]
        fields = {
            "request_id": scrub(request_id),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "referer": scrub(environ.get("HTTP_REFERER", "").split("?", 1)[0]) or None,
            "user_agent": scrub(environ.get("HTTP_USER_AGENT", ""))[:200] or None,
        }
        try:
            self.access_log.info(
                "%s %s %s", fields["method"], fields["path"], fields["status"], extra=fields
            )
        except Exception:
            self.error("access log line failed")


logger_class = CodeScrubbingLogger


# --- draining ------------------------------------------------------------------------
# On SIGTERM (systemctl stop/restart) gunicorn stops accepting connections and lets the
# workers finish what they have (graceful_timeout); nginx sends new requests to the other
# servers. Before that, /readyz of this server answers 503 (DRAIN_FILE exists), for the
# balancers that poll it. The systemd unit's ExecStop touches DRAIN_FILE and waits
# DRAIN_SECONDS first, so that a polling balancer has taken the server out by then.


def on_starting(server):
    drain_file = os.environ.get("DRAIN_FILE", "")
    if drain_file and os.path.exists(drain_file):
        os.unlink(drain_file)  # a new start serves again


def on_exit(server):
    drain_file = os.environ.get("DRAIN_FILE", "")
    if drain_file and os.path.exists(drain_file):
        os.unlink(drain_file)


def child_exit(server, worker):
    # Prometheus' multiprocess mode (config/metrics.py): a worker's live gauges go with it.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
