"""The people who file objections: the message that tells a filer the answer, and the
erasure of their names and contacts once the campaign no longer needs them
(docs/security.md, "Objections: who sees the filer's contact").

The message is sent by a background job (reviews.tasks.objection_tell_filer), queued
after the commit of the answer, never inside the request; it carries the reference
number and the link of the public status page, never the objection's text.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from config.sms import send_sms
from evaluations.audit import audit_record
from evaluations.models import Campaign

from .models import Objection, Publication

logger = logging.getLogger(__name__)


CONTACT_PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}[0-9]$")


def contact_kind(contact: str) -> str | None:
    """ "email" or "phone" when `contact` can be written to, else None."""
    contact = (contact or "").strip()
    try:
        validate_email(contact)
    except ValidationError:
        return "phone" if CONTACT_PHONE.match(contact) else None
    return "email"


def objection_status_url(objection: Objection) -> str:
    return settings.SITE_URL + reverse("objection_status", args=[objection.reference])


def _message(objection: Objection) -> str:
    outcome = (
        _("upheld: the community is not on the final list")
        if objection.status == Objection.Status.UPHELD
        else _("dismissed")
    )
    return _(
        "Your objection %(reference)s about %(community)s has been answered (%(outcome)s). "
        "The answer: %(url)s"
    ) % {
        "reference": objection.reference_display,
        "community": objection.entry.community_name,
        "outcome": outcome,
        "url": objection_status_url(objection),
    }


def objection_tell_filer(objection_id: int, *, now=None) -> bool:
    """Tell the filer that their objection is answered, by e-mail or text message as
    they left it; once only (safe to run twice). True when a message went out."""
    now = now or timezone.now()
    with transaction.atomic():
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("entry__enrollment", "entry__publication__campaign")
            .filter(pk=objection_id)
            .first()
        )
        if (
            objection is None
            or not objection.notify
            or objection.notified_at is not None
            or objection.status not in Objection.ANSWERED
            or not objection.contact
        ):
            return False
        kind = contact_kind(objection.contact)
        with translation.override(settings.LANGUAGE_CODE):
            text = _message(objection)
            subject = _("Your objection %(reference)s has been answered") % {
                "reference": objection.reference_display
            }
        if kind == "email":
            send_mail(subject, text, None, [objection.contact])
        elif kind == "phone":
            send_sms(objection.contact, text)
        else:
            logger.warning("objection %s: no address to tell the filer", objection.pk)
            return False
        objection.notified_at = now
        objection.save(update_fields=["notified_at"])
        campaign = objection.entry.publication.campaign
        audit_record(
            "objection_filer_told",
            enrollment=objection.entry.enrollment,
            campaign=campaign,
            subject=f"{objection.entry.community_name} · {objection.reference_display}",
            new=_("e-mail") if kind == "email" else _("text message"),
        )
        if campaign.publications.filter(kind=Publication.Kind.FINAL).exists():
            objection_contacts_erase(campaign, now=now)
    return True


def objection_contacts_erase(campaign: Campaign, *, now=None) -> int:
    """Erase the filers' names and contacts of a campaign's objections: once the final
    list is out nobody needs them. A filer still waiting for the message about the
    answer keeps them until it is sent (objection_tell_filer erases them then)."""
    now = now or timezone.now()
    return (
        Objection.objects.filter(entry__publication__campaign=campaign, contact_erased_at=None)
        .exclude(notify=True, notified_at=None, status__in=Objection.ANSWERED)
        .update(contact_name="", contact="", contact_erased_at=now)
    )
