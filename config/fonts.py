"""Fonts for pictures drawn with Pillow (the demo's illustrations, a community's share
card): a font file with Chinese glyphs, found among the usual places (Debian's
fonts-noto-cjk, which CI installs, first), or named by MANYI_CJK_FONT."""

from __future__ import annotations

import os
from functools import lru_cache

from PIL import ImageFont

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
]
BOLD_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
]


def _face_in(path: str) -> int | None:
    """The Simplified Chinese face of a collection (else its first), None if unreadable."""
    chosen = None
    for index in range(10):
        try:
            font = ImageFont.truetype(path, 20, index=index)
        except OSError:
            break
        family = " ".join(font.getname())
        if chosen is None:
            chosen = index
        if " SC" in family or "SC " in family:
            return index
    return chosen


@lru_cache(maxsize=2)
def cjk_font_source(bold: bool = False) -> tuple[str, int] | None:
    """A font file that has Chinese glyphs and the face to use in it; None when there is
    none. `bold` prefers a bold file and falls back to the regular one."""
    paths = [os.environ.get("MANYI_CJK_FONT", ""), *FONT_CANDIDATES]
    if bold:
        paths = [*BOLD_CANDIDATES, *paths]
    for path in paths:
        if not path or not os.path.exists(path):
            continue
        index = _face_in(path)
        if index is not None:
            return path, index
    return None


def cjk_font(size: int, *, bold: bool = False):
    """A Chinese font of `size` pixels, or None where none is installed."""
    source = cjk_font_source(bold)
    if source is None:
        return None
    path, index = source
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:
        return None


def latin_font(size: int):
    """Pillow's own font (Latin only) at `size`, for when no Chinese font is there."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError, ImportError):  # Pillow without FreeType
        return ImageFont.load_default()
