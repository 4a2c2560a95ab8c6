"""The bureau's side of the programme (SPEC steps 1, 5, 6 and 8): campaign
lifecycle, enrolling, district review, city approval, the public notice with
its objections, the final list, withdrawals — and the audit log every one of
them writes.

Each operation is atomic, checks the state it acts on (locking the row it
changes), writes an AuditEntry and raises a DomainError with a message for
the person when the rules do not allow it. Views check *who* may act
(evaluations.access); these functions check *whether* the act is allowed now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community

from . import pagecache
from .ballots import publication_digest
from .models import (
    AuditEntry,
    Campaign,
    Criterion,
    Enrollment,
    Objection,
    Prerequisite,
    Publication,
    PublicationEntry,
    ReviewCheck,
    ReviewStatus,
)
from .services import DomainError, EnrollmentRefused, campaign_apply_default_rules
from .services import enrollment_create as _enrollment_create
from .tally import TallyRow, campaign_tally, enrollment_tally

Status = Campaign.Status


class TransitionRefused(DomainError):
    pass


class ReviewRefused(DomainError):
    pass


class PublicationRefused(DomainError):
    pass


class ObjectionRefused(DomainError):
    pass


# --- audit ------------------------------------------------------------------------


def audit_record(
    action: str,
    *,
    actor=None,
    campaign: Campaign | None = None,
    enrollment: Enrollment | None = None,
    subject: str = "",
    old: str = "",
    new: str = "",
    reason: str = "",
) -> AuditEntry:
    if enrollment is not None and campaign is None:
        campaign = enrollment.campaign
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
        action=action,
        campaign=campaign,
        enrollment=enrollment,
        subject=(subject or str(enrollment or campaign or ""))[:300],
        old_value=str(old)[:300],
        new_value=str(new)[:300],
        reason=reason,
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason: it is recorded and shown with the decision."))
    return reason


# --- campaigns --------------------------------------------------------------------


@transaction.atomic
def campaign_create(*, actor, **fields) -> Campaign:
    campaign = Campaign(status=Status.DRAFT, **fields)
    campaign.full_clean()
    campaign.save()
    campaign_apply_default_rules(campaign)
    audit_record("campaign_created", actor=actor, campaign=campaign, new=Status.DRAFT)
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
    (publication_publish_preliminary, then publication_publish_final).
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
    return campaign


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
            enrollment = _enrollment_create(campaign, community)
        except EnrollmentRefused as error:
            result.refused.append((community, str(error)))
            continue
        enrolled.add(community.pk)
        result.created.append(enrollment)
        audit_record(
            "enrollment_created",
            actor=actor,
            enrollment=enrollment,
            new=enrollment.company.name,
        )
    return result


# --- district review --------------------------------------------------------------


def _review_open(enrollment: Enrollment) -> None:
    campaign = enrollment.campaign
    if campaign.status != Status.CLOSED:
        raise ReviewRefused(
            _("Review happens after rating has closed; the campaign is “%(status)s”.")
            % {"status": campaign.get_status_display()}
        )
    if campaign.publications.exists():
        raise ReviewRefused(_("The preliminary list is published: review decisions are final."))


def _locked(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community__district", "company")
        .get(pk=enrollment.pk)
    )


@transaction.atomic
def review_check_record(
    enrollment: Enrollment,
    subject: Prerequisite | Criterion,
    *,
    actor,
    met: bool,
    note: str = "",
    evidence=None,
) -> ReviewCheck:
    enrollment = _locked(enrollment)
    _review_open(enrollment)
    if enrollment.review_status not in (
        ReviewStatus.PENDING,
        ReviewStatus.RETURNED,
        ReviewStatus.REJECTED,
    ):
        raise ReviewRefused(
            _("The checks can be changed only before a recommendation: it is “%(status)s”.")
            % {"status": enrollment.get_review_status_display()}
        )
    field = "prerequisite" if isinstance(subject, Prerequisite) else "criterion"
    rules = getattr(enrollment.campaign, "prerequisites" if field == "prerequisite" else "criteria")
    if not rules.filter(pk=subject.pk).exists():
        raise ReviewRefused(_("This is not one of the campaign's rules."))
    check = ReviewCheck.objects.filter(enrollment=enrollment, **{field: subject}).first()
    old = "" if check is None else (_("met") if check.met else _("not met"))
    if check is None:
        check = ReviewCheck(enrollment=enrollment, **{field: subject})
    check.met = met
    check.note = (note or "").strip()[:500]
    if evidence:
        check.evidence = evidence
    check.checked_by = actor
    check.checked_at = timezone.now()
    check.save()
    audit_record(
        "check_recorded",
        actor=actor,
        enrollment=enrollment,
        subject=f"{enrollment.community.name} · {subject.name}",
        old=old,
        new=_("met") if met else _("not met"),
        reason=check.note,
    )
    return check


def recommendation_blockers(enrollment: Enrollment, tally: TallyRow | None = None) -> list[str]:
    """Why this enrollment cannot be recommended now; empty when it can."""
    if enrollment.campaign.status != Status.CLOSED:
        return [_("Rating has not closed yet.")]
    tally = tally or enrollment_tally(enrollment)
    blockers = list(tally.reasons)
    checks = {(c.prerequisite_id, c.criterion_id): c for c in enrollment.checks.all()}
    for prerequisite in enrollment.campaign.prerequisites.all():
        check = checks.get((prerequisite.pk, None))
        if check is None:
            blockers.append(_("Not checked yet: %(rule)s.") % {"rule": prerequisite.name})
        elif not check.met:
            blockers.append(_("Not met: %(rule)s.") % {"rule": prerequisite.name})
    for criterion in enrollment.campaign.criteria.all():
        check = checks.get((None, criterion.pk))
        if check is None:
            blockers.append(_("Not checked yet: %(rule)s.") % {"rule": criterion.name})
        elif not check.met:
            blockers.append(_("Not met: %(rule)s.") % {"rule": criterion.name})
    return blockers


def _decide(enrollment, *, actor, allowed_from, target, action, reason, check=None):
    enrollment = _locked(enrollment)
    _review_open(enrollment)
    if enrollment.review_status not in allowed_from:
        raise ReviewRefused(
            _("Not possible while the enrollment is “%(status)s”.")
            % {"status": enrollment.get_review_status_display()}
        )
    if check is not None:
        check(enrollment)
    old = enrollment.review_status
    enrollment.review_status = target
    enrollment.review_reason = reason
    enrollment.save(update_fields=["review_status", "review_reason"])
    audit_record(action, actor=actor, enrollment=enrollment, old=old, new=target, reason=reason)
    return enrollment


@transaction.atomic
def enrollment_recommend(enrollment: Enrollment, *, actor, reason: str = "") -> Enrollment:
    def check(locked):
        blockers = recommendation_blockers(locked)
        if blockers:
            raise ReviewRefused(_("Cannot recommend: %(why)s") % {"why": " ".join(blockers)})

    return _decide(
        enrollment,
        actor=actor,
        target=ReviewStatus.RECOMMENDED,
        action="recommended",
        allowed_from=(ReviewStatus.PENDING, ReviewStatus.RETURNED, ReviewStatus.REJECTED),
        reason=(reason or "").strip(),
        check=check,
    )


@transaction.atomic
def enrollment_reject(enrollment: Enrollment, *, actor, reason: str) -> Enrollment:
    return _decide(
        enrollment,
        actor=actor,
        target=ReviewStatus.REJECTED,
        action="rejected",
        allowed_from=(ReviewStatus.PENDING, ReviewStatus.RETURNED, ReviewStatus.RECOMMENDED),
        reason=_require_reason(reason),
    )


@transaction.atomic
def enrollment_approve(enrollment: Enrollment, *, actor, reason: str = "") -> Enrollment:
    return _decide(
        enrollment,
        actor=actor,
        target=ReviewStatus.APPROVED,
        action="approved",
        allowed_from=(ReviewStatus.RECOMMENDED,),
        reason=(reason or "").strip(),
    )


@transaction.atomic
def enrollment_return(enrollment: Enrollment, *, actor, reason: str) -> Enrollment:
    return _decide(
        enrollment,
        actor=actor,
        target=ReviewStatus.RETURNED,
        action="returned",
        allowed_from=(ReviewStatus.RECOMMENDED, ReviewStatus.APPROVED),
        reason=_require_reason(reason),
    )


# --- publication ------------------------------------------------------------------


def _frozen_entry(publication: Publication, enrollment: Enrollment, row: TallyRow):
    community = enrollment.community
    return PublicationEntry(
        publication=publication,
        enrollment=enrollment,
        community_name=community.name,
        community_name_en=community.name_en,
        district_code=community.district.code,
        district_name=community.district.name,
        district_name_en=community.district.name_en,
        street_name=community.street.name if community.street_id else "",
        company_name=enrollment.company.name,
        company_credit_code=enrollment.company.credit_code,
        households=row.households,
        responses=row.responses,
        satisfied=row.satisfied,
    )


def _copy_entry(publication: Publication, entry: PublicationEntry, **changes):
    fields = {
        f.name: getattr(entry, f.name)
        for f in PublicationEntry._meta.concrete_fields
        if f.name not in ("id", "publication")
    }
    fields.update(changes)
    return PublicationEntry(publication=publication, **fields)


@transaction.atomic
def publication_publish_preliminary(campaign: Campaign, *, actor, now=None) -> Publication:
    """Publish the approved communities as the preliminary list: the notice period
    (公示) starts, and anyone may object until it ends."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.CLOSED:
        raise PublicationRefused(
            _(
                "The preliminary list is published after rating closes; the campaign is “%(status)s”."
            )
            % {"status": campaign.get_status_display()}
        )
    if campaign.publications.exists():
        raise PublicationRefused(_("The preliminary list has already been published."))
    enrollments = campaign.enrollments.select_related(
        "community__district", "community__street", "company"
    )
    waiting = enrollments.filter(review_status=ReviewStatus.RECOMMENDED).count()
    if waiting:
        raise PublicationRefused(
            _("%(n)d recommendations still wait for the city's decision.") % {"n": waiting}
        )
    approved = list(enrollments.filter(review_status=ReviewStatus.APPROVED))
    if not approved:
        raise PublicationRefused(_("No approved community: there is nothing to publish."))
    tally = campaign_tally(campaign)
    not_eligible = [e.community.name for e in approved if not tally[e.pk].eligible]
    if not_eligible:  # the rules changed under an approval: never publish such an entry
        raise PublicationRefused(
            _("Not eligible but approved: %(names)s.") % {"names": "、".join(not_eligible)}
        )
    publication = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.PRELIMINARY,
        revision=1,
        published_at=now,
        published_by=actor,
        notice_ends_at=now + timedelta(days=campaign.notice_days),
    )
    PublicationEntry.objects.bulk_create(
        [_frozen_entry(publication, e, tally[e.pk]) for e in approved]
    )
    audit_record(
        "preliminary_published",
        actor=actor,
        campaign=campaign,
        new=_("%(n)d communities; notice until %(until)s")
        % {
            "n": len(approved),
            "until": timezone.localtime(publication.notice_ends_at).strftime("%Y-%m-%d %H:%M"),
        },
    )
    return publication


@transaction.atomic
def objection_file(
    entry: PublicationEntry,
    *,
    contact_name: str,
    contact: str,
    text: str,
    photo=None,
    client_ip: str | None = None,
    now=None,
) -> Objection:
    now = now or timezone.now()
    entry = PublicationEntry.objects.select_related("publication__campaign").get(pk=entry.pk)
    publication = entry.publication
    if not publication.notice_open(now) or publication.campaign.status != Status.CLOSED:
        raise ObjectionRefused(
            _("The notice period of this list has ended; objections are closed.")
        )
    if not (contact_name or "").strip() or not (contact or "").strip() or not (text or "").strip():
        raise ObjectionRefused(_("Give your name, a phone number or e-mail, and the objection."))
    objection = Objection.objects.create(
        entry=entry,
        contact_name=contact_name.strip()[:50],
        contact=contact.strip()[:100],
        text=text.strip()[:2000],
        photo=photo or "",
        filed_at=now,
        client_ip=client_ip or None,
    )
    audit_record(
        "objection_filed",
        enrollment=entry.enrollment,
        campaign=publication.campaign,
        subject=f"{entry.community_name} · #{objection.pk}",
    )
    return objection


@transaction.atomic
def objection_answer(objection: Objection, *, actor, upheld: bool, answer: str) -> Objection:
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("entry__enrollment", "entry__publication__campaign")
        .get(pk=objection.pk)
    )
    answer = _require_reason(answer)
    if objection.status != Objection.Status.OPEN:
        raise ObjectionRefused(_("This objection has already been answered."))
    campaign = objection.entry.publication.campaign
    if campaign.status != Status.CLOSED:
        raise ObjectionRefused(
            _("The final list is published; objections can no longer change it.")
        )
    objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    objection.answer = answer
    objection.answered_by = actor
    objection.answered_at = timezone.now()
    objection.save()
    enrollment = objection.entry.enrollment
    if upheld and enrollment.review_status != ReviewStatus.DROPPED:
        old = enrollment.review_status
        enrollment.review_status = ReviewStatus.DROPPED
        enrollment.review_reason = answer
        enrollment.save(update_fields=["review_status", "review_reason"])
        audit_record(
            "dropped",
            actor=actor,
            enrollment=enrollment,
            old=old,
            new=ReviewStatus.DROPPED,
            reason=answer,
        )
    audit_record(
        "objection_upheld" if upheld else "objection_dismissed",
        actor=actor,
        enrollment=enrollment,
        campaign=campaign,
        subject=f"{objection.entry.community_name} · #{objection.pk}",
        reason=answer,
    )
    return objection


@transaction.atomic
def publication_publish_final(campaign: Campaign, *, actor, now=None) -> Publication:
    """After the notice period, with every objection answered: the final list,
    frozen; the campaign becomes published."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Status.CLOSED:
        raise PublicationRefused(
            _("The final list can be published once, from a closed campaign; it is “%(status)s”.")
            % {"status": campaign.get_status_display()}
        )
    preliminary = campaign.publications.filter(kind=Publication.Kind.PRELIMINARY).first()
    if preliminary is None:
        raise PublicationRefused(_("Publish the preliminary list for public notice first."))
    if preliminary.notice_open(now):
        raise PublicationRefused(
            _("The notice period runs until %(until)s.")
            % {"until": timezone.localtime(preliminary.notice_ends_at).strftime("%Y-%m-%d %H:%M")}
        )
    open_objections = Objection.objects.filter(
        entry__publication=preliminary, status=Objection.Status.OPEN
    ).count()
    if open_objections:
        raise PublicationRefused(
            _("%(n)d objections are not answered yet.") % {"n": open_objections}
        )
    final = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.FINAL,
        revision=1,
        published_at=now,
        published_by=actor,
    )
    kept = preliminary.entries.select_related("enrollment").filter(
        enrollment__review_status=ReviewStatus.APPROVED
    )
    PublicationEntry.objects.bulk_create([_copy_entry(final, entry) for entry in kept])
    # The ratings are frozen (rating closed): fix the digest of the listed ones.
    final.ratings_digest = publication_digest(final)
    final.save(update_fields=["ratings_digest"])
    old = campaign.status
    campaign.status = Status.PUBLISHED
    campaign.save(update_fields=["status"])
    audit_record(
        "final_published",
        actor=actor,
        campaign=campaign,
        old=old,
        new=campaign.status,
        reason=_("%(n)d communities on the final list") % {"n": kept.count()},
    )
    return final


@transaction.atomic
def entry_withdraw(entry: PublicationEntry, *, actor, reason: str, now=None) -> Publication:
    """Withdraw an entry of the current final list: a new revision with a change note.
    Earlier revisions stay as they were."""
    reason = _require_reason(reason)
    now = now or timezone.now()
    entry = PublicationEntry.objects.select_related("publication__campaign").get(pk=entry.pk)
    campaign = Campaign.objects.select_for_update().get(pk=entry.publication.campaign_id)
    current = Publication.objects.final().filter(campaign=campaign).order_by("-revision").first()
    if current is None or entry.publication_id != current.pk:
        raise PublicationRefused(_("Only an entry of the current published list can be withdrawn."))
    if entry.status == PublicationEntry.Status.WITHDRAWN:
        raise PublicationRefused(_("This entry has already been withdrawn."))
    revision = (
        campaign.publications.filter(kind=Publication.Kind.FINAL).aggregate(r=Max("revision"))["r"]
        + 1
    )
    new = Publication.objects.create(
        campaign=campaign,
        kind=Publication.Kind.FINAL,
        revision=revision,
        published_at=now,
        published_by=actor,
        change_note=_("Withdrawn: %(community)s（%(district)s）. %(reason)s")
        % {"community": entry.community_name, "district": entry.district_name, "reason": reason},
        # The same entries and ratings: only a status changes.
        ratings_digest=current.ratings_digest,
    )
    copies = []
    for other in current.entries.all():
        if other.pk == entry.pk:
            copies.append(
                _copy_entry(
                    new, other, status=PublicationEntry.Status.WITHDRAWN, withdrawal_reason=reason
                )
            )
        else:
            copies.append(_copy_entry(new, other))
    PublicationEntry.objects.bulk_create(copies)
    pagecache.entry_changed(entry)  # after the commit: its pages, not the others
    audit_record(
        "entry_withdrawn",
        actor=actor,
        enrollment=entry.enrollment,
        campaign=campaign,
        subject=f"{entry.community_name}（{entry.district_name}）",
        old=f"r{current.revision}",
        new=f"r{new.revision}",
        reason=reason,
    )
    return new
