"""Logging filters. Household codes are secrets: an address like /r/<code> must not
end up in a log file, not even in Django's "Not Found: /r/…" warnings."""

import logging
import re

_CODE_PATH = re.compile(r"(/r/)[^/\s?\"']+")
_CODE_QUERY = re.compile(r"([?&]code=)[^&\s\"']+")


def scrub(text: str) -> str:
    return _CODE_QUERY.sub(r"\1[code]", _CODE_PATH.sub(r"\1[code]", text))


class ScrubHouseholdCodes(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
