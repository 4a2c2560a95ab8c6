"""Household codes never reach the logs."""

import logging

import pytest

from config.log_filters import ScrubHouseholdCodes, scrub


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Not Found: /r/K7QMX2PA9RTD", "Not Found: /r/[code]"),
        ("Too Many Requests: /r/k7qm-x2pa-9rtd/", "Too Many Requests: /r/[code]/"),
        ('"GET /r/?code=K7QM-X2PA-9RTD HTTP/1.1" 302', '"GET /r/?code=[code] HTTP/1.1" 302'),
        ("Not Found: /communities/12/", "Not Found: /communities/12/"),
    ],
)
def test_codes_are_scrubbed(line, expected):
    assert scrub(line) == expected


def test_the_filter_rewrites_a_django_request_warning():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/r/ABCDEFGHJKLM",), None
    )
    assert ScrubHouseholdCodes().filter(record)
    assert record.getMessage() == "Not Found: /r/[code]"
