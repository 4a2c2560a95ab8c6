"""Charts drawn on the server as SVG: readable with no script, in any browser that
shows images, printable, and accessible.

`district_rates_svg` draws the satisfaction rate of each district of a published
list as a horizontal bar chart; `district_chart_rows` computes its rows from the
list. The rate of a district is *pooled*: satisfied responses / all responses
of the district's listed communities together — not the mean of their rates,
so a community of 2,000 households weighs more than one of 40 — rounded down to
one decimal like every rate the portal shows. It is computed from exact sums,
never from rounded rates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from django.db.models import Count, Max, Sum
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from evaluations.tally import percent_floor
from reviews.models import Publication, PublicationEntry

FONT_FAMILY = (
    "system-ui, -apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', "
    "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
)
INK = "#1d2733"  # text: 15.1:1 on white, 13.9:1 on the page's grey
MUTED = "#56616d"  # secondary text: 6.3:1 on white, 5.8:1 on the page's grey
GRID = "#ffffff"  # grid lines: white cuts across the track and the bar
TRACK = "#e3e8ee"  # the band a bar runs in (decorative: the numbers are in words)
BAR = "#0b5cab"  # bars: 6.7:1 on white
THRESHOLD = "#b3261e"  # the threshold line and its label: 6.5:1 on white

# Heights in CSS pixels. Horizontal positions are percentages of the width, so the
# chart fills its container while its text keeps its size: as legible on a phone
# as on a desktop, never shrunk to a few pixels or blown up.
TOP = 40  # room for the threshold's label
ROW = 54  # a line of text (name, numbers), then the bar
BAR_TOP = 26  # from the top of the row
BAR_HEIGHT = 16
AXIS = 56  # tick labels and the axis caption
FONT_SIZE = 16
SMALL_FONT_SIZE = 14
DEFAULT_AXIS_MIN = 85


class DistrictRate(NamedTuple):
    """One bar: a district, how many of its communities are listed, and their pooled
    rate in percent (None when none is listed)."""

    district_name: str
    count: int
    rate_percent: Decimal | None


def _english() -> bool:
    return (get_language() or "").startswith("en")


def district_chart_rows(publication: Publication, districts=None) -> list[DistrictRate]:
    """The rows of `district_rates_svg` for a published list: every district, in
    division-code order, with its listed entries counted (withdrawn ones are not).

    One aggregate query over the list's entries. `districts` (objects with `code`,
    `name` and `name_en`, e.g. District rows the page has loaded anyway) adds the
    districts without a listed community as zero rows; by default every District is
    read, one more query. Names are the ones frozen in the list when it has them.
    """
    totals = (
        PublicationEntry.objects.filter(
            publication=publication, status=PublicationEntry.Status.LISTED
        )
        .values("district_code")
        .annotate(
            n=Count("id"),
            responses=Sum("responses"),
            satisfied=Sum("satisfied"),
            name=Max("district_name"),
            name_en=Max("district_name_en"),
        )
        .order_by("district_code")
    )
    if districts is None:
        from communities.models import District

        districts = District.objects.order_by("code").only("code", "name", "name_en")
    english = _english()
    names: dict[str, str] = {
        d.code: (d.name_en if english and d.name_en else d.name) for d in districts
    }
    counts: dict[str, tuple[int, Decimal | None]] = {}
    for row in totals:
        code = row["district_code"]
        names[code] = row["name_en"] if english and row["name_en"] else row["name"]
        rate = Fraction(row["satisfied"], row["responses"]) if row["responses"] else None
        counts[code] = (row["n"], percent_floor(rate))
    return [DistrictRate(names[code], *counts.get(code, (0, None))) for code in sorted(names)]


def _axis_min(rates: Sequence[Decimal], threshold: Decimal | None) -> int:
    """85% unless a rate or the threshold is lower: then the multiple of 5 below it."""
    lowest = min([*rates, *([threshold] if threshold is not None else [])], default=100)
    return int(min(DEFAULT_AXIS_MIN, math.floor(lowest / 5) * 5))


def _ticks(axis_min: int) -> list[int]:
    span = 100 - axis_min
    step = 5 if span <= 25 else 10 if span <= 50 else 20
    return list(range(100, axis_min - 1, -step))[::-1]


def _format_percent(value) -> str:
    """A rate as the pages show it: 96.2 → "96.2%"."""
    return f"{value}%"


def _format_rule(value) -> str:
    """A threshold without trailing zeros: 90.00 → "90%", 92.50 → "92.5%"."""
    return f"{format(Decimal(value).normalize(), 'f')}%"


def _count_text(count: int) -> str:
    if not count:
        return _("no community on the list")
    return ngettext("%(n)d community", "%(n)d communities", count) % {"n": count}


def _row_sentence(row: DistrictRate) -> str:
    """One district in words, for the description screen readers announce."""
    if row.rate_percent is None:
        return _("%(district)s: %(communities)s.") % {
            "district": row.district_name,
            "communities": _count_text(row.count),
        }
    return _("%(district)s: %(rate)s, %(communities)s.") % {
        "district": row.district_name,
        "rate": _format_percent(row.rate_percent),
        "communities": _count_text(row.count),
    }


def district_rates_svg(
    rows: Iterable[DistrictRate | tuple],
    *,
    title: str,
    threshold_percent: Decimal | None = None,
    axis_min: int | None = None,
    id_prefix: str = "district-rates",
) -> SafeString:
    """A horizontal bar chart, one bar per row, as an inline <svg> element.

    rows: (district_name, count, rate_percent) in the order to draw them, e.g. from
    district_chart_rows(); a row with count 0 has no bar and says so in words.
    Each row is a line of text — the district on the left, its rate and its number
    of communities on the right — above its bar. The axis runs from `axis_min` (85%
    unless something is lower) to 100%; the caption and the description say so.
    `threshold_percent` draws the campaign's threshold as a labelled dashed line.
    `id_prefix` keeps the ids of the title and description unique when a page shows
    several charts.

    The svg is as wide as its container (width 100%, positions in percent) and as
    tall as its rows. Every string is XML-escaped here, so the result is safe to
    put in a page as it is. The numbers are printed next to the bars and listed
    again in the description that screen readers announce (role="img" hides the
    drawing from them); no meaning rests on colour alone.
    """
    rows = [DistrictRate(str(r[0]), int(r[1]), r[2] if r[1] else None) for r in rows]
    rates = [Decimal(r.rate_percent) for r in rows if r.rate_percent is not None]
    threshold = Decimal(threshold_percent) if threshold_percent is not None else None
    low = min(axis_min if axis_min is not None else _axis_min(rates, threshold), 95)
    axis_bottom = TOP + ROW * len(rows)
    height = axis_bottom + AXIS

    def x_of(value) -> str:
        share = (min(max(Decimal(value), Decimal(low)), Decimal(100)) - low) / (100 - low)
        return f"{round(float(share) * 100, 2)}%"

    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    summary = " ".join(_row_sentence(r) for r in rows)
    description = " ".join(
        part
        for part in [
            _(
                "Bar chart of the satisfaction rate of each district: satisfied responses "
                "out of all responses in the district's communities on the list."
            ),
            _("The axis starts at %(min)s, not at 0.") % {"min": _format_percent(low)}
            if low > 0
            else "",
            _("The threshold is %(threshold)s.") % {"threshold": _format_rule(threshold)}
            if threshold is not None
            else "",
            summary or _("No district to show."),
        ]
        if part
    )

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="100%" height="{height}" '
        f"aria-labelledby={quoteattr(title_id)} aria-describedby={quoteattr(desc_id)} "
        f'font-family={quoteattr(FONT_FAMILY)} font-size="{FONT_SIZE}">',
        f"<title id={quoteattr(title_id)}>{escape(title)}</title>",
        f"<desc id={quoteattr(desc_id)}>{escape(description)}</desc>",
    ]
    ticks = _ticks(low)
    for i, tick in enumerate(ticks):
        anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
        out.append(
            f'<text x="{x_of(tick)}" y="{axis_bottom + 18}" text-anchor="{anchor}" '
            f'fill="{MUTED}" font-size="{SMALL_FONT_SIZE}">{escape(_format_percent(tick))}</text>'
        )
    axis_label = _("Satisfaction rate, axis from %(min)s to 100%%") % {"min": _format_percent(low)}
    out.append(
        f'<text x="0" y="{axis_bottom + 44}" fill="{MUTED}" font-size="{SMALL_FONT_SIZE}">'
        f"{escape(axis_label)}</text>"
    )
    show_threshold = threshold is not None and low <= threshold <= 100
    if show_threshold:
        label = _("threshold %(threshold)s") % {"threshold": _format_rule(threshold)}
        anchor = "end" if threshold > 100 - (100 - low) / 5 else "middle"
        out.append(
            f'<text x="{x_of(threshold)}" y="{TOP - 14}" text-anchor="{anchor}" '
            f'fill="{THRESHOLD}" font-size="{SMALL_FONT_SIZE}">{escape(label)}</text>'
        )
    for i, row in enumerate(rows):
        y = TOP + ROW * i
        bar_y = y + BAR_TOP
        out.append(f'<text x="0" y="{y + 17}" fill="{INK}">{escape(row.district_name)}</text>')
        if row.rate_percent is not None:
            out.append(
                f'<text x="100%" y="{y + 17}" text-anchor="end" fill="{INK}">'
                f'<tspan font-weight="700">{escape(_format_percent(row.rate_percent))}</tspan>'
                f'<tspan fill="{MUTED}"> · {escape(_count_text(row.count))}</tspan></text>'
            )
        else:
            out.append(
                f'<text x="100%" y="{y + 17}" text-anchor="end" fill="{MUTED}">'
                f"{escape(_count_text(row.count))}</text>"
            )
        # The band the bar runs in, its grid lines, the bar, the threshold across it.
        out.append(f'<rect x="0" y="{bar_y}" width="100%" height="{BAR_HEIGHT}" fill="{TRACK}"/>')
        for tick in ticks[1:-1]:
            out.append(
                f'<line x1="{x_of(tick)}" y1="{bar_y}" x2="{x_of(tick)}" '
                f'y2="{bar_y + BAR_HEIGHT}" stroke="{GRID}" stroke-width="1"/>'
            )
        if row.rate_percent is not None:
            out.append(
                f'<rect class="bar" x="0" y="{bar_y}" width="{x_of(row.rate_percent)}" '
                f'height="{BAR_HEIGHT}" fill="{BAR}"/>'
            )
        if show_threshold:
            out.append(
                f'<line x1="{x_of(threshold)}" y1="{bar_y - 4}" x2="{x_of(threshold)}" '
                f'y2="{bar_y + BAR_HEIGHT + 4}" stroke="{THRESHOLD}" stroke-width="2" '
                f'stroke-dasharray="4 3"/>'
            )
    out.append("</svg>")
    return mark_safe("\n".join(out))  # noqa: S308 — every string above is escaped
