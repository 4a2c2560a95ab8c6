"""Holds (暂扣): a rating the monitoring flagged may be held for review — it stops
counting (models.counted_q) — and released, each with a reason, each in the audit
log; nothing is deleted. See monitoring.flags for what is flagged.

Holds must reveal nothing and steer nothing (issue 11):
- only a rating the monitoring flags *now* can be held, and it is held with its flags;
- holds are decided while rates are hidden: after the close, staff see no rate until
  the city finalises the monitoring of the campaign (monitoring_finalise: one audited
  step listing every held rating, its flags and why) — Campaign.rates_visible;
- after that, a hold or a release needs a second city account's approval (the
  approver signs in on the same form), and the public sees, per community, how many
  ratings are held with which flag (held_counts);
- a community whose ratings were held and then released is itself flagged on the
  monitoring page (held_then_released).
"""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record, require_reason
from evaluations.errors import DomainError
from evaluations.models import AuditEntry, Campaign, Enrollment, Rating
from evaluations.signals import campaign_changed
from monitoring.flags import (
    ACTION_LIMIT,
    FLAG_LABELS,
    enrollment_flagged_ratings,
    monitoring_changed,
)
from monitoring.tasks import store_after_commit

FINALISE_PERMISSION = "evaluations.finalise_monitoring"


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


def _require_second_account(campaign: Campaign, actor, approver) -> str:
    """After the monitoring is finalised, a change needs a second city account; the
    audit names both. Returns how the approval is recorded ("" before)."""
    if campaign.monitoring_finalised_at is None:
        return ""
    if approver is None:
        raise QuarantineRefused(
            _(
                "The monitoring of this campaign is finalised: a hold or a release now needs "
                "the approval of a second city account."
            )
        )
    if (
        not getattr(approver, "is_authenticated", False)
        or approver.pk == getattr(actor, "pk", None)
        or not approver.has_perm(FINALISE_PERMISSION)
    ):
        raise QuarantineRefused(
            _("The approval must come from another city account; nothing was changed.")
        )
    return _("approved by %(name)s") % {"name": approver.get_username()}


def _flag_names(flags) -> str:
    return "、".join(str(FLAG_LABELS.get(f, f)) for f in flags)


@transaction.atomic
def ratings_quarantine(
    enrollment: Enrollment, rating_ids, *, actor, reason: str, approver=None, now=None
) -> int:
    """Hold flagged ratings of one community for review: they stop counting. All or
    nothing."""
    reason = require_reason(reason)
    campaign = Campaign.objects.select_for_update().get(pk=enrollment.campaign_id)
    blocker = quarantine_blocker(campaign)
    if blocker:
        raise QuarantineRefused(blocker)
    approval = _require_second_account(campaign, actor, approver)
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
    flagged = {item.rating.pk: item.flags for item in enrollment_flagged_ratings(enrollment)}
    unflagged = [r for r in ratings if r.pk not in flagged and r.quarantined_at is None]
    if unflagged:
        raise QuarantineRefused(
            _(
                "Only a rating the monitoring flags can be held; not flagged: %(ids)s; "
                "nothing was changed."
            )
            % {"ids": "、".join(f"#{r.pk}" for r in unflagged)}
        )
    now = now or timezone.now()
    for rating in ratings:
        flags = flagged[rating.pk]
        Rating.objects.filter(pk=rating.pk).update(
            quarantined_at=now,
            quarantined_by=actor,
            quarantine_reason=reason,
            quarantine_flags=",".join(flags),
        )
        audit_record(
            "rating_quarantined",
            actor=actor,
            enrollment=enrollment,
            campaign=campaign,
            subject=_("%(community)s · rating #%(id)d")
            % {"community": enrollment.community.name, "id": rating.pk},
            old=_("counted"),
            new=" · ".join(
                p for p in (str(_("held for review")), _flag_names(flags), approval) if p
            ),
            reason=reason,
        )
    monitoring_changed(campaign)
    store_after_commit(campaign)
    _announce_if_public(campaign)
    return len(ratings)


@transaction.atomic
def ratings_release(
    enrollment: Enrollment, rating_ids, *, actor, reason: str, approver=None
) -> int:
    """Release held ratings: a current one counts again. All or nothing."""
    reason = require_reason(reason)
    campaign = Campaign.objects.select_for_update().get(pk=enrollment.campaign_id)
    blocker = quarantine_blocker(campaign)
    if blocker:
        raise QuarantineRefused(blocker)
    approval = _require_second_account(campaign, actor, approver)
    ratings = _chosen(enrollment, rating_ids)
    free = [r for r in ratings if r.quarantined_at is None]
    if free:
        raise QuarantineRefused(
            _("Not held for review: %(ids)s; nothing was changed.")
            % {"ids": "、".join(f"#{r.pk}" for r in free)}
        )
    Rating.objects.filter(pk__in=[r.pk for r in ratings]).update(
        quarantined_at=None, quarantined_by=None, quarantine_reason="", quarantine_flags=""
    )
    for rating in ratings:
        audit_record(
            "rating_released",
            actor=actor,
            enrollment=enrollment,
            campaign=campaign,
            subject=_("%(community)s · rating #%(id)d")
            % {"community": enrollment.community.name, "id": rating.pk},
            old=" · ".join(
                p for p in (str(_("held for review")), _flag_names(_split(rating)), approval) if p
            ),
            new=_("counted") if rating.is_current else _("superseded"),
            reason=reason,
        )
    monitoring_changed(campaign)
    store_after_commit(campaign)
    _announce_if_public(campaign)
    return len(ratings)


def _announce_if_public(campaign: Campaign) -> None:
    """After the monitoring is finalised, holds are public: the pages that show them
    (the community page, open data) are told to refresh."""
    if campaign.monitoring_finalised_at is not None:
        transaction.on_commit(lambda: campaign_changed.send(sender=Campaign, campaign=campaign))


def _split(rating: Rating) -> list[str]:
    return [f for f in rating.quarantine_flags.split(",") if f]


# --- finalising the monitoring ------------------------------------------------------------


class FinaliseRefused(DomainError):
    pass


@transaction.atomic
def monitoring_finalise(campaign: Campaign, *, actor, now=None) -> Campaign:
    """The city closes the monitoring of a closed campaign: the holds are settled, and
    from now on staff see the rates. One audit entry lists every held rating with its
    flags and reason."""
    # Who may finalise is the view's question (permission FINALISE_PERMISSION, city).
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.CLOSED:
        raise FinaliseRefused(
            _("The monitoring is finalised once rating has closed; the campaign is “%(status)s”.")
            % {"status": campaign.get_status_display()}
        )
    if campaign.monitoring_finalised_at is not None:
        raise FinaliseRefused(_("The monitoring of this campaign is already finalised."))
    held = list(
        Rating.objects.filter(enrollment__campaign=campaign, quarantined_at__isnull=False)
        .select_related("enrollment__community")
        .order_by("enrollment__community__name", "pk")
    )
    listing = "\n".join(
        f"{r.enrollment.community.name} #{r.pk} [{_flag_names(_split(r))}]: {r.quarantine_reason}"
        for r in held
    )
    campaign.monitoring_finalised_at = now or timezone.now()
    campaign.monitoring_finalised_by = actor
    campaign.save(update_fields=["monitoring_finalised_at", "monitoring_finalised_by"])
    audit_record(
        "monitoring_finalised",
        actor=actor,
        campaign=campaign,
        new=_("%(n)d ratings held") % {"n": len(held)},
        reason=listing or _("No rating held."),
    )
    return campaign


def held_counts(enrollment_ids) -> dict[int, dict[str, int]]:
    """Per enrollment, how many ratings are held with each flag: public once the
    monitoring is finalised (community page, open data). One query."""
    counts: dict[int, Counter] = {}
    for enrollment_id, flags, n in (
        Rating.objects.filter(
            enrollment_id__in=enrollment_ids, quarantined_at__isnull=False, is_current=True
        )
        .values_list("enrollment_id", "quarantine_flags")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        for flag in [f for f in flags.split(",") if f] or ["none"]:
            counts.setdefault(enrollment_id, Counter())[flag] += n
    return {k: dict(v) for k, v in counts.items()}


def held_then_released(campaign: Campaign, scope: QuerySet[Enrollment] | None = None) -> list:
    """Communities where a rating was held and later released: a pattern that could
    steer a result, itself flagged. (enrollment, releases), most releases first."""
    entries = AuditEntry.objects.filter(campaign=campaign, action="rating_released")
    if scope is not None:
        entries = entries.filter(enrollment__in=scope)
    rows = entries.values("enrollment_id").annotate(n=Count("pk")).order_by("-n", "enrollment_id")
    enrollments = Enrollment.objects.select_related("community__district").in_bulk(
        [r["enrollment_id"] for r in rows]
    )
    return [(enrollments[r["enrollment_id"]], r["n"]) for r in rows if r["enrollment_id"]]
