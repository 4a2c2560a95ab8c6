"""Household codes, receipts and client addresses never reach the logs; every line is
one JSON object with the time in UTC, the level, the logger and the request id."""

import io
import json
import logging
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from config.log_filters import ScrubHouseholdCodes, scrub
from config.logs import UtcJsonFormatter
from evaluations.codes import format_code
from evaluations.models import Rating
from tests.conftest import rating_post_data


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Not Found: /r/K7QMX2PA9RTD", "Not Found: /r/[code]"),
        ("Too Many Requests: /r/k7qm-x2pa-9rtd/", "Too Many Requests: /r/[code]/"),
        ('"GET /r/?code=K7QM-X2PA-9RTD HTTP/1.1" 302', '"GET /r/?code=[…] HTTP/1.1" 302'),
        ("GET /receipts/RABCDEFGHJKLMNPQ/ 200", "GET /receipts/[receipt]/ 200"),
        ("receipt RABC-DEFG-HJKL-MNPQ, code k7qm-x2pa-9rtd", "receipt [receipt], code [code]"),
        ("from 203.0.113.9 and 2001:db8::7", "from [ip] and [ip]"),
        ("at 12:30:45 on 2026-12-01", "at 12:30:45 on 2026-12-01"),
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


# --- every line the project writes while people use it -------------------------------

CLIENT = "203.0.113.9"


@pytest.fixture
def project_log():
    """What the project's own log handler (config/logs.py) writes, as text."""
    buffer = io.StringIO()
    handlers = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, UtcJsonFormatter)
    ]
    assert handlers, "the project's JSON handler is not on the root logger"
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


def test_rating_objecting_and_logging_in_leave_no_code_receipt_or_address_in_the_log(
    project_log, household_code, criteria, notice_entry, city_officer
):
    client = Client(REMOTE_ADDR=CLIENT, HTTP_USER_AGENT=f"test from {CLIENT}")
    client.raise_request_exception = False
    # A resident rates, looks at the receipt, checks it, types the code in the form.
    page = client.get(f"/r/{household_code}", HTTP_X_REQUEST_ID="nginx-0123456789abcdef")
    assert page["X-Request-ID"] == "nginx-0123456789abcdef"
    response = client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert response.status_code == 302
    rating = Rating.objects.get(enrollment__campaign__slug="test-campaign")
    assert client.get(response["Location"]).status_code == 200
    client.get(f"/receipts/check/?receipt={rating.receipt_display}")
    client.get(f"/r/?code={format_code(household_code)}")
    # Mistakes and errors: a wrong code, a wrong receipt, a crash that names the code.
    client.get("/r/ZZZZZZZZZZZZ", HTTP_X_REQUEST_ID="nginx-wrong-code-0001")
    client.get(f"/receipts/{rating.receipt}X/")
    with mock.patch(
        "evaluations.views.household_code_lookup",
        side_effect=ValueError(f"cannot look up {household_code} for {CLIENT}"),
    ):
        assert client.get(f"/r/{household_code.lower()}").status_code == 500
    # Somebody objects to the public notice.
    url = f"/notice/{notice_entry.publication.campaign.slug}/object/{notice_entry.pk}/"
    client.post(url, {"contact_name": "王女士", "contact": "138", "text": "门岗常无人"})
    # Staff log in: first with a wrong password (django-axes warns, naming the address).
    client.post(reverse("accounts:login"), {"username": "city", "password": "wrong-password"})
    client.post(
        reverse("accounts:login"), {"username": "city", "password": "a-long-test-password-1"}
    )
    # `make run`'s server logs its request lines on django.server, as runserver does.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /r/{household_code} HTTP/1.1", "200", "1234"
    )
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /receipts/{rating.receipt}/ HTTP/1.1", "200", "321"
    )

    text = project_log.getvalue()
    lines = text.splitlines()
    assert len(lines) >= 6, text
    secrets = [
        household_code,
        household_code.lower(),
        format_code(household_code),
        rating.receipt,
        rating.receipt_display,
        CLIENT,
    ]
    for secret in secrets:
        assert secret not in text, secret
    records = [json.loads(line) for line in lines]  # one JSON object per line
    for record in records:
        assert {"time", "level", "logger", "request_id", "message"} <= record.keys()
        assert record["time"].endswith("+00:00")  # UTC, ISO 8601
    messages = {record["message"]: record for record in records}
    assert messages["Not Found: /r/[code]"]["request_id"] == "nginx-wrong-code-0001"
    assert any(m.startswith('"GET /r/[code] HTTP/1.1"') for m in messages)
    crash = next(r for r in records if "exc_info" in r)
    assert "[code]" in crash["exc_info"] and "[ip]" in crash["exc_info"]
    assert len(crash["request_id"]) == 32  # made by the app, no X-Request-ID came
    assert any(r["logger"] == "axes.watch_login" or r["logger"].startswith("axes") for r in records)


def test_the_sentry_event_carries_no_code_receipt_or_address():
    from config.sentry import before_breadcrumb, before_send

    event = {
        "request": {
            "url": "https://manyi.example/r/K7QMX2PA9RTD",
            "query_string": "code=K7QM-X2PA-9RTD",
            "data": {"receipt": "RABCDEFGHJKLMNPQ"},
            "cookies": {"sessionid": "x"},
            "headers": {
                "Referer": "https://manyi.example/r/K7QMX2PA9RTD",
                "X-Real-IP": "203.0.113.9",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"ip_address": "203.0.113.9"},
        "exception": {
            "values": [{"value": "no rating for receipt RABC-DEFG-HJKL-MNPQ from 203.0.113.9"}]
        },
        "breadcrumbs": {"values": [{"message": "GET /receipts/RABCDEFGHJKLMNPQ/"}]},
    }
    sent = json.dumps(before_send(event, {}))
    crumb = json.dumps(before_breadcrumb({"message": "SELECT … 'K7QMX2PA9RTD'"}, {}))
    for secret in [
        "K7QMX2PA9RTD",
        "K7QM-X2PA-9RTD",
        "RABCDEFGHJKLMNPQ",
        "RABC-DEFG-HJKL-MNPQ",
        "203.0.113.9",
    ]:
        assert secret not in sent
        assert secret not in crumb
    assert "/r/[code]" in sent and "[receipt]" in sent


def test_sentry_is_switched_on_by_its_dsn_with_the_scrubber(monkeypatch):
    import sentry_sdk

    from config.sentry import before_send, init_sentry

    calls = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.update(kwargs))
    init_sentry("https://key@sentry.example/1", environment="test")
    assert calls["before_send"] is before_send
    assert calls["send_default_pii"] is False
