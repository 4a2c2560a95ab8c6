"""A community's share card (issue 14, item 7): the Open Graph image a link to its page
shows in WeChat and elsewhere — a PNG of 1200 × 630 drawn with Pillow: the name, the
district, the status (群众满意小区 / 公示中 / 正在评议 / not on a list), the rate where a
list has published it, and the issuer.

Only published facts: the rate is an entry's of a published list (the current final
list, or the preliminary list while it is on public notice, which the notice page shows
too); a campaign being rated shows no number, whatever its ratings. The card is drawn
in the page's language, served at /communities/<id>/share/<language>.png and kept by
the page cache under the community's versions (portal.pagecache): what changes the
page changes the card, and a card whose status ends by itself (rating closes, the
notice ends) is not kept past that moment.

Without a Chinese font on the server the card is drawn in English (pinyin names), never
with empty boxes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw

from config.display import identity
from config.fonts import cjk_font, latin_font
from portal import queries
from reviews.models import Publication, PublicationEntry

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
INK = (29, 39, 51)
MUTED = (84, 96, 110)
PAPER = (255, 255, 255)
BAND = (178, 34, 34)  # the government red of the site's header
# status: (fill of the badge, text on it)
COLOURS = {
    "listed": ((27, 110, 62), PAPER),
    "notice": ((176, 96, 0), PAPER),
    "rating": ((30, 90, 160), PAPER),
    "none": ((226, 230, 235), INK),
}


@dataclass(frozen=True)
class ShareCard:
    name: str
    district: str
    status: str  # listed | notice | rating | none
    status_label: str
    campaign: str
    rate: str  # "90.0%", or "" when no list has published one
    detail: str  # "40 households rated" / "until 2026-12-10" / ""
    issuer: str
    demo: bool
    until: object = None  # when this status ends by itself (rating, notice)


def card_for(community, now=None) -> ShareCard:
    """What the card of `community` says now, in the active language."""
    now = now or timezone.now()
    site = identity()
    common = {
        "name": community.display_name,
        "district": community.district.display_name,
        "issuer": site.issuer or site.city,
        "demo": bool(community.is_demo or site.demo),
    }
    listed = (
        PublicationEntry.objects.filter(
            enrollment__community=community,
            status=PublicationEntry.Status.LISTED,
            publication__in=queries.current_publications().values("pk"),
        )
        .select_related("publication__campaign")
        .order_by("-publication__published_at", "-pk")
        .first()
    )
    if listed is not None:
        return ShareCard(
            status="listed",
            status_label=_("Satisfied community"),
            campaign=listed.publication.campaign.display_name,
            rate=f"{localize(listed.rate_percent)}%",
            detail=ngettext("%(n)s household rated", "%(n)s households rated", listed.responses)
            % {"n": localize(listed.responses)},
            **common,
        )
    on_notice = (
        PublicationEntry.objects.filter(
            enrollment__community=community,
            status=PublicationEntry.Status.LISTED,
            publication__kind=Publication.Kind.PRELIMINARY,
            publication__notice_ends_at__gt=now,
            publication__campaign__status="closed",
        )
        .select_related("publication__campaign")
        .order_by("publication__notice_ends_at")
        .first()
    )
    if on_notice is not None:
        ends = on_notice.publication.notice_ends_at
        return ShareCard(
            status="notice",
            status_label=_("On public notice"),
            campaign=on_notice.publication.campaign.display_name,
            rate=f"{localize(on_notice.rate_percent)}%",
            detail=_("Objections until %(date)s")
            % {"date": date_format(timezone.localtime(ends), "SHORT_DATE_FORMAT")},
            until=ends,
            **common,
        )
    rating = next((s for s in queries.community_now([community.pk], now)[community.pk]), None)
    if rating is not None and rating.kind == "rating":
        return ShareCard(
            status="rating",
            status_label=_("Being rated now"),
            campaign=rating.campaign,
            rate="",
            detail=_("Residents rate with their household code"),
            until=rating.until,
            **common,
        )
    return ShareCard(
        status="none",
        status_label=_("Not on a published list"),
        campaign="",
        rate="",
        detail="",
        **common,
    )


def _font(size: int, *, bold: bool = False, latin: bool = False):
    if latin:
        return latin_font(size)
    return cjk_font(size, bold=bold) or latin_font(size)


def _fit(draw, text: str, size: int, width: int, *, bold=False, latin=False, smallest=28):
    """The font, as large as `size`, at which `text` fits `width` (cut with … below
    `smallest`), and the text as drawn."""
    while True:
        font = _font(size, bold=bold, latin=latin)
        if draw.textlength(text, font=font) <= width or size <= smallest:
            break
        size -= 4
    while len(text) > 1 and draw.textlength(text, font=font) > width:
        text = text[:-2] + "…"
    return font, text


def _wrap(draw, text: str, font, width: int, max_lines: int) -> list[str]:
    """Lines of `text` that fit `width`: broken between words where there are spaces,
    else between characters (Chinese); the last line cut with … if more is left."""
    import re

    tokens = re.findall(r"\S+\s*", text) if " " in text else list(text)
    lines, line = [], ""
    for token in tokens:
        if not line or draw.textlength((line + token).rstrip(), font=font) <= width:
            line += token
            continue
        lines.append(line.rstrip())
        line = token
    lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] += "…"
    last = lines[-1]
    while len(last) > 1 and draw.textlength(last, font=font) > width:
        last = last[:-2] + "…"
    lines[-1] = last
    return lines


def draw(card: ShareCard, *, latin: bool = False) -> bytes:
    """The card as PNG bytes. `latin`: no Chinese font, draw with Pillow's own."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    pen = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN

    # The band: the site and the issuer.
    pen.rectangle((0, 0, WIDTH, 96), fill=BAND)
    site_name = _("Property-service satisfaction")
    font, text = _fit(pen, f"{_('Manyi')} · {site_name}", 34, inner - 220, latin=latin)
    pen.text((MARGIN, 48), text, font=font, fill=PAPER, anchor="lm")
    if card.demo:
        font = _font(26, latin=latin)
        label = _("demo data")
        box = pen.textbbox((WIDTH - MARGIN, 48), label, font=font, anchor="rm")
        pen.rounded_rectangle(
            (box[0] - 14, box[1] - 8, box[2] + 14, box[3] + 8), radius=10, outline=PAPER, width=2
        )
        pen.text((WIDTH - MARGIN, 48), label, font=font, fill=PAPER, anchor="rm")

    # The community and its district.
    font, text = _fit(pen, card.name, 76, inner, bold=True, latin=latin, smallest=40)
    pen.text((MARGIN, 140), text, font=font, fill=INK, anchor="lt")
    font, text = _fit(pen, card.district, 36, inner, latin=latin)
    pen.text((MARGIN, 240), text, font=font, fill=MUTED, anchor="lt")

    # The status badge, then the campaign.
    fill, ink = COLOURS[card.status]
    font = _font(38, bold=True, latin=latin)
    box = pen.textbbox((MARGIN + 24, 340), card.status_label, font=font, anchor="lm")
    pen.rounded_rectangle((MARGIN, box[1] - 16, box[2] + 24, box[3] + 16), radius=14, fill=fill)
    pen.text((MARGIN + 24, 340), card.status_label, font=font, fill=ink, anchor="lm")
    if card.campaign:
        left = box[2] + 40
        room = WIDTH - MARGIN - left
        font = _font(30, latin=latin)
        lines = _wrap(pen, card.campaign, font, room, 2)
        step = 38
        for n, line in enumerate(lines):
            y = 340 + (n - (len(lines) - 1) / 2) * step
            pen.text((left, y), line, font=font, fill=MUTED, anchor="lm")

    # The rate, large, where a list has published it.
    if card.rate:
        font = _font(30, latin=latin)
        pen.text((MARGIN, 420), _("Satisfaction rate"), font=font, fill=MUTED, anchor="lt")
        rate_font = _font(96, bold=True, latin=latin)
        pen.text((MARGIN, 460), card.rate, font=rate_font, fill=INK, anchor="lt")
        width = pen.textlength(card.rate, font=rate_font)
        if card.detail:
            font, text = _fit(pen, card.detail, 30, inner - int(width) - 40, latin=latin)
            pen.text((MARGIN + width + 40, 540), text, font=font, fill=MUTED, anchor="ls")
    elif card.detail:
        font, text = _fit(pen, card.detail, 32, inner, latin=latin)
        pen.text((MARGIN, 440), text, font=font, fill=MUTED, anchor="lt")

    # The issuer, at the foot.
    pen.line((MARGIN, 572, WIDTH - MARGIN, 572), fill=(220, 224, 230), width=2)
    foot = " · ".join(part for part in (card.issuer, settings.SITE_URL.split("://")[-1]) if part)
    font, text = _fit(pen, foot, 26, inner, latin=latin, smallest=18)
    pen.text((MARGIN, 600), text, font=font, fill=MUTED, anchor="lm")

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
