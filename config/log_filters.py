"""What may not be in a log line, and what every line carries.

Household codes and receipts are secrets (SPEC): whoever reads a code can rate in the
household's name, whoever holds a receipt can tie it to a household. Client addresses
are personal data. None of them may end up in a log line — not in Django's "Not Found:
/r/…" warnings, not in runserver's request lines, not in gunicorn's access log
(config/gunicorn.conf.py uses `scrub` too), not in django-axes's lockout warnings.

`scrub` replaces, wherever they appear in a text:
- the rest of an address under /r/ or /receipts/ ("/r/[code]", "/receipts/[receipt]");
- the value of a `code=` or `receipt=` query parameter or form field;
- anything shaped like a code (K7QM-X2PA-9RTD, K7QMX2PA9RTD) or a receipt
  (RABC-DEFG-HJKL-MNPQ, RABCDEFGHJKLMNPQ), in the codes' alphabet;
- IPv4 and IPv6 addresses ("[ip]").
"""

from __future__ import annotations

import contextvars
import logging
import re

_A = "[2-9A-HJ-NP-Za-hj-np-z]"  # the codes' alphabet (evaluations/codes.py), any case
_U = "[2-9A-HJ-NP-Z]"  # the same, upper case only
_PATHS = re.compile(r"(/r/|/receipts/)(?!\[)[^/\s?#\"'<>]+")
_PARAMS = re.compile(r"(\b(?:code|receipt)=)(?!\[)[^&\s\"'<>]+", re.IGNORECASE)
# Receipts first (a receipt holds a code-shaped run). Grouped shapes in any case;
# ungrouped ones in upper case only, as the site prints them (fewer false positives).
_RECEIPT = re.compile(
    rf"(?<![\w-])(?:[Rr]{_A}{{3}}-{_A}{{4}}-{_A}{{4}}-{_A}{{4}}|R{_U}{{15}})(?![\w-])"
)
_CODE = re.compile(rf"(?<![\w-])(?:{_A}{{4}}-{_A}{{4}}-{_A}{{4}}|{_U}{{12}})(?![\w-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])")


def _ipv6(match: re.Match) -> str:
    text = match.group(0)
    # "::" or five colons: an address, not a time of day (12:30:45) or a ratio.
    return "[ip]" if "::" in text or text.count(":") >= 5 else text


def scrub(text: str) -> str:
    if not isinstance(text, str):
        return text
    text = _PATHS.sub(
        lambda m: m.group(1) + ("[code]" if m.group(1) == "/r/" else "[receipt]"), text
    )
    text = _PARAMS.sub(r"\1[…]", text)
    text = _RECEIPT.sub("[receipt]", text)
    text = _CODE.sub("[code]", text)
    text = _IPV4.sub("[ip]", text)
    return _IPV6.sub(_ipv6, text)


class ScrubHouseholdCodes(logging.Filter):
    """Scrubs the message, its arguments and its traceback (see `scrub`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for name in ("request", "client_ip", "ip_address"):
            if hasattr(record, name) and isinstance(getattr(record, name), str):
                setattr(record, name, scrub(getattr(record, name)))
        return True


# --- the request id -----------------------------------------------------------------

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


class RequestId(logging.Filter):
    """Puts the id of the request being answered (config.middleware.RequestIdMiddleware)
    on every record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs "Not Found" after the middleware is done: from the request then.
            from_request = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = from_request or request_id_var.get()
        return True
