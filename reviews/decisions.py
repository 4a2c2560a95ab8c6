"""District review and city approval (SPEC steps 5 and 6): the reviewer's checks of
the prerequisites and criteria, recommending or not, and the city's approval or
return.

Each operation is atomic, checks the state it acts on (locking the row it
changes), writes an audit entry (evaluations.audit) and raises a DomainError with a
message for the person when the rules do not allow it. Views check *who* may act
(console.access); these functions check *whether* the act is allowed now.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record, require_reason
from evaluations.errors import DomainError
from evaluations.models import Campaign, Criterion, Enrollment, Prerequisite, ReviewStatus
from evaluations.tally import TallyRow, enrollment_tally

from .models import ReviewCheck
from .signals import enrollment_returned

Status = Campaign.Status


class ReviewRefused(DomainError):
    pass


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


def _checks_open(enrollment: Enrollment) -> None:
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


def _record(enrollment, subject, check, *, actor, met, note, evidence) -> ReviewCheck:
    """Write one check of a locked enrollment whose checks are open; nothing when the
    value, the note and the photo are as they were (saving again is no decision)."""
    note = (note or "").strip()[:500]
    if check is not None and check.met == met and check.note == note and not evidence:
        check.changed = False
        return check
    old = "" if check is None else (_("met") if check.met else _("not met"))
    if check is None:
        field = "prerequisite" if isinstance(subject, Prerequisite) else "criterion"
        check = ReviewCheck(enrollment=enrollment, **{field: subject})
    check.met = met
    check.note = note
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
    check.changed = True
    return check


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
    """Record one check; `changed` on the returned check says whether it was a real
    change (an unchanged value writes neither the row nor an audit entry)."""
    enrollment = _locked(enrollment)
    _checks_open(enrollment)
    field = "prerequisite" if isinstance(subject, Prerequisite) else "criterion"
    rules = getattr(enrollment.campaign, "prerequisites" if field == "prerequisite" else "criteria")
    if not rules.filter(pk=subject.pk).exists():
        raise ReviewRefused(_("This is not one of the campaign's rules."))
    check = ReviewCheck.objects.filter(enrollment=enrollment, **{field: subject}).first()
    return _record(enrollment, subject, check, actor=actor, met=met, note=note, evidence=evidence)


@transaction.atomic
def review_checks_all_met(enrollment: Enrollment, *, actor) -> int:
    """Record every prerequisite and criterion of the campaign as met (the reviewer's
    "all checks met"), keeping each check's note; returns how many changed. Each
    change is one audited check, as on the enrollment's page; the enrollment is
    locked and its state checked once for all its rules."""
    enrollment = _locked(enrollment)
    _checks_open(enrollment)
    campaign = enrollment.campaign
    checks = {(c.prerequisite_id, c.criterion_id): c for c in enrollment.checks.all()}
    changed = 0
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        key = (rule.pk, None) if isinstance(rule, Prerequisite) else (None, rule.pk)
        check = checks.get(key)
        note = check.note if check else ""
        changed += _record(
            enrollment, rule, check, actor=actor, met=True, note=note, evidence=None
        ).changed
    return changed


def recommendation_blockers(enrollment: Enrollment, tally: TallyRow | None = None) -> list[str]:
    """Why this enrollment cannot be recommended now; empty when it can."""
    if enrollment.campaign.status != Status.CLOSED:
        return [_("Rating has not closed yet.")]
    if not enrollment.campaign.rates_visible:
        return [enrollment.campaign.rates_refusal()]
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
        reason=require_reason(reason),
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
    enrollment = _decide(
        enrollment,
        actor=actor,
        target=ReviewStatus.RETURNED,
        action="returned",
        allowed_from=(ReviewStatus.RECOMMENDED, ReviewStatus.APPROVED),
        reason=require_reason(reason),
    )
    enrollment_returned.send(sender=Enrollment, enrollment=enrollment, reason=enrollment.review_reason)
    return enrollment
