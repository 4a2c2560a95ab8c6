"""Text messages (SMS) through a pluggable backend, as Django's e-mail backends are.

SMS_BACKEND names a class with `send(phone, text)`: the console backend prints the
message (`make run`, a laptop), the locmem one keeps it in `outbox` (the tests), and a
provider's backend — one small class around its HTTP API — is added beside them and
named in the setting in production. Messages are sent by background jobs, never inside
a request (reviews/tasks.py).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.utils.module_loading import import_string

outbox: list[tuple[str, str]] = []


class ConsoleBackend:
    """Prints each message to standard output, the number masked (138****5678): where a
    deployment leaves it as the default, a filer's phone number lands in no log."""

    def send(self, phone: str, text: str) -> None:
        masked = phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:] if len(phone) > 7 else "****"
        sys.stdout.write(f"SMS to {masked}: {text}\n")
        sys.stdout.flush()


class LocmemBackend:
    """Keeps each message in `config.sms.outbox`, as (phone, text)."""

    def send(self, phone: str, text: str) -> None:
        outbox.append((phone, text))


def send_sms(phone: str, text: str) -> None:
    backend = import_string(settings.SMS_BACKEND)()
    backend.send(phone, text)
