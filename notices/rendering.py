"""Printable household notices (住户评议通知): four A6 notices on each A4 page.

Each notice carries one household code, as a QR code that opens the rating
page (``SITE_URL/r/<code>``, a stable interface) and as text in groups of four
for typing. The QR code is drawn as vector squares, so it stays sharp at any
print resolution. The notice is always in Chinese: its texts are English
msgids rendered under ``translation.override("zh-hans")``.

The plain codes exist only in the returned bytes; they are never put in the
PDF's metadata.
"""

from __future__ import annotations

import functools
import io
import re

import segno
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab import rl_config
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as pdf_canvas

from evaluations.codes import format_code

CJK_FONT = "STSong-Light"  # an Adobe CID font every PDF reader has: nothing to embed
SEAL_SIZE = 22  # points: the issuer's seal or logo in a notice's top right corner,
SEAL_MARGIN = 4 * mm  # inside the printer's margin, clear of the centred title
CODE_FONT = "Courier-Bold"  # monospaced, so the groups of the code line up
URL_FONT = "Helvetica"

PAGE_WIDTH, PAGE_HEIGHT = A4
COLUMNS, ROWS = 2, 2
NOTICES_PER_PAGE = COLUMNS * ROWS
NOTICE_WIDTH = PAGE_WIDTH / COLUMNS  # 105 mm: A6
NOTICE_HEIGHT = PAGE_HEIGHT / ROWS  # 148.5 mm: A6
PADDING = 8 * mm  # inside each notice, clear of the cut lines and of printer margins
QR_SIZE = 48 * mm  # including the quiet zone
QR_BORDER = 4  # modules of quiet zone, as ISO/IEC 18004 requires

GREY = Color(0.45, 0.45, 0.45)
LIGHT_GREY = Color(0.7, 0.7, 0.7)

# Characters that must not begin a line, and those that must not end one (禁则).
_NO_LINE_START = "，。、；：？！）》」』】〕〉”’…·,.;:?!)]}%"
_NO_LINE_END = "（《「『【〔〈“‘([{"
_TOKEN = re.compile(
    rf"[{re.escape(_NO_LINE_END)}]*"  # opening brackets stick to what follows
    r"(?:[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]"  # one CJK character
    r"|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+"  # or a Latin word
    r"|\s+)"
    rf"[{re.escape(_NO_LINE_START)}]*"  # closing punctuation sticks to what precedes
)


# Dots that some PDF readers (poppler substituting Noto Sans CJK, for one) show as
# boxes in STSong-Light. They do draw the full-width katakana middle dot, so a "·"
# in a title or a name is printed as "・", without the spaces around it.
_CJK_SUBSTITUTES = re.compile(r" *[\u00b7\u2022\u2027\u2219\u22c5] *")


@functools.cache
def _register_fonts() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    # Compressed page streams stored as binary, not also ASCII85-encoded: a fifth
    # smaller, and the encoding (pure Python without reportlab's C accelerator) was
    # a tenth of a notice's time. Every PDF reader reads both. For the process.
    rl_config.useA85 = 0


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than `width`: between CJK characters
    anywhere, between Latin words at spaces (a word wider than a line is cut)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text.strip()) or [text]:
        candidate = line + token
        if not line or pdfmetrics.stringWidth(candidate.rstrip(), font, size) <= width:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = token.lstrip()
    if line.strip():
        lines.append(line.rstrip())
    # A single token wider than the line (a long URL, say): cut it by characters.
    result: list[str] = []
    for item in lines:
        while pdfmetrics.stringWidth(item, font, size) > width and len(item) > 1:
            cut = len(item) - 1
            while cut > 1 and pdfmetrics.stringWidth(item[:cut], font, size) > width:
                cut -= 1
            result.append(item[:cut])
            item = item[cut:]
        result.append(item)
    return result


@functools.lru_cache(maxsize=4096)
def _fit(text: str, font: str, size: float, width: float, max_lines: int) -> tuple[str, ...]:
    """Wrapped lines, at most `max_lines`; an overlong text ends with an ellipsis.
    Kept: a notice's texts are the same on every notice of a community (the wrapping
    was a fifth of the time of a notice)."""
    return tuple(_fit_lines(text, font, size, width, max_lines))


def _fit_lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    lines = _wrap(text, font, size, width)
    if len(lines) <= max_lines:
        return lines
    last = lines[max_lines - 1]
    while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    return lines[: max_lines - 1] + [last + "…"]


class _Column:
    """Text set from the top of a notice downwards, centred or from the left."""

    def __init__(self, canvas, left: float, top: float, width: float):
        self.canvas = canvas
        self.left = left
        self.width = width
        self.y = top

    def gap(self, height: float) -> None:
        self.y -= height

    def lines(
        self,
        text: str,
        *,
        font: str = CJK_FONT,
        size: float,
        leading: float | None = None,
        max_lines: int = 1,
        centre: bool = True,
        bold: bool = False,
        colour=black,
        indent: float = 0,
        bullet: bool = False,
    ) -> None:
        leading = leading or size * 1.3
        c = self.canvas
        c.saveState()
        c.setFillColor(colour)
        if bold:  # STSong-Light has no bold face: fill and stroke the outline instead
            c.setStrokeColor(colour)
            c.setLineWidth(size * 0.03)
        if font == CJK_FONT:
            text = _CJK_SUBSTITUTES.sub("\u30fb", text)
        for number, line in enumerate(_fit(text, font, size, self.width - indent, max_lines)):
            self.y -= size
            if bullet and number == 0:  # a filled dot, centred on the line's x-height
                c.circle(self.left + indent / 2 - 1, self.y + size * 0.35, size * 0.14, 0, 1)
            t = c.beginText()
            t.setFont(font, size)
            if bold:
                t.setTextRenderMode(2)
            line_width = pdfmetrics.stringWidth(line, font, size)
            x = self.left + (self.width - line_width) / 2 if centre else self.left + indent
            t.setTextOrigin(x, self.y)
            t.textOut(line)
            c.drawText(t)
            self.y -= leading - size
        c.restoreState()


# The QR codes' data mask, fixed. An encoder that tries all eight masks and keeps the
# one with the lowest penalty (segno's default) spends about two thirds of a notice's
# time on it; every mask decodes alike (the mask is written in the symbol's format
# information), the penalty only avoids patterns that can confuse a poor scanner, and
# a notice's QR code is printed large (48 mm) on white. Issue 12: docs/benchmarks.md.
QR_MASK = 2


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of `url`, quiet zone included: its width in modules and its dark
    modules as horizontal runs (row from the top, first column, length)."""
    qr = segno.make(url, error="m", boost_error=False, micro=False, mask=QR_MASK)
    runs = [
        (r + QR_BORDER, dark.start() + QR_BORDER, dark.end() - dark.start())
        for r, row in enumerate(qr.matrix)
        for dark in _DARK_RUN.finditer(row)
    ]
    return len(qr.matrix) + 2 * QR_BORDER, runs


_DARK_RUN = re.compile(rb"[\x01-\xff]+")  # segno's matrix: 0x0 light, anything else dark


def _draw_qr(canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code of `url` as filled squares, quiet zone included, in a square
    of `size` whose lower left corner is (x, y): one rectangle per horizontal run of
    dark modules, in whole module units under one scaling (written as PDF operators
    at once: reportlab formatting each of a notice's ~200 rectangles' four coordinates
    cost as much as the rest of the notice)."""
    width, runs = qr_runs(url)
    module = size / width
    canvas.saveState()
    canvas.setFillColor(white)  # the quiet zone stays white whatever the paper
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.setFillColor(black)
    canvas.addLiteral(
        f"q {module:.4f} 0 0 {module:.4f} {x:.3f} {y:.3f} cm\n"
        + "".join(f"{c} {width - 1 - r} {n} 1 re\n" for r, c, n in runs)
        + "f Q"
    )
    canvas.restoreState()


def _draw_cut_lines(canvas) -> None:
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.5)
    canvas.setDash(4, 3)
    for column in range(1, COLUMNS):
        x = column * NOTICE_WIDTH
        canvas.line(x, 0, x, PAGE_HEIGHT)
    for row in range(1, ROWS):
        y = row * NOTICE_HEIGHT
        canvas.line(0, y, PAGE_WIDTH, y)
    canvas.restoreState()


class _NullCanvas:
    """Takes any drawing call and draws nothing: for measuring a notice."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: self


def _draw_notice(
    canvas,
    left: float,
    bottom: float,
    fields: dict,
    code: str,
    *,
    drop: float = 0,
    address: str = "",
) -> float:
    """Draw one notice in the A6 cell whose lower left corner is (left, bottom),
    starting `drop` below the top padding; return the height left free above
    the bottom padding (negative: overflow)."""
    width = NOTICE_WIDTH - 2 * PADDING
    col = _Column(canvas, left + PADDING, bottom + NOTICE_HEIGHT - PADDING - drop, width)

    col.lines(fields["title"], size=11.5, bold=True)
    col.gap(3)
    col.lines(fields["campaign"], size=8.5, max_lines=2, colour=GREY)
    col.gap(3)
    canvas.saveState()
    canvas.setStrokeColor(LIGHT_GREY)
    canvas.setLineWidth(0.5)
    canvas.line(col.left, col.y, col.left + width, col.y)
    canvas.restoreState()
    col.gap(6)
    col.lines(fields["community"], size=14, max_lines=2, bold=True)
    col.gap(1)
    col.lines(fields["district"], size=9)
    col.gap(2)
    # The household's door, so that the notice reaches it (always one line's room,
    # so that every notice of a sheet has the same layout).
    col.lines(address or " ", size=10, bold=True)
    col.gap(1)

    qr_left = left + (NOTICE_WIDTH - QR_SIZE) / 2
    url = settings.SITE_URL + "/r/" + code
    _draw_qr(canvas, url, qr_left, col.y - QR_SIZE, QR_SIZE)
    col.gap(QR_SIZE)  # QR_SIZE includes the quiet zone: no gap needed around it

    col.lines(fields["code_label"], size=8, colour=GREY)
    col.gap(2)
    col.lines(format_code(code), font=CODE_FONT, size=20)
    col.gap(2)
    col.lines(url, font=URL_FONT, size=7, colour=GREY)
    col.gap(7)

    for item in fields["instructions"]:
        col.lines(item, size=9, leading=12, max_lines=3, centre=False, indent=9, bullet=True)
        col.gap(1)
    col.gap(3)
    col.lines(fields["closes"], size=9, bold=True)
    if fields.get("issuer"):
        col.gap(3)
        col.lines(fields["issuer"], size=8, max_lines=2, colour=GREY)
    if fields.get("seal"):
        # The issuer's seal or logo in the top right corner.
        canvas.drawImage(
            fields["seal"],
            left + NOTICE_WIDTH - SEAL_MARGIN - SEAL_SIZE,
            bottom + NOTICE_HEIGHT - SEAL_MARGIN - SEAL_SIZE,
            SEAL_SIZE,
            SEAL_SIZE,
            mask="auto",
        )
    return col.y - (bottom + PADDING)


def _seal_path() -> str | None:
    """The issuer's seal or logo (settings.SITE_SEAL, a static file), if it is there."""
    from django.contrib.staticfiles import finders

    found = finders.find(settings.SITE_SEAL) if settings.SITE_SEAL else None
    return found if isinstance(found, str) else None


def _issuer_line() -> str:
    issuer, hotline = settings.SITE_ISSUER, settings.SITE_HOTLINE
    if issuer and hotline:
        return _("Issued by %(issuer)s · Questions: hotline %(hotline)s") % {
            "issuer": issuer,
            "hotline": hotline,
        }
    if hotline:
        return _("Questions: hotline %(hotline)s") % {"hotline": hotline}
    return _("Issued by %(issuer)s") % {"issuer": issuer} if issuer else ""


def _household_address(household) -> str:
    if household is None:
        return ""
    parts = []
    if household.building:
        parts.append(_("Building %(b)s") % {"b": household.building})
    if household.unit:
        parts.append(_("Unit %(u)s") % {"u": household.unit})
    parts.append(_("Room %(r)s") % {"r": household.room})
    return " ".join(parts)


def _draw_cover_sheet(canvas, fields: dict, building: str, households: list) -> None:
    """The first page of a building's notices, for the person delivering them: the
    building, how many notices, how many per unit, and room to sign."""
    units: dict[str, int] = {}
    for household in households:
        units[household.unit] = units.get(household.unit, 0) + 1
    col = _Column(canvas, 20 * mm, PAGE_HEIGHT - 25 * mm, PAGE_WIDTH - 40 * mm)
    col.lines(fields["cover_title"], size=16, bold=True, centre=False)
    col.gap(6)
    col.lines(fields["campaign"], size=10, colour=GREY, centre=False)
    col.lines(fields["community"] + "  " + fields["district"], size=12, centre=False)
    col.gap(10)
    col.lines(
        (_("Building %(b)s") % {"b": building}) if building else _("Households without building"),
        size=22,
        bold=True,
        centre=False,
    )
    col.gap(6)
    col.lines(
        _("%(n)d notices in this bundle, in the order of the doors.") % {"n": len(households)},
        size=12,
        centre=False,
    )
    col.gap(4)
    for unit, count in units.items():
        label = (_("Unit %(u)s") % {"u": unit}) if unit else _("No unit")
        col.lines(_("%(unit)s: %(n)d") % {"unit": label, "n": count}, size=11, centre=False)
    col.gap(14)
    col.lines(_("Delivered by: ____________    Date: ____________"), size=12, centre=False)
    canvas.showPage()


def household_notices_pdf(enrollment, codes: list) -> bytes:
    """A4 sheets of household notices, four per page with dashed cut lines, in
    Chinese. `codes`: plain codes (canonical form, no dashes), or issued codes with
    their households (`.code`, `.household`, as households.codes_issue_households
    returns them, in delivery order): then each building starts with a cover sheet
    and each notice names its door."""
    if not codes:
        raise ValueError("No codes to print.")
    items = [(c, None) if isinstance(c, str) else (c.code, c.household) for c in codes]
    _register_fonts()
    campaign = enrollment.campaign
    community = enrollment.community
    district = community.district
    buffer = io.BytesIO()
    with translation.override("zh-hans"):
        closes = timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M")
        fields = {
            "title": _("Property service satisfaction rating · Household code"),
            "cover_title": _("Household notices: delivery sheet"),
            "campaign": campaign.display_name,
            "community": community.display_name,
            "district": " ".join(
                part for part in (district.city_name, district.display_name) if part
            ),
            "code_label": _("Household code"),
            "instructions": [
                _("Scan the QR code, or open %(url)s and enter the household code.")
                % {"url": settings.SITE_URL + "/r/"},
                _("One code per household."),
                _(
                    "You can change your rating until rating closes; "
                    "the last one you submit counts."
                ),
                _("Do not give your household code to anyone else."),
            ],
            "closes": _("Rating closes: %(date)s") % {"date": closes},
            "issuer": _issuer_line(),
            "seal": _seal_path(),
        }
        canvas = pdf_canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(
            _("Household notices: %(community)s") % {"community": community.display_name}
        )
        canvas.setSubject(campaign.display_name)
        canvas.setAuthor("Manyi")
        canvas.setCreator("Manyi")
        # Centre the notice in its cell: the free height is the same for every code.
        free = _draw_notice(_NullCanvas(), 0, 0, fields, items[0][0])
        drop = max(free, 0) / 2
        # One bundle per building (codes without a household: one bundle, no cover).
        bundles: list[list] = []
        for item in items:
            building = item[1].building if item[1] is not None else None
            if not bundles or bundles[-1][0] != building:
                bundles.append([building, []])
            bundles[-1][1].append(item)
        for building, bundle in bundles:
            if building is not None:
                _draw_cover_sheet(canvas, fields, building, [h for _c, h in bundle])
            for start in range(0, len(bundle), NOTICES_PER_PAGE):
                _draw_cut_lines(canvas)
                for index, (code, household) in enumerate(bundle[start : start + NOTICES_PER_PAGE]):
                    column, row = index % COLUMNS, index // COLUMNS
                    left = column * NOTICE_WIDTH
                    bottom = PAGE_HEIGHT - (row + 1) * NOTICE_HEIGHT
                    _draw_notice(
                        canvas,
                        left,
                        bottom,
                        fields,
                        code,
                        drop=drop,
                        address=_household_address(household),
                    )
                canvas.showPage()
        canvas.save()
    return buffer.getvalue()
