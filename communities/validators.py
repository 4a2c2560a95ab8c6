"""Validators for Chinese identifiers used by the programme.

The unified social credit code (统一社会信用代码) is defined by GB 32100-2015:
18 characters from a 31-character alphabet (digits and capital letters without
I, O, Z, S, V); the 18th is a check character over the first 17, with weights
3^i mod 31, so a typo in any one character fails the check.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def validate_uscc(value: str) -> None:
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="uscc_length",
            params={"n": len(code)},
        )
    if not _USCC_SHAPE.match(code):
        raise ValidationError(
            _(
                "This is not a unified social credit code: characters 3 to 8 are the "
                "region's digits, and the letters I, O, Z, S and V never occur."
            ),
            code="uscc_shape",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character (the 18th) does not match: the code has a typo."),
            code="uscc_check",
        )


def make_uscc(first17: str) -> str:
    """A code with its check character; for the demo data and tests only."""
    return first17 + uscc_check_character(first17)


def validate_division_code(value: str) -> None:
    if not re.fullmatch(r"\d{6}", value or ""):
        raise ValidationError(
            _("An administrative-division code (GB/T 2260) is six digits, e.g. 420104."),
            code="division_code",
        )
