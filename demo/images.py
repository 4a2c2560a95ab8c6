"""Illustrations for the demo's showcase photos, drawn with Pillow.

The article's photos are not ours to copy, so `load_demo` draws a plain
picture for each photo caption instead: a soft colour per criterion, a simple
pictogram, the caption, and a corner label “示意图 · 演示” (illustration ·
demo) so that nobody takes it for a photograph of the community. The items
are also marked `image_is_illustration`, which the pages show.

The picture goes through photos.process_upload like any upload, so it gets the
same sizes for `srcset`. Captions need a CJK font; where none is installed
(a bare CI machine) the picture is drawn without its caption and the label
falls back to Latin text — it never fails.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.db.models import Q
from PIL import Image, ImageDraw, ImageFont

from config.fonts import cjk_font_source, latin_font
from evaluations.models import Campaign
from showcases.models import ShowcaseItem
from uploads.photos import process_upload, save_showcase_photo

WIDTH, HEIGHT = 1200, 900
INK = (29, 39, 51)
LABEL = "示意图 · 演示"
LABEL_LATIN = "Illustration · demo"

# criterion code: (background, pictogram colour)
PALETTE = {
    "basic-service": ((220, 233, 246), (52, 104, 163)),
    "publicity-guidance": ((249, 237, 207), (176, 112, 16)),
    "closed-management": ((221, 239, 226), (40, 117, 70)),
    "disinfection-cleaning": ((214, 239, 240), (22, 119, 128)),
    "cooperation-support": ((248, 225, 219), (178, 62, 52)),
}
DEFAULT_PALETTE = ((232, 234, 238), (86, 97, 109))


def _cjk_font_source() -> tuple[str, int] | None:
    """A font file with Chinese glyphs and its face (config.fonts); None when none."""
    return cjk_font_source()


def _font(size: int):
    source = _cjk_font_source()
    if source is None:
        return None
    path, index = source
    try:
        return ImageFont.truetype(path, size, index=index)
    except OSError:
        return None


def _latin_font(size: int):
    return latin_font(size)


def _wrap(text: str, font, width: int, max_lines: int) -> list[str]:
    """Break Chinese text at any character to fit `width` pixels."""
    lines, line = [], ""
    for char in text:
        if font.getlength(line + char) <= width:
            line += char
            continue
        lines.append(line)
        line = char
        if len(lines) == max_lines:
            break
    else:
        if line:
            lines.append(line)
        return lines
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return lines


def _lighter(colour, amount=0.55):
    return tuple(round(c + (255 - c) * amount) for c in colour)


# --- pictograms: centre (x, y), size s, colour ---------------------------------------


def _house(draw, x, y, s, colour):
    light = _lighter(colour, 0.75)
    draw.polygon(
        [(x - s * 0.55, y - s * 0.02), (x, y - s * 0.5), (x + s * 0.55, y - s * 0.02)], colour
    )
    draw.rectangle((x - s * 0.4, y - s * 0.05, x + s * 0.4, y + s * 0.45), colour)
    draw.rectangle((x - s * 0.09, y + s * 0.15, x + s * 0.09, y + s * 0.45), light)
    for dx in (-0.27, 0.27):
        draw.rectangle((x + s * (dx - 0.08), y + s * 0.05, x + s * (dx + 0.08), y + s * 0.2), light)
    # a broom leaning on the wall
    draw.line(
        (x + s * 0.62, y - s * 0.2, x + s * 0.5, y + s * 0.3), colour, width=max(3, int(s * 0.04))
    )
    draw.polygon(
        [(x + s * 0.44, y + s * 0.28), (x + s * 0.58, y + s * 0.3), (x + s * 0.6, y + s * 0.47),
         (x + s * 0.36, y + s * 0.45)],
        colour,
    )  # fmt: skip


def _megaphone(draw, x, y, s, colour):
    draw.rectangle((x - s * 0.5, y - s * 0.1, x - s * 0.3, y + s * 0.12), colour)
    draw.polygon(
        [(x - s * 0.3, y - s * 0.1), (x + s * 0.15, y - s * 0.35), (x + s * 0.15, y + s * 0.37),
         (x - s * 0.3, y + s * 0.12)],
        colour,
    )  # fmt: skip
    draw.rectangle((x - s * 0.42, y + s * 0.12, x - s * 0.34, y + s * 0.35), colour)
    width = max(4, int(s * 0.045))
    for r in (0.28, 0.45, 0.62):
        box = (x + s * 0.15 - s * r, y - s * r, x + s * 0.15 + s * r, y + s * r)
        draw.arc(box, -40, 40, colour, width=width)


def _gate(draw, x, y, s, colour):
    light = _lighter(colour, 0.75)
    draw.rectangle((x - s * 0.6, y - s * 0.25, x - s * 0.3, y + s * 0.45), colour)  # guard booth
    draw.rectangle((x - s * 0.53, y - s * 0.15, x - s * 0.37, y + s * 0.02), light)
    draw.rectangle((x - s * 0.24, y - s * 0.02, x - s * 0.14, y + s * 0.45), colour)  # post
    arm = (x - s * 0.2, y - s * 0.02, x + s * 0.65, y + s * 0.1)
    draw.rounded_rectangle(arm, radius=int(s * 0.05), fill=colour)
    step = s * 0.17
    for i in range(5):
        left = x - s * 0.1 + i * step
        draw.rectangle((left, y, left + step * 0.45, y + s * 0.08), light)
    draw.line(
        (x - s * 0.7, y + s * 0.46, x + s * 0.7, y + s * 0.46), colour, width=max(3, int(s * 0.03))
    )


def _spray(draw, x, y, s, colour):
    light = _lighter(colour, 0.75)
    draw.rounded_rectangle(
        (x - s * 0.42, y - s * 0.05, x - s * 0.02, y + s * 0.5), radius=int(s * 0.08), fill=colour
    )
    draw.rectangle((x - s * 0.3, y - s * 0.2, x - s * 0.14, y - s * 0.05), colour)
    draw.polygon(
        [
            (x - s * 0.3, y - s * 0.32),
            (x + s * 0.05, y - s * 0.32),
            (x + s * 0.05, y - s * 0.22),
            (x - s * 0.3, y - s * 0.18),
        ],
        colour,
    )
    draw.rectangle((x - s * 0.34, y + s * 0.12, x - s * 0.1, y + s * 0.3), light)
    for i, (dx, dy, r) in enumerate(
        [
            (0.22, -0.35, 0.05),
            (0.38, -0.22, 0.06),
            (0.3, -0.45, 0.04),
            (0.52, -0.38, 0.05),
            (0.48, -0.1, 0.045),
            (0.64, -0.25, 0.04),
        ]
    ):
        cx, cy = x + s * dx, y + s * dy
        draw.ellipse(
            (cx - s * r, cy - s * r, cx + s * r, cy + s * r),
            colour if i % 2 == 0 else _lighter(colour, 0.3),
        )


def _heart(draw, x, y, s, colour):
    # the classic parametric heart, 32 units wide
    points = []
    for i in range(72):
        t = 2 * math.pi * i / 72
        hx = 16 * math.sin(t) ** 3
        hy = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
        points.append((x + hx * s / 30, y - s * 0.05 - hy * s / 30))
    draw.polygon(points, colour)
    light = _lighter(colour, 0.7)
    r = s * 0.06
    draw.ellipse((x - s * 0.33 - r, y - s * 0.3 - r, x - s * 0.33 + r, y - s * 0.3 + r), light)


def _star(draw, x, y, s, colour):
    points = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = s * (0.5 if i % 2 == 0 else 0.22)
        points.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    draw.polygon(points, colour)


PICTOGRAMS = {
    "basic-service": _house,
    "publicity-guidance": _megaphone,
    "closed-management": _gate,
    "disinfection-cleaning": _spray,
    "cooperation-support": _heart,
}


def draw_illustration(caption: str, criterion=None, community: str = "") -> bytes:
    """A PNG illustrating one photo caption."""
    code = criterion.code if criterion is not None else ""
    background, colour = PALETTE.get(code, DEFAULT_PALETTE)
    image = Image.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(image)
    # a soft band behind the pictogram
    draw.ellipse((WIDTH / 2 - 300, 90, WIDTH / 2 + 300, 530), _lighter(colour, 0.82))
    PICTOGRAMS.get(code, _star)(draw, WIDTH / 2, 320, 330, colour)

    heading_font, caption_font, small_font = _font(40), _font(56), _font(32)
    if heading_font is not None and criterion is not None:
        draw.text((60, 48), criterion.name, font=heading_font, fill=colour)
    if caption_font is not None and caption:
        lines = _wrap(caption, caption_font, WIDTH - 160, max_lines=3)
        top = 600 if len(lines) < 3 else 575
        for i, line in enumerate(lines):
            draw.text((WIDTH / 2, top + i * 76), line, font=caption_font, fill=INK, anchor="ma")
    if small_font is not None and community:
        draw.text(
            (60, HEIGHT - 48), community, font=small_font, fill=_lighter(INK, 0.3), anchor="ls"
        )

    label, label_font = (
        (LABEL, small_font) if small_font is not None else (LABEL_LATIN, _latin_font(30))
    )
    left, top, right, bottom = draw.textbbox((0, 0), label, font=label_font)
    pad_x, pad_y = 22, 12
    box_w, box_h = right - left + 2 * pad_x, bottom - top + 2 * pad_y
    x0, y0 = WIDTH - 40 - box_w, HEIGHT - 36 - box_h
    draw.rounded_rectangle((x0, y0, x0 + box_w, y0 + box_h), radius=box_h // 2, fill=(58, 68, 80))
    draw.text((x0 + pad_x - left, y0 + pad_y - top), label, font=label_font, fill=(255, 255, 255))

    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _without_image(queryset):
    return queryset.filter(Q(image="") | Q(image__isnull=True))


def illustrate_items(items: Iterable[ShowcaseItem]) -> int:
    """Draw and store an illustration for each photo item that has no image."""
    done = 0
    for item in items:
        if item.kind != ShowcaseItem.Kind.PHOTO or item.image:
            continue
        community = item.showcase.enrollment.community.name
        png = draw_illustration(item.body or item.title, item.criterion, community)
        processed = process_upload(ContentFile(png, name="illustration.png"))
        save_showcase_photo(item, processed, save=False)
        item.image_is_illustration = True
        item.save(
            update_fields=[
                "image",
                "image_small",
                "image_medium",
                "image_width",
                "image_height",
                "image_formats",
                "image_is_illustration",
            ]
        )
        done += 1
    return done


def illustrate_campaign(campaign: Campaign) -> int:
    """Illustrate the photo items of a campaign's showcases that have no image yet
    (idempotent: a second run draws nothing)."""
    items = _without_image(
        ShowcaseItem.objects.filter(
            showcase__enrollment__campaign=campaign, kind=ShowcaseItem.Kind.PHOTO
        )
    ).select_related("criterion", "showcase__enrollment__community")
    return illustrate_items(items.order_by("pk"))
