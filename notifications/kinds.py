"""The kinds of notification, who they are for, and their text. The text is a msgid
with named parameters, rendered when read (the inbox in the reader's language, the
e-mail in the site's): a row stores parameters, never a translated sentence."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RETURNED = "enrollment_returned"
OBJECTION = "objection_filed"
NOTICE_ENDING = "notice_ending"
FINAL_PUBLISHED = "final_published"

KIND_CHOICES = [
    (RETURNED, _("An enrollment is returned by the city")),
    (OBJECTION, _("A new objection is filed")),
    (NOTICE_ENDING, _("A public notice ends within 24 hours")),
    (FINAL_PUBLISHED, _("A final list with your communities is published")),
]
KIND_LABELS = dict(KIND_CHOICES)

_SUBJECTS = {
    RETURNED: _("Returned: %(community)s (%(campaign)s)"),
    OBJECTION: _("New objection: %(community)s (%(campaign)s)"),
    NOTICE_ENDING: _("The public notice of %(campaign)s ends at %(ends)s"),
    FINAL_PUBLISHED: _("Final list published: %(campaign)s"),
}
_BODIES = {
    RETURNED: _(
        "The city returned the enrollment of %(community)s (%(district)s) in %(campaign)s "
        "for another review. Reason: %(reason)s"
    ),
    OBJECTION: _(
        "An objection was filed against %(community)s (%(district)s) on the preliminary "
        "list of %(campaign)s. Answer it before the final list is published."
    ),
    NOTICE_ENDING: _(
        "The public notice of the preliminary list of %(campaign)s ends at %(ends)s. "
        "Answer the open objections (%(open)s now), then publish the final list."
    ),
    FINAL_PUBLISHED: _(
        "The final list of %(campaign)s is published. Your communities on it: %(communities)s."
    ),
}


def _render(table, kind: str, params: dict) -> str:
    template = table.get(kind)
    if template is None:
        return kind
    try:
        return str(template) % params  # the lazy msgid, in the active language
    except (KeyError, TypeError, ValueError):  # a row older than its text's parameters
        return str(template)


def render_subject(kind: str, params: dict) -> str:
    return _render(_SUBJECTS, kind, params)


def render_body(kind: str, params: dict) -> str:
    return _render(_BODIES, kind, params)
