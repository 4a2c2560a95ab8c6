"""Bad input, fuzzed (issue 5, item 6): no form answers a 500, nothing saved is lost.

Hypothesis throws arbitrary text, field names, codes and spreadsheet contents at the
resident's rating and code-entry forms, the receipt check, the public objection form
and the city's import (the parser and the upload page). The Django test client
re-raises any exception a view lets through, so an unhandled error fails the test
with the input that caused it; every example also checks what the database holds.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import StaffProfile
from communities import importing
from communities.models import Community, PropertyCompany
from evaluations.models import Answer, Rating
from reviews.models import Objection
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=40,
    deadline=None,
    # The examples of one test share its database transaction and fixtures on purpose:
    # what an earlier bad input did must not break a later one either.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # nothing written into the checkout
)

ANSWERS = [a.value for a in Answer]
# Any text a browser can send, NUL and control characters included; sometimes a right answer.
any_text = st.text(max_size=300)
answer_like = st.one_of(st.sampled_from(ANSWERS), any_text)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # Hundreds of examples from one address would (rightly) be locked out; the limits
    # have tests of their own (test_throttle.py). Here every input must reach the form.
    settings.RATELIMIT_ENABLE = False


def _current_ratings(code_pk):
    return list(Rating.objects.filter(household_code_id=code_pk, is_current=True))


@st.composite
def rating_posts(draw):
    """Half of them a complete questionnaire (any comment, extra fields), half anything."""
    if draw(st.booleans()):
        overall, answers = (
            draw(st.sampled_from(ANSWERS)),
            draw(st.lists(st.sampled_from(ANSWERS), min_size=8, max_size=8)),
        )
    else:
        overall = draw(st.one_of(st.none(), answer_like))
        answers = draw(st.lists(st.one_of(st.none(), answer_like), max_size=8))
    comment = draw(st.one_of(st.none(), st.text(max_size=600)))
    extra = draw(st.dictionaries(st.text(min_size=1, max_size=20), any_text, max_size=3))
    return overall, answers, comment, extra


@FUZZ
@given(post=rating_posts())
def test_the_rating_form_takes_any_post_without_a_server_error(
    client, household_code, criteria, post
):
    overall, answers, comment, extra = post
    from evaluations.ratings import household_code_lookup

    code = household_code_lookup(household_code)
    before = _current_ratings(code.pk)
    data = dict(extra)
    if overall is not None:
        data["overall"] = overall
    if comment is not None:
        data["comment"] = comment
    for criterion, answer in zip(criteria, answers, strict=False):
        if answer is not None:
            data[f"criterion_{criterion.pk}"] = answer

    response = client.post(f"/r/{household_code}", data)
    event(f"rating form answered {response.status_code}")

    assert response.status_code in (302, 400), response.status_code
    current = _current_ratings(code.pk)
    assert len(current) <= 1
    complete = (
        data.get("overall") in ANSWERS
        and len(answers) >= len(criteria)
        and all(data.get(f"criterion_{c.pk}") in ANSWERS for c in criteria)
    )
    if response.status_code == 302:
        assert complete
        (rating,) = current
        assert response["Location"] == "/receipts/thanks/"  # never the receipt (issue 11)
        assert rating.overall == data["overall"]
        assert rating.comment == (data.get("comment") or "").strip()
    else:
        # Refused with a message on the form, and the rating on record is untouched.
        assert current == before
        assert "errorlist" in response.content.decode() or 'role="alert"' in (
            response.content.decode()
        )


@FUZZ
@given(code=st.text(min_size=1, max_size=80))
def test_any_code_in_the_address_or_the_entry_form_gets_a_page_not_an_error(
    client, household_code, code
):
    response = client.get("/r/" + quote(code, safe=""))
    assert response.status_code in (200, 301, 302, 400, 404), response.status_code
    if response.status_code == 404:
        assert "评议码" in response.content.decode()  # the code-entry page, with its message
    response = client.get("/r/", {"code": code})
    assert response.status_code in (302, 400), response.status_code
    assert Rating.objects.count() == 0  # looking never rates


@FUZZ
@given(receipt=st.text(max_size=120))
def test_any_receipt_check_gets_a_page_not_an_error(client, receipt):
    response = client.get("/receipts/check/", {"receipt": receipt})
    assert response.status_code in (200, 400, 404), response.status_code
    response = client.get("/receipts/" + quote(receipt or "x", safe="") + "/")
    assert response.status_code in (200, 301, 302, 400, 404), response.status_code


# --- the public objection form ------------------------------------------------------


PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@FUZZ
@given(
    contact_name=any_text,
    contact=any_text,
    text=st.text(max_size=2500),
    photo=st.one_of(st.none(), st.binary(max_size=2000).map(lambda b: PNG_HEADER + b)),
)
def test_the_objection_form_takes_any_post_without_a_server_error(
    client, notice_entry, contact_name, contact, text, photo
):
    publication = notice_entry.publication
    before = Objection.objects.count()
    data = {"contact_name": contact_name, "contact": contact, "text": text}
    if photo is not None:
        data["photo"] = SimpleUploadedFile("photo.png", photo, content_type="image/png")
    url = f"/notice/{publication.campaign.slug}/object/{notice_entry.pk}/"
    response = client.post(url, data)
    event(f"objection form answered {response.status_code}")
    assert response.status_code in (302, 400, 429), response.status_code
    if response.status_code == 302:
        assert Objection.objects.count() == before + 1
        objection = Objection.objects.latest("pk")
        assert objection.text == text.strip() or objection.text == text
    else:
        assert Objection.objects.count() == before


def test_the_objection_form_takes_objections_when_the_cache_is_down(client, notice_entry, settings):
    # Every limit of the site fails open (throttle.counter_usage): before, a cache
    # outage made the public objection form a server error.
    settings.CACHES = {
        **settings.CACHES,
        "down": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    settings.RATELIMIT_USE_CACHE = "down"
    settings.RATELIMIT_ENABLE = True  # this module turns the limits off for the fuzzing
    url = f"/notice/{notice_entry.publication.campaign.slug}/object/{notice_entry.pk}/"
    response = client.post(url, {"contact_name": "王女士", "contact": "138", "text": "门岗常无人"})
    assert response.status_code == 302
    assert Objection.objects.get().text == "门岗常无人"


# --- the city's import ---------------------------------------------------------------

COMMUNITY_HEADER = ["区划代码", "区", "街道", "小区名称", "地址", "户数", "物业服务企业"]
COMPANY_HEADER = ["企业名称", "统一社会信用代码", "上级公司"]
cell = st.one_of(
    any_text,
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.sampled_from(["420104", "硚口区", "古田街道", "武汉惠之美物业服务有限公司", ""]),
)


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig", "surrogatepass")


@FUZZ
@given(
    kind=st.sampled_from(importing.KINDS),
    rows=st.lists(st.lists(cell, max_size=9), max_size=8),
    apply=st.booleans(),
)
def test_the_importer_reports_any_rows_without_an_exception(qiaokou, company, kind, rows, apply):
    header = COMMUNITY_HEADER if kind == importing.COMMUNITIES else COMPANY_HEADER
    counts_before = (Community.objects.count(), PropertyCompany.objects.count())
    plan = importing.import_file(kind, _csv([header, *rows]), "fuzz.csv", apply=apply)
    errors = plan.file_errors + [e for row in plan.rows for e in row.errors]
    event(
        "import: errors"
        if errors
        else ("import: applied" if plan.applied else "import: clean dry run")
    )
    assert all(isinstance(str(e), str) and str(e) for e in errors)
    if errors or not apply:
        # One bad row and nothing is written; a dry run writes nothing either.
        assert not plan.applied
        assert (Community.objects.count(), PropertyCompany.objects.count()) == counts_before


@FUZZ
@given(data=st.binary(max_size=3000), name=st.sampled_from(["x.csv", "x.xlsx", "x.txt", "x"]))
def test_the_import_page_refuses_any_file_with_a_message(client, qiaokou, data, name):
    from django.contrib.auth import get_user_model

    officer = get_user_model().objects.filter(username="fuzz-city").first() or make_staff(
        "fuzz-city", StaffProfile.Role.CITY
    )
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    before = Community.objects.count()
    response = client.post(
        "/console/import/",
        {"kind": importing.COMMUNITIES, "file": SimpleUploadedFile(name, data)},
    )
    assert response.status_code == 200, response.status_code
    assert Community.objects.count() == before  # an upload alone never writes


@pytest.mark.parametrize(
    "path",
    [
        "/receipts/%00/",
        "/lists/some-campaign/%00/",
        "/search/?q=%00",
        "/r/?code=%00",
        "/notice/x%00/",
        "/open-data/?x=%00",
    ],
)
def test_a_nul_character_in_the_address_is_a_400_page_in_chinese(client, db, path):
    # Found by the fuzzer above: PostgreSQL refuses text with NUL, so a lookup of
    # /receipts/%00/ ended in a database error (a 500).
    response = client.get(path)
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/communities/9223372036854775808/",
        "/companies/99999999999999999999/",
        "/communities/9223372036854775807/",
    ],
)
def test_out_of_range_ids_are_not_found_on_every_database(client, db, path):
    """Issue 11: a number past a 64-bit integer was a 500 on SQLite."""
    assert client.get(path).status_code == 404
