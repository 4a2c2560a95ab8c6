"""The printable publication notice (名单发布公告, issue 11): one PDF per published
list, which the bureau posts on its own website at publication. It carries the
list, the date, the ballots digest and the audit head — copies kept outside the
database, so that a later edit inside it contradicts what was posted
(`verify_publication --digest … --audit-head …`, docs/verification.md).

Drawn with reportlab's platypus in STSong-Light (an Adobe CID font every PDF reader
has; nothing to embed), as the household notices are (notices.rendering).
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Publication, PublicationEntry

CJK_FONT = "STSong-Light"  # an Adobe CID font every PDF reader has (as on the household notices)


def _register_fonts() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _styles():
    base = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10.5, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=17, leading=24, spaceAfter=6),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12),
        "hash": ParagraphStyle("hash", parent=base, fontName="Courier", fontSize=9, leading=12),
    }


def publication_notice_pdf(publication: Publication) -> bytes:
    _register_fonts()
    styles = _styles()
    campaign = publication.campaign
    published = timezone.localtime(publication.published_at)
    p = lambda text, style="body": Paragraph(escape(str(text)), styles[style])  # noqa: E731
    story = [
        p(_("Publication notice"), "title"),
        p(campaign.name),
        p(
            _("%(kind)s, revision %(revision)d, published %(when)s")
            % {
                "kind": publication.get_kind_display(),
                "revision": publication.revision,
                "when": published.strftime("%Y-%m-%d %H:%M"),
            }
        ),
    ]
    if publication.change_note:
        story.append(p(publication.change_note))
    story.append(Spacer(1, 4 * mm))
    rows = [[p(_("District")), p(_("Community")), p(_("Property company")), p(_("Rate"))]]
    entries = publication.entries.order_by("district_code", "street_name", "community_name")
    for entry in entries:
        rate = f"{entry.rate_percent}%" if entry.responses else "—"
        if entry.status == PublicationEntry.Status.WITHDRAWN:
            rate = _("Withdrawn")
        rows.append(
            [p(entry.district_name), p(entry.community_name), p(entry.company_name), p(rate)]
        )
    table = Table(rows, colWidths=[28 * mm, 55 * mm, 70 * mm, 22 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, "#888888"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    story.append(p(_("Ballots digest (SHA-256)")))
    story.append(p(publication.ratings_digest or _("none: not a final list"), "hash"))
    story.append(p(_("Audit chain head")))
    story.append(p(publication.audit_head, "hash"))
    story.append(Spacer(1, 3 * mm))
    story.append(
        p(
            _(
                "Keep this notice. Anyone can recompute the digest from the published "
                "ballots and compare it with the value printed here; an edit of the ratings "
                "or of the audit log after publication would no longer match it."
            ),
            "small",
        )
    )
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{campaign.slug} r{publication.revision}",
    ).build(story)
    return out.getvalue()
