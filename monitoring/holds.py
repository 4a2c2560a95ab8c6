"""Holds (暂扣): a rating the monitoring flagged may be held for review — it stops
counting (models.counted_q) — and released, each with a reason, each in the audit
log; nothing is deleted. See monitoring.flags for what is flagged and when holds are
allowed.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import (
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record, require_reason
from evaluations.errors import DomainError
from evaluations.models import Campaign, Enrollment, Rating
from monitoring.flags import ACTION_LIMIT


def held_ratings(enrollment: Enrollment) -> QuerySet[Rating]:
    return (
        Rating.objects.filter(enrollment=enrollment, quarantined_at__isnull=False)
        .select_related("quarantined_by")
        .order_by("-quarantined_at", "-pk")
    )


# --- quarantine -------------------------------------------------------------------------


class QuarantineRefused(DomainError):
    pass


def quarantine_blocker(campaign: Campaign) -> str | None:
    """Why ratings of this campaign cannot be held or released now; None when they can."""
    if campaign.status not in (Campaign.Status.OPEN, Campaign.Status.CLOSED):
        return _(
            "Ratings can be held or released only while rating is open or after it closes, "
            "before the preliminary list; the campaign is “%(status)s”."
        ) % {"status": campaign.get_status_display()}
    if campaign.publications.exists():
        return _(
            "The preliminary list is published with its counts: ratings can no longer be "
            "held or released. A doubtful community is handled by an objection or a "
            "withdrawal."
        )
    return None


def _chosen(enrollment: Enrollment, rating_ids) -> list[Rating]:
    ids = set()
    for raw in rating_ids:
        try:
            ids.add(int(raw))
        except (TypeError, ValueError):
            raise QuarantineRefused(_("The form does not name ratings.")) from None
    if not ids:
        raise QuarantineRefused(_("Choose at least one rating."))
    if len(ids) > ACTION_LIMIT:
        raise QuarantineRefused(_("At most %(n)d ratings at a time.") % {"n": ACTION_LIMIT})
    ratings = list(
        Rating.objects.select_for_update().filter(enrollment=enrollment, pk__in=ids).order_by("pk")
    )
    if len(ratings) != len(ids):
        raise QuarantineRefused(
            _("%(n)d of the chosen ratings are not ratings of %(community)s; nothing was changed.")
            % {"n": len(ids) - len(ratings), "community": enrollment.community.name}
        )
    return ratings


@transaction.atomic
def ratings_quarantine(enrollment: Enrollment, rating_ids, *, actor, reason: str, now=None) -> int:
    """Hold ratings of one community for review: they stop counting. All or nothing."""
    reason = require_reason(reason)
    campaign = Campaign.objects.select_for_update().get(pk=enrollment.campaign_id)
    blocker = quarantine_blocker(campaign)
    if blocker:
        raise QuarantineRefused(blocker)
    ratings = _chosen(enrollment, rating_ids)
    held = [r for r in ratings if r.quarantined_at is not None]
    if held:
        raise QuarantineRefused(
            _("Already held for review: %(ids)s; nothing was changed.")
            % {"ids": "、".join(f"#{r.pk}" for r in held)}
        )
    superseded = [r for r in ratings if not r.is_current]
    if superseded:
        raise QuarantineRefused(
            _(
                "No longer counted, a later rating of the same household replaced it: "
                "%(ids)s; nothing was changed."
            )
            % {"ids": "、".join(f"#{r.pk}" for r in superseded)}
        )
    now = now or timezone.now()
    Rating.objects.filter(pk__in=[r.pk for r in ratings]).update(
        quarantined_at=now, quarantined_by=actor, quarantine_reason=reason
    )
    for rating in ratings:
        audit_record(
            "rating_quarantined",
            actor=actor,
            enrollment=enrollment,
            campaign=campaign,
            subject=_("%(community)s · rating #%(id)d")
            % {"community": enrollment.community.name, "id": rating.pk},
            old=_("counted"),
            new=_("held for review"),
            reason=reason,
        )
    return len(ratings)


@transaction.atomic
def ratings_release(enrollment: Enrollment, rating_ids, *, actor, reason: str) -> int:
    """Release held ratings: a current one counts again. All or nothing."""
    reason = require_reason(reason)
    campaign = Campaign.objects.select_for_update().get(pk=enrollment.campaign_id)
    blocker = quarantine_blocker(campaign)
    if blocker:
        raise QuarantineRefused(blocker)
    ratings = _chosen(enrollment, rating_ids)
    free = [r for r in ratings if r.quarantined_at is None]
    if free:
        raise QuarantineRefused(
            _("Not held for review: %(ids)s; nothing was changed.")
            % {"ids": "、".join(f"#{r.pk}" for r in free)}
        )
    Rating.objects.filter(pk__in=[r.pk for r in ratings]).update(
        quarantined_at=None, quarantined_by=None, quarantine_reason=""
    )
    for rating in ratings:
        audit_record(
            "rating_released",
            actor=actor,
            enrollment=enrollment,
            campaign=campaign,
            subject=_("%(community)s · rating #%(id)d")
            % {"community": enrollment.community.name, "id": rating.pk},
            old=_("held for review"),
            new=_("counted") if rating.is_current else _("superseded"),
            reason=reason,
        )
    return len(ratings)
