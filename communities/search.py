"""Search keys for names: full pinyin and initials, so that "hankou" and "hkct"
find 汉口春天 (many older phones and keyboards make pinyin easier than characters).

Keys are stored with the row (Community.pinyin, .pinyin_initials; the same on
PropertyCompany) and refreshed on save, so a search is a plain indexed filter.
Digits and Latin letters in a name are kept as they are ("汉江湾1号" →
"hanjiangwan1hao", "hjw1h").
"""

from __future__ import annotations

import re
import unicodedata

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


# A query longer than this is cut (with a word to the person): no name is that long,
# and an unbounded query would be echoed back into the page and searched for.
MAX_QUERY_LENGTH = 50


# Generic words of names, said in English in a name's romanised form (longest first):
# "宗关街道" → "Zongguan Subdistrict", "武汉惠之美物业服务有限公司" →
# "Wuhan Huizhimei Property Services Co., Ltd.".
_GENERIC_WORDS = [
    ("有限责任公司", "Co., Ltd."),
    ("股份有限公司", "Co., Ltd."),
    ("有限公司", "Co., Ltd."),
    ("分公司", "Branch"),
    ("物业服务", "Property Services"),
    ("物业管理", "Property Management"),
    ("物业", "Property"),
    ("街道", "Subdistrict"),
    ("小区", "Community"),
    ("社区", "Community"),
    ("花园", "Garden"),
]
_HAN = re.compile(r"[\u3400-\u9fff]+")


def romanized_name(text: str) -> str:
    """A Chinese name in Hanyu Pinyin for an English page, where no English name is given:
    words of two syllables ("汉口春天" → "Hankou Chuntian"; three stay one word, "洺悦府" →
    "Mingyuefu"), generic words in English, digits and Latin letters kept."""
    from pypinyin import lazy_pinyin  # see pinyin_keys: only writes load it

    text = (text or "").strip()
    if not text:
        return ""
    pattern = "|".join(re.escape(word) for word, _english in _GENERIC_WORDS)
    english = dict(_GENERIC_WORDS)
    words: list[str] = []
    for part in re.split(f"({pattern})", text):
        if not part:
            continue
        if part in english:
            words.append(english[part])
            continue
        for chunk in re.split(f"({_HAN.pattern})", part):
            if not chunk.strip():
                continue
            if not _HAN.fullmatch(chunk):
                words.append(chunk.strip())
                continue
            syllables = lazy_pinyin(chunk)
            sizes = [2] * (len(syllables) // 2)
            if len(syllables) % 2:
                if sizes:
                    sizes[-1] += 1
                else:
                    sizes = [1]
            start = 0
            for size in sizes:
                words.append("".join(syllables[start : start + size]).capitalize())
                start += size
    return " ".join(words)


def normalize_query(query: str) -> str:
    """What the person typed, as searched for: NFKC (full-width letters from a Chinese
    input method become ASCII), no spaces of any kind ("汉口 春天" → "汉口春天"), at most
    MAX_QUERY_LENGTH characters; Latin input lower-cased without apostrophes or dashes
    ("Han Kou", "han'kou" → "hankou")."""
    query = unicodedata.normalize("NFKC", query or "")
    query = "".join(ch for ch in query if not ch.isspace() and unicodedata.category(ch) != "Cf")
    query = query[:MAX_QUERY_LENGTH]
    if query and all(ord(ch) < 128 for ch in query):
        return re.sub(r"['’\-]", "", query.lower())
    return query


def query_too_long(query: str) -> bool:
    return len(unicodedata.normalize("NFKC", query or "").strip()) > MAX_QUERY_LENGTH


def within_one_edit(query: str, text: str) -> bool:
    """Whether some stretch of `text` is `query` with at most one character wrong, missing,
    added, or two neighbours swapped ("汉口春大" and "汉口春天", "hankuo" and "hankou…").

    The optimal-string-alignment distance of `query` to its best-matching substring of
    `text` (Sellers' approximate matching: the first row is all zeros, so a match may
    start anywhere in `text`, and the best cell of the last row may end anywhere)."""
    n = len(query)
    if n == 0:
        return True
    previous2: list[int] | None = None
    previous = [0] * (len(text) + 1)
    for i in range(1, n + 1):
        row = [i] + [0] * len(text)
        for j in range(1, len(text) + 1):
            cost = 0 if query[i - 1] == text[j - 1] else 1
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if (
                previous2 is not None
                and j > 1
                and query[i - 1] == text[j - 2]
                and query[i - 2] == text[j - 1]
            ):
                best = min(best, previous2[j - 2] + 1)
            row[j] = best
        if min(row) > 1:
            return False  # every alignment is already two edits off
        previous2, previous = previous, row
    return min(previous) <= 1


def is_latin(query: str) -> bool:
    return bool(query) and all(ord(ch) < 128 for ch in query)


class SearchKeysMixin:
    """Keeps pinyin and pinyin_initials in step with name on every save."""

    def refresh_search_keys(self) -> None:
        self.pinyin, self.pinyin_initials = pinyin_keys(self.name)
        self.name_pinyin = romanized_name(self.name)

    def save(self, *args, **kwargs):
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "pinyin", "pinyin_initials", "name_pinyin"}
        super().save(*args, **kwargs)
