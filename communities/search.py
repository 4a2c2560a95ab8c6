"""Search keys for names: full pinyin and initials, so that "hankou" and "hkct"
find 汉口春天 (many older phones and keyboards make pinyin easier than characters).

Keys are stored with the row (Community.pinyin, .pinyin_initials; the same on
PropertyCompany) and refreshed on save, so a search is a plain indexed filter.
Digits and Latin letters in a name are kept as they are ("汉江湾1号" →
"hanjiangwan1hao", "hjw1h").
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"[0-9a-z]+")


def pinyin_keys(text: str) -> tuple[str, str]:
    # Imported here, not at the top: pypinyin's phrase dictionary costs about 56 MB of
    # memory, and only writes (saving or importing a name) need it. Workers that only
    # serve pages and ratings never load it.
    from pypinyin import Style, lazy_pinyin

    full_parts = lazy_pinyin(text or "", errors=lambda chars: list(chars))
    initials_parts = lazy_pinyin(
        text or "", style=Style.FIRST_LETTER, errors=lambda chars: list(chars)
    )
    full = "".join(_KEEP.findall("".join(full_parts).lower()))
    initials = "".join(_KEEP.findall("".join(initials_parts).lower()))
    return full, initials


def normalize_query(query: str) -> str:
    """What the person typed, trimmed; Latin input lower-cased without spaces or apostrophes
    ("Han Kou", "han'kou" → "hankou")."""
    query = (query or "").strip()
    if query and all(ord(ch) < 128 for ch in query):
        return re.sub(r"[\s'’\-]", "", query.lower())
    return query


def is_latin(query: str) -> bool:
    return bool(query) and all(ord(ch) < 128 for ch in query)


class SearchKeysMixin:
    """Keeps pinyin and pinyin_initials in step with name on every save."""

    def refresh_search_keys(self) -> None:
        self.pinyin, self.pinyin_initials = pinyin_keys(self.name)

    def save(self, *args, **kwargs):
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pinyin", "pinyin_initials"}
        super().save(*args, **kwargs)
