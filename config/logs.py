"""One JSON object per line for every log line of the project (Django, runserver,
gunicorn's error and access logs): time (UTC, ISO 8601), level, logger, request_id,
message, and a traceback as one field rather than many lines. Every handler scrubs codes,
receipts and addresses (config/log_filters.py). LOG_FORMAT=text gives readable lines
with the same fields (for a laptop); JSON is the default.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

# Attributes Django puts on its records that are objects, not text: the request (whose
# repr holds the path, codes included) and runserver's socket. Left out of the line.
_OBJECTS = ("request", "server_time", "status_code")


class UtcJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, *_OBJECTS])
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)


class UtcTextFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")

    def formatException(self, ei):  # noqa: N802 - one line per event, also here
        return super().formatException(ei).replace("\n", " | ")


FIELDS = "%(levelname)s %(name)s %(request_id)s %(message)s"


def logging_config(level: str = "INFO", fmt: str = "json", *, extra_loggers: dict | None = None):
    formatter = (
        {"()": "config.logs.UtcJsonFormatter", "format": FIELDS}
        if fmt == "json"
        else {
            "()": "config.logs.UtcTextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        }
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "manyi",
        "filters": ["request_id", "scrub"],
    }
    quiet_child = {"handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "scrub": {"()": "config.log_filters.ScrubHouseholdCodes"},
            "request_id": {"()": "config.log_filters.RequestId"},
        },
        "formatters": {"manyi": formatter},
        "handlers": {"manyi": handler},
        "root": {"handlers": ["manyi"], "level": level},
        "loggers": {
            # Django gives these handlers of its own (unscrubbed, plain text): replaced.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": quiet_child,
            "django.request": quiet_child,
            "django.security": quiet_child,
            # django-axes logs every login and logout at INFO; failures are WARNING.
            "axes": {"level": "WARNING"},
            **(extra_loggers or {}),
        },
    }
