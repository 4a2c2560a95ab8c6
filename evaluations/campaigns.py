"""Campaigns (评选活动) and enrolling communities in them (SPEC step 1).

Each operation is atomic, checks the state it acts on (locking the row it
changes), writes an audit entry (evaluations.audit) and raises a DomainError with a
message for the person when the rules do not allow it. Views check *who* may act
(console.access); these functions check *whether* the act is allowed now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.importing import (
    CREATED,
    ERROR,
    UNCHANGED,
    UPDATED,
    EnrollmentRowRefused,
    ImportPlan,
)
from communities.models import Community

from .audit import audit_record, require_reason
from .errors import DomainError
from .models import (
    Campaign,
    Criterion,
    Enrollment,
    HouseholdCode,
    Prerequisite,
    Rating,
    ReviewStatus,
)
from .signals import campaign_changed

Status = Campaign.Status


class TransitionRefused(DomainError):
    pass


class EnrollmentRefused(DomainError):
    pass


def campaign_apply_default_rules(campaign: Campaign) -> None:
    """Give a campaign without criteria or prerequisites the default set."""
    if not campaign.criteria.exists():
        campaign.criteria.set(Criterion.objects.filter(is_default=True))
    if not campaign.prerequisites.exists():
        campaign.prerequisites.set(Prerequisite.objects.filter(is_default=True))


@transaction.atomic
def campaign_create(
    *,
    actor,
    criteria: Iterable[Criterion] | None = None,
    prerequisites: Iterable[Prerequisite] | None = None,
    **fields,
) -> Campaign:
    """A new campaign, as a draft, with its rules: the criteria and prerequisites
    given, or the default sets. One audit entry names them."""
    campaign = Campaign(status=Status.DRAFT, **fields)
    campaign.full_clean()
    campaign.save()
    if criteria is not None:
        campaign.criteria.set(criteria)
    if prerequisites is not None:
        campaign.prerequisites.set(prerequisites)
    campaign_apply_default_rules(campaign)
    rules = "、".join(c.name for c in campaign.criteria.order_by("order", "code"))
    audit_record("campaign_created", actor=actor, campaign=campaign, new=Status.DRAFT, reason=rules)
    return campaign


EDITABLE_FIELDS = (
    "name",
    "name_en",
    "description",
    "opens_at",
    "closes_at",
    "opens_on_schedule",
    "is_practice",
    "threshold_percent",
    "min_responses",
    "min_coverage_percent",
    "satisfied_answers",
    "notice_days",
)


def campaign_edit_refusal(campaign: Campaign) -> str | None:
    """Why a campaign's rules, dates and texts cannot be changed now, or None: they
    can until rating opens (a campaign opened by hand early has its start moved to
    that moment, so "open" always means rating has begun)."""
    if campaign.status != Status.DRAFT:
        return _("Only a campaign whose rating has not opened can be edited.")
    return None


@transaction.atomic
def campaign_update(
    campaign: Campaign,
    *,
    actor,
    criteria: Iterable[Criterion] | None = None,
    prerequisites: Iterable[Prerequisite] | None = None,
    **fields,
) -> Campaign:
    """Change a draft's rules, dates, texts or criteria; one audit entry names what
    changed, with the old and new values."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    refusal = campaign_edit_refusal(campaign)
    if refusal:
        raise TransitionRefused(refusal)
    changes = []
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise TransitionRefused(_("This field cannot be changed."))
        if getattr(campaign, name) != value:
            changes.append((name, getattr(campaign, name), value))
            setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save()
    for relation, items in (("criteria", criteria), ("prerequisites", prerequisites)):
        if items is None:
            continue
        before = set(getattr(campaign, relation).values_list("pk", flat=True))
        after = {item.pk for item in items}
        if before != after:
            getattr(campaign, relation).set(items)
            changes.append((relation, sorted(before), sorted(after)))
    if changes:
        audit_record(
            "campaign_updated",
            actor=actor,
            campaign=campaign,
            old="; ".join(f"{n}={o}" for n, o, _new in changes),
            new="; ".join(f"{n}={v}" for n, _old, v in changes),
        )
        campaign_changed.send(sender=Campaign, campaign=campaign)
    return campaign


@transaction.atomic
def campaign_cancel(campaign: Campaign, *, actor, reason: str) -> Campaign:
    """Cancel a campaign that has not published a list: it leaves the public site;
    its enrollments, codes, ratings and audit entries are all kept."""
    reason = require_reason(reason)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (Status.DRAFT, Status.OPEN, Status.CLOSED):
        raise TransitionRefused(
            _(
                "The campaign is “%(status)s”: a campaign that has published a list is not "
                "cancelled; withdraw entries or archive it instead."
            )
            % {"status": campaign.get_status_display()}
        )
    old = campaign.status
    campaign.status = Status.CANCELLED
    campaign.cancel_reason = reason
    campaign.save(update_fields=["status", "cancel_reason"])
    audit_record(
        "campaign_cancelled",
        actor=actor,
        campaign=campaign,
        old=old,
        new=campaign.status,
        reason=reason,
    )
    campaign_changed.send(sender=Campaign, campaign=campaign)
    return campaign


def campaign_facts(campaign: Campaign) -> dict[str, int]:
    """What a step will act on, in numbers, for its confirmation page: communities
    enrolled, household codes active, counted ratings so far, enrollments waiting
    for review."""
    enrollments = campaign.enrollments.exclude(review_status=ReviewStatus.UNENROLLED).order_by()
    return {
        "communities": enrollments.count(),
        "codes": HouseholdCode.objects.active().filter(enrollment__campaign=campaign).count(),
        "ratings": Rating.objects.counted().filter(enrollment__campaign=campaign).count(),
        "waiting": enrollments.filter(
            review_status__in=[ReviewStatus.PENDING, ReviewStatus.RETURNED]
        ).count(),
    }


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    label: str


TRANSITIONS = {
    "open": Transition(Status.DRAFT, Status.OPEN, "open"),
    "close": Transition(Status.OPEN, Status.CLOSED, "close"),
    "archive": Transition(Status.PUBLISHED, Status.ARCHIVED, "archive"),
}


@transaction.atomic
def campaign_transition(campaign: Campaign, action: str, *, actor, reason: str = "", now=None):
    """Open rating, close it, or archive a published campaign.

    Publishing is not here: it happens through the notice period
    (reviews.publishing: publication_publish_preliminary, then publication_publish_final).
    """
    now = now or timezone.now()
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(_("Unknown step."))
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != transition.source:
        raise TransitionRefused(
            _("The campaign is “%(status)s”; this step needs “%(needed)s”.")
            % {
                "status": campaign.get_status_display(),
                "needed": Status(transition.source).label,
            }
        )
    fields = ["status"]
    if action == "open":
        if not campaign.enrollments.exclude(review_status=ReviewStatus.UNENROLLED).exists():
            raise TransitionRefused(_("Enroll at least one community before opening rating."))
        if campaign.closes_at <= now:
            raise TransitionRefused(
                _("The rating window has already ended; change the closing time first.")
            )
        if campaign.opens_at > now:
            # Opened by hand before its start: the start moves to now, so that the
            # campaign never shows "open for rating" while refusing ratings.
            reason = " ".join(
                part
                for part in (
                    reason,
                    _("Start moved from %(date)s to now.")
                    % {"date": timezone.localtime(campaign.opens_at).strftime("%Y-%m-%d %H:%M")},
                )
                if part
            )
            campaign.opens_at = now
            fields.append("opens_at")
    old = campaign.status
    campaign.status = transition.target
    if action == "close":
        campaign.closed_at = now
        fields.append("closed_at")
    campaign.save(update_fields=fields)
    audit_record(
        f"campaign_{action}",
        actor=actor,
        campaign=campaign,
        old=old,
        new=campaign.status,
        reason=reason,
    )
    campaign_changed.send(sender=Campaign, campaign=campaign)
    return campaign


def campaigns_follow_schedule(now=None) -> list[Campaign]:
    """Open the drafts whose start has come (those set to open on schedule, with at
    least one community enrolled) and close the open campaigns whose end has passed:
    the scheduler's step (evaluations.tasks, every minute). Each through
    campaign_transition, audited with no person as the actor."""
    now = now or timezone.now()
    changed = []
    due_to_open = (
        Campaign.objects.filter(
            status=Status.DRAFT, opens_on_schedule=True, opens_at__lte=now, closes_at__gt=now
        )
        .filter(enrollments__isnull=False)
        .distinct()
    )
    for campaign in due_to_open:
        try:
            changed.append(
                campaign_transition(campaign, "open", actor=None, reason=_("On schedule."), now=now)
            )
        except TransitionRefused:  # changed meanwhile by a person
            continue
    for campaign in Campaign.objects.filter(status=Status.OPEN, closes_at__lte=now):
        try:
            changed.append(
                campaign_transition(
                    campaign, "close", actor=None, reason=_("On schedule."), now=now
                )
            )
        except TransitionRefused:
            continue
    return changed


def enrollment_refusal(campaign: Campaign) -> str | None:
    """Why no community can be enrolled in this campaign now, or None: the one home of
    the rule "enroll only before the close" (the console's enroll page, the import
    and enrollment_create all ask here)."""
    if campaign.status not in (Status.DRAFT, Status.OPEN):
        return _("Communities can only be enrolled before a campaign closes.")
    return None


def enrollment_create(campaign: Campaign, community: Community, *, actor=None) -> Enrollment:
    """Enroll a community (audited); the company serving it now is recorded with the
    campaign. Enrolling it again returns the existing enrollment and writes nothing."""
    refusal = enrollment_refusal(campaign)
    if refusal:
        raise EnrollmentRefused(refusal)
    if community.company_id is None:
        raise EnrollmentRefused(
            _("%(community)s has no property company on record; set it first.")
            % {"community": community.name}
        )
    with transaction.atomic():
        enrollment, created = Enrollment.objects.get_or_create(
            campaign=campaign,
            community=community,
            defaults={"company_id": community.company_id, "households": community.households},
        )
        if not created and enrollment.review_status == ReviewStatus.UNENROLLED:
            # Enrolled again after being un-enrolled: the same row, back in review.
            Enrollment.objects.filter(pk=enrollment.pk).update(
                review_status=ReviewStatus.PENDING, review_reason=""
            )
            enrollment.review_status = ReviewStatus.PENDING
            created = True
        if created:
            audit_record(
                "enrollment_created",
                actor=actor,
                enrollment=enrollment,
                new=enrollment.company.name,
            )
    return enrollment


@transaction.atomic
def enrollment_unenroll(enrollment: Enrollment, *, actor, reason: str) -> Enrollment:
    """Take a community out of a campaign before rating opens. Nothing is deleted (the
    audit log refers to the enrollment): it is marked un-enrolled, leaves the listings,
    the notices and the tally, and its codes are revoked. Audited with the reason."""
    reason = require_reason(reason)
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community")
        .get(pk=enrollment.pk)
    )
    if enrollment.campaign.status != Status.DRAFT:
        raise EnrollmentRefused(_("A community can only be un-enrolled before rating opens."))
    if enrollment.review_status == ReviewStatus.UNENROLLED:
        raise EnrollmentRefused(_("This community is not enrolled any more."))
    old = enrollment.review_status
    enrollment.review_status = ReviewStatus.UNENROLLED
    enrollment.review_reason = reason
    enrollment.save(update_fields=["review_status", "review_reason"])
    revoked = (
        HouseholdCode.objects.active()
        .filter(enrollment=enrollment)
        .update(revoked_at=timezone.now())
    )
    audit_record(
        "enrollment_removed",
        actor=actor,
        enrollment=enrollment,
        old=old,
        new=ReviewStatus.UNENROLLED,
        reason=f"{reason} ({revoked})" if revoked else reason,
    )
    return enrollment


@dataclass
class EnrollResult:
    created: list[Enrollment]
    existing: list[Community]
    refused: list[tuple[Community, str]]


@transaction.atomic
def enrollments_add(campaign: Campaign, communities: Iterable[Community], *, actor) -> EnrollResult:
    """Enroll communities; each one already enrolled or refused is reported, not fatal."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    enrolled = set(
        campaign.enrollments.exclude(review_status=ReviewStatus.UNENROLLED).values_list(
            "community_id", flat=True
        )
    )
    result = EnrollResult([], [], [])
    for community in communities:
        if community.pk in enrolled:
            result.existing.append(community)
            continue
        try:
            enrollment = enrollment_create(campaign, community, actor=actor)
        except EnrollmentRefused as error:
            result.refused.append((community, str(error)))
            continue
        enrolled.add(community.pk)
        result.created.append(enrollment)
    return result


class CampaignEnrolment:
    """Enrolling the communities of an import into a campaign: the campaign side of
    communities.importing.Enrolment. Each enrollment goes through enrollment_create
    (its rules and its audit entry, by `actor`)."""

    def __init__(self, campaign: Campaign, actor=None):
        self.campaign = campaign
        self.actor = actor

    @property
    def label(self) -> str:
        return self.campaign.display_name

    def refusal(self) -> str | None:
        return enrollment_refusal(self.campaign)

    def enrolled_community_ids(self) -> set[int]:
        enrollments = self.campaign.enrollments.exclude(review_status=ReviewStatus.UNENROLLED)
        return set(enrollments.values_list("community_id", flat=True))

    def enroll(self, community: Community) -> None:
        try:
            enrollment_create(self.campaign, community, actor=self.actor)
        except DomainError as error:
            raise EnrollmentRowRefused(str(error)) from error


def import_audit(plan: ImportPlan, *, actor, campaign: Campaign | None = None):
    """The audit entry of an applied import (communities.importing.apply_plan's
    `on_applied`): what was imported, from which file, with what result — in the
    language of the person who imported it, like every other audit text."""
    counts = plan.counts
    kinds = {"communities": _("communities"), "companies": _("companies")}
    return audit_record(
        f"import_{plan.kind}",
        actor=actor,
        campaign=campaign,
        subject=f"{kinds.get(plan.kind, plan.kind)}: {plan.source}",
        new=_(
            "created %(created)d, updated %(updated)d, unchanged %(unchanged)d, skipped %(skipped)d"
        )
        % {
            "created": counts[CREATED],
            "updated": counts[UPDATED],
            "unchanged": counts[UNCHANGED],
            "skipped": counts[ERROR],
        },
    )
