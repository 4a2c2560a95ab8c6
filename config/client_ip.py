"""The client's network address, the same for every part of the app.

Behind the reverse proxy (docs/deploy.md §5) the TCP peer is the proxy itself; the
client is in the header the proxy sets (`RATELIMIT_IP_META_KEY`, e.g. HTTP_X_REAL_IP),
and only there when the deployment says so — otherwise any client could choose its
own address by sending that header. The rate limits (django-ratelimit reads the same
setting), the staff login lockout (django-axes, AXES_CLIENT_IP_CALLABLE) and what is
recorded with ratings, wrong codes and objections all use this one answer.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as a normalised string, or None when there is no valid one."""
    key = getattr(settings, "RATELIMIT_IP_META_KEY", None)
    raw = request.META.get(key if isinstance(key, str) and key else "REMOTE_ADDR") or ""
    # A proxy that appends (X-Forwarded-For style) puts the client first.
    raw = raw.split(",", 1)[0].strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None
