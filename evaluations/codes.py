"""Household codes: generation, normalisation and keyed hashing.

A code is 12 characters from a 32-character alphabet without the look-alikes
0/O and 1/I: 60 bits of randomness from the `secrets` module, printed in three
groups of four (e.g. ``K7QM-X2PA-9RTD``). The database holds only
HMAC-SHA256(HOUSEHOLD_CODE_KEY, code), so a copy of the database alone cannot
be used to rate, and the key is never in the database.
"""

import hashlib
import hmac
import secrets
import unicodedata

from django.conf import settings

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12
CODE_BITS = CODE_LENGTH * 5  # log2(32) = 5 bits a character

assert len(set(CODE_ALPHABET)) == 32 and not set("0O1I") & set(CODE_ALPHABET)


def generate_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def derived_code(label: str) -> str:
    """A code derived from the secret key and a label: the same on every run.

    Only for the demo, so that `make run` can print the same try-it codes each
    time although only hashes are stored.
    """
    digest = hmac.new(
        settings.HOUSEHOLD_CODE_KEY.encode(), f"derived:{label}".encode(), hashlib.sha256
    ).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(CODE_ALPHABET))
        chars.append(CODE_ALPHABET[index])
    return "".join(chars)


# Separators people type between the groups that are not dashes by Unicode's category
# (Pd) nor spaces: the minus sign, the box-drawing line and the katakana long vowel mark
# that Chinese and Japanese input methods offer for "-", the middle dot, the underscore.
_OTHER_SEPARATORS = frozenset("\u2212\u2500\u2501\u30fc\uff70\u00b7\u30fb_")


def _is_separator(ch: str) -> bool:
    return ch.isspace() or ch in _OTHER_SEPARATORS or unicodedata.category(ch) in ("Pd", "Zs", "Cf")


def strip_separators(raw: str) -> str:
    """What was typed, as plain upper-case characters: NFKC folds full-width letters and
    digits (ＵＱＺＸ, a Chinese input method's) into ASCII; every dash (-, —, –, －, ‐ …),
    space (including the full-width one) and invisible format character goes."""
    folded = unicodedata.normalize("NFKC", str(raw))
    return "".join(ch for ch in folded.upper() if not _is_separator(ch))


def normalize_code(raw: str) -> str | None:
    """The code as typed or scanned → its canonical form, or None if it cannot be one.

    Case, width, spaces and dashes of any kind do not matter; anything else outside the
    alphabet (including 0, O, 1, I) means it is not a code.
    """
    if raw is None:
        return None
    cleaned = strip_separators(raw)
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def hash_code(code: str) -> str:
    return hmac.new(settings.HOUSEHOLD_CODE_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def generate_receipt() -> str:
    """A receipt number: 16 characters of the same alphabet, grouped for reading."""
    return "R" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(15))
