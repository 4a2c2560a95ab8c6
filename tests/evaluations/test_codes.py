"""Household codes: unguessable, readable, stored only as keyed hashes, one per household."""

import math

import pytest
from django.test import override_settings

from evaluations.codes import (
    CODE_ALPHABET,
    CODE_BITS,
    CODE_LENGTH,
    format_code,
    generate_code,
    hash_code,
    normalize_code,
)
from evaluations.households import CodesNotIssued, codes_issue
from evaluations.models import Campaign, HouseholdCode


def test_codes_carry_at_least_50_bits_from_a_readable_alphabet():
    assert CODE_BITS >= 50
    assert CODE_LENGTH * math.log2(len(CODE_ALPHABET)) == CODE_BITS
    assert not set("0O1I") & set(CODE_ALPHABET)
    codes = {generate_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    # every character of the alphabet turns up: the generator is not stuck on a subset
    assert set("".join(codes)) == set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("k7qm-x2pa-9rtd", "K7QMX2PA9RTD"),
        (" K7QM X2PA 9RTD ", "K7QMX2PA9RTD"),
        ("K7QMX2PA9RT", None),  # too short
        ("K7QMX2PA9RT0", None),  # 0 is never in a code
        ("K7QMX2PA9RTI", None),
        ("汉口春天", None),
        ("", None),
        # What input methods make of it (issue 14): full width from a Chinese IME, long
        # and short dashes, the full-width space, a zero-width space from a paste.
        ("ＵＱＺＸ－ＲＢ６Ｑ－ＨＳＳＨ", "UQZXRB6QHSSH"),
        ("ｋ７ｑｍ　ｘ２ｐａ　９ｒｔｄ", "K7QMX2PA9RTD"),
        ("K7QM—X2PA—9RTD", "K7QMX2PA9RTD"),
        ("K7QM–X2PA‐9RTD", "K7QMX2PA9RTD"),
        ("K7QM−X2PA―9RTD", "K7QMX2PA9RTD"),
        ("K7QMー X2PA·9RTD", "K7QMX2PA9RTD"),
        ("K7QM\u200bX2PA\u00a09RTD\n", "K7QMX2PA9RTD"),
        ("Ｋ７ＱＭ－Ｘ２ＰＡ－９ＲＴ０", None),  # a full-width zero is still a zero
    ],
)
def test_typed_codes_are_normalised(typed, expected):
    assert normalize_code(typed) == expected


def test_codes_are_printed_in_groups_of_four():
    assert format_code("K7QMX2PA9RTD") == "K7QM-X2PA-9RTD"


def test_the_hash_is_keyed():
    code = "K7QMX2PA9RTD"
    assert len(hash_code(code)) == 64
    first = hash_code(code)
    with override_settings(HOUSEHOLD_CODE_KEY="another-key"):
        assert hash_code(code) != first


@pytest.mark.django_db
def test_issued_codes_are_stored_only_as_hashes(enrollment):
    codes = codes_issue(enrollment, 5)
    assert len(set(codes)) == 5
    stored = list(HouseholdCode.objects.values_list("code_hash", flat=True))
    assert sorted(stored) == sorted(hash_code(c) for c in codes)
    for code in codes:
        assert code not in stored
        assert not HouseholdCode.objects.filter(code_hash__icontains=code).exists()


@pytest.mark.django_db
def test_no_more_codes_than_households(enrollment):
    codes_issue(enrollment, 90)
    with pytest.raises(CodesNotIssued) as error:
        codes_issue(enrollment, 11)
    assert "超过一户一码" in str(error.value)
    assert HouseholdCode.objects.count() == 90
    codes_issue(enrollment, 10)
    assert HouseholdCode.objects.count() == 100


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Campaign.Status.CLOSED, Campaign.Status.PUBLISHED])
def test_no_codes_once_the_campaign_is_closed(enrollment, status):
    Campaign.objects.filter(pk=enrollment.campaign_id).update(status=status)
    with pytest.raises(CodesNotIssued):
        codes_issue(enrollment, 1)
    assert HouseholdCode.objects.count() == 0


@pytest.mark.django_db
def test_a_count_below_one_is_refused(enrollment):
    with pytest.raises(CodesNotIssued):
        codes_issue(enrollment, 0)
