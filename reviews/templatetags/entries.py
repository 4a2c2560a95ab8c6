"""`{% entry_rate entry %}`: a published entry's rate, its number of responses and its
95% range, as every public page shows them (home, district, company, community,
search).

A tag rather than an included template: the district page and the search show it
for every row, and an include with two blocktranslate blocks per row was a large part
of their rendering.
"""

from django import template
from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.translation import get_language, gettext, ngettext

from reviews.publishing import campaign_stage_display

register = template.Library()


@register.filter
def frozen(entry, kind: str):
    """One frozen name of a published entry (`community`, `district`, `street`,
    `company`) as the page's language shows it: Chinese as published; on an English
    page the English (or pinyin) with the published Chinese beside it, marked as
    Chinese for screen readers."""
    chinese = getattr(entry, f"{kind}_name", "")
    if not chinese or not (get_language() or "").startswith("en"):
        return chinese
    english = entry.english_name(kind)
    if english == chinese:
        return chinese
    return format_html('{} <span class="frozen-name" lang="zh-Hans">{}</span>', english, chinese)


@register.simple_tag
def entry_rate(entry):
    """`entry`: anything with rate_percent, responses and confidence (a
    PublicationEntry, or the search's SearchEntry)."""
    responses = entry.responses
    text = ngettext("%(n)s response", "%(n)s responses", responses) % {"n": localize(responses)}
    interval = entry.confidence
    if interval:
        # Plain words for the 95% interval (Wilson): what it means, not what it is called.
        text += " · " + gettext("true rate very likely %(low)s–%(high)s%%") % {
            "low": localize(interval[0]),
            "high": localize(interval[1]),
        }
    return format_html(
        '<span class="rate">{}%</span>\n<span class="muted small">{}</span>',
        localize(entry.rate_percent),
        text,
    )


@register.filter
def campaign_stage(campaign):
    """`{{ campaign|campaign_stage }}`: 公示中 during the notice period rather than the
    bare 评议结束 (reviews.publishing.campaign_stage)."""
    return campaign_stage_display(campaign)
