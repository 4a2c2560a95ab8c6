"""Sentry's SDK, switched on by SENTRY_DSN. Nothing that identifies a household leaves:
no default PII (no cookies, no user, no client address), and `before_send` scrubs
codes, receipts and addresses (config/log_filters.scrub) from every string of every
event — the URL, the breadcrumbs, the exception messages, the local variables."""

from __future__ import annotations

from typing import Any

from config.log_filters import scrub


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrubbed(item) for item in value)
    return value


def before_send(event: dict, hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        # Form bodies and cookies may hold a code or a receipt: never sent.
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("env", None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in {"cookie", "x-real-ip", "x-forwarded-for", "referer"}:
                    headers[name] = "[removed]"
    event.pop("user", None)
    return _scrubbed(event)


def before_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    return _scrubbed(crumb)


def init_sentry(dsn: str, *, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        traces_sample_rate=0.0,
    )
