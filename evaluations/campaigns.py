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

from .audit import audit_record
from .errors import DomainError
from .models import Campaign, Criterion, Enrollment, Prerequisite
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
    if action == "open":
        if not campaign.enrollments.exists():
            raise TransitionRefused(_("Enroll at least one community before opening rating."))
        if campaign.closes_at <= now:
            raise TransitionRefused(
                _("The rating window has already ended; change the closing time first.")
            )
    old = campaign.status
    campaign.status = transition.target
    campaign.save(update_fields=["status"])
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
        if created:
            audit_record(
                "enrollment_created",
                actor=actor,
                enrollment=enrollment,
                new=enrollment.company.name,
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
    enrolled = set(campaign.enrollments.values_list("community_id", flat=True))
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
        return set(self.campaign.enrollments.values_list("community_id", flat=True))

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
