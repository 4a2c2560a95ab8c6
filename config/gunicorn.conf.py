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

Household codes are secrets that travel in URLs: /r/<code> (the QR code on a notice) and
/r/?code=… (the code-entry form, a GET form). Whoever reads an access log could rate in
a household's name. The access logger below therefore writes /r/[code] instead of the
code, drops the query string of every /r/ address, and does the same in the Referer (the
receipt page is reached from /r/<code>). Configure the reverse proxy likewise (see the
nginx example in docs/deploy.md); Django's own log also names the path of a wrong code
("Not Found: /r/…") at WARNING level.
"""

from __future__ import annotations

import multiprocessing
import os
import re

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
# The client address: the proxy's X-Real-IP where there is one, else the peer address.
access_log_format = (
    '%(h)s %({x-real-ip}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)

# /r/<code>, /r/<code>/ and /r/?code=…, in a path, a request line or a full URL.
_CODE_URL = re.compile(r"(/r/)([^?#\s\"]*)(\?[^#\s\"]*)?")


def scrub_codes(value):
    """The text with household codes in /r/ addresses replaced (see the docstring)."""
    if not isinstance(value, str) or "/r/" not in value:
        return value

    def replace(match: re.Match) -> str:
        code = match.group(2).strip("/")
        return match.group(1) + ("[code]" if code else "") + ("?[…]" if match.group(3) else "")

    return _CODE_URL.sub(replace, value)


class CodeScrubbingLogger(Logger):
    """Gunicorn's logger, with household codes left out of the access log."""

    _SCRUBBED = ("r", "U", "q", "f", "{raw_uri}e", "{path_info}e", "{query_string}e")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        for key in self._SCRUBBED:
            if key in atoms:
                atoms[key] = scrub_codes(atoms[key])
        if path.startswith("/r/") and atoms.get("q"):
            atoms["q"] = "[…]"
            atoms["{query_string}e"] = "[…]"
        if "{referer}i" in atoms:
            atoms["{referer}i"] = scrub_codes(atoms["{referer}i"])
        return atoms


logger_class = CodeScrubbingLogger
