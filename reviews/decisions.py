"""District review and city approval (SPEC steps 5 and 6): the reviewer's checks of
the prerequisites and criteria, recommending or not, and the city's approval or
return.

Each operation is atomic, checks the state it acts on (locking the row it
changes), writes an audit entry (evaluations.audit) and raises a DomainError with a
message for the person when the rules do not allow it. Views check *who* may act
(console.access); these functions check *whether* the act is allowed now.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluations.audit import audit_record, audit_record_many, require_reason
from evaluations.errors import DomainError
from evaluations.models import Campaign, Criterion, Enrollment, Prerequisite, ReviewStatus
from evaluations.tally import TallyRow, enrollment_tally, enrollments_tally

from .models import ReviewCheck
from .signals import checks_recorded, enrollment_returned

Status = Campaign.Status


class ReviewRefused(DomainError):
    pass


def _review_open(enrollment: Enrollment, published: dict | None = None) -> None:
    """Refuses when review is over. `published` carries, through a batch, whether each
    campaign has a list out: asked once per campaign, not once per enrollment."""
    campaign = enrollment.campaign
    if campaign.status != Status.CLOSED:
        raise ReviewRefused(
            _("Review happens after rating has closed; the campaign is “%(status)s”.")
            % {"status": campaign.get_status_display()}
        )
    published = {} if published is None else published
    if campaign.pk not in published:
        published[campaign.pk] = campaign.publications.exists()
    if published[campaign.pk]:
        raise ReviewRefused(_("The preliminary list is published: review decisions are final."))


@dataclass
class Batch:
    """What a decision on many enrollments did: `done` (with, for the checks, how many
    changed) and `refused` with why, each refusal leaving its enrollment unchanged."""

    done: list[Enrollment] = field(default_factory=list)
    refused: list[tuple[Enrollment, str]] = field(default_factory=list)
    changed: dict[int, int] = field(default_factory=dict)

    def raise_refusal(self) -> None:
        if self.refused:
            raise ReviewRefused(self.refused[0][1])


def _locked_many(enrollments: Iterable[Enrollment]) -> list[Enrollment]:
    """Lock the enrollments in one statement (in id order, as every batch does, so two
    batches never wait on each other in a circle); returned in the order given."""
    ids = [e.pk for e in enrollments]
    rows = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community__district", "company")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    by_id = {row.pk: row for row in rows}
    return [by_id[pk] for pk in dict.fromkeys(ids) if pk in by_id]


def _locked(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community__district", "company")
        .get(pk=enrollment.pk)
    )


def _checks_open(enrollment: Enrollment, published: dict | None = None) -> None:
    _review_open(enrollment, published)
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


def _rules(campaign: Campaign, cache: dict) -> list:
    if campaign.pk not in cache:
        cache[campaign.pk] = [*campaign.prerequisites.all(), *campaign.criteria.all()]
    return cache[campaign.pk]


@transaction.atomic
def review_checks_all_met(enrollment: Enrollment, *, actor) -> int:
    """Record every prerequisite and criterion of the campaign as met (the reviewer's
    "all checks met"), keeping each check's note; returns how many changed."""
    batch = review_checks_all_met_many([enrollment], actor=actor)
    batch.raise_refusal()
    return batch.changed[enrollment.pk]


@transaction.atomic
def review_checks_all_met_many(enrollments: Iterable[Enrollment], *, actor) -> Batch:
    """ "All checks met" for each enrollment: each changed check is one audited check,
    as on the enrollment's page, and a check already met is left alone. The
    enrollments are locked and their state checked first, in one statement; then the
    new checks are one INSERT, the changed ones one UPDATE, the audit entries one
    chained INSERT (evaluations.audit.audit_record_many)."""
    batch, published, rules = Batch(), {}, {}
    open_ = []
    for enrollment in _locked_many(enrollments):
        try:
            _checks_open(enrollment, published)
        except DomainError as error:
            batch.refused.append((enrollment, str(error)))
        else:
            open_.append(enrollment)
    existing = {
        (c.enrollment_id, c.prerequisite_id, c.criterion_id): c
        for c in ReviewCheck.objects.filter(enrollment__in=open_)
    }
    now = timezone.now()
    created, updated, audits = [], [], []
    for enrollment in open_:
        changed = 0
        for rule in _rules(enrollment.campaign, rules):
            field_name = "prerequisite" if isinstance(rule, Prerequisite) else "criterion"
            key = (
                (enrollment.pk, rule.pk, None)
                if field_name == "prerequisite"
                else (
                    enrollment.pk,
                    None,
                    rule.pk,
                )
            )
            check = existing.get(key)
            if check is not None and check.met:
                continue  # saving again is no decision
            if check is None:
                check = ReviewCheck(enrollment=enrollment, **{field_name: rule})
                created.append(check)
                old = ""
            else:
                updated.append(check)
                old = _("not met")
            check.met, check.checked_by, check.checked_at = True, actor, now
            audits.append(
                {
                    "action": "check_recorded",
                    "actor": actor,
                    "enrollment": enrollment,
                    "subject": f"{enrollment.community.name} · {rule.name}",
                    "old": old,
                    "new": _("met"),
                    "reason": check.note,
                }
            )
            changed += 1
        batch.done.append(enrollment)
        batch.changed[enrollment.pk] = changed
    ReviewCheck.objects.bulk_create(created)
    ReviewCheck.objects.bulk_update(updated, ["met", "checked_by", "checked_at"])
    audit_record_many(audits)
    if audits:
        checks_recorded.send(
            sender=ReviewCheck, enrollments=[e for e in batch.done if batch.changed[e.pk]]
        )
    return batch


def recommendation_blockers(
    enrollment: Enrollment,
    tally: TallyRow | None = None,
    *,
    checks: dict | None = None,
    rules: list | None = None,
) -> list[str]:
    """Why this enrollment cannot be recommended now; empty when it can. A batch
    passes the tally, the checks ((prerequisite_id, criterion_id) → check) and the
    campaign's rules it read once for all its enrollments."""
    if enrollment.campaign.status != Status.CLOSED:
        return [_("Rating has not closed yet.")]
    if not enrollment.campaign.rates_visible:
        return [enrollment.campaign.rates_refusal()]
    tally = tally or enrollment_tally(enrollment)
    blockers = list(tally.reasons)
    if checks is None:
        checks = {(c.prerequisite_id, c.criterion_id): c for c in enrollment.checks.all()}
    if rules is None:
        rules = [*enrollment.campaign.prerequisites.all(), *enrollment.campaign.criteria.all()]
    for prerequisite in (r for r in rules if isinstance(r, Prerequisite)):
        check = checks.get((prerequisite.pk, None))
        if check is None:
            blockers.append(_("Not checked yet: %(rule)s.") % {"rule": prerequisite.name})
        elif not check.met:
            blockers.append(_("Not met: %(rule)s.") % {"rule": prerequisite.name})
    for criterion in (r for r in rules if isinstance(r, Criterion)):
        check = checks.get((None, criterion.pk))
        if check is None:
            blockers.append(_("Not checked yet: %(rule)s.") % {"rule": criterion.name})
        elif not check.met:
            blockers.append(_("Not met: %(rule)s.") % {"rule": criterion.name})
    return blockers


def _decide_many(enrollments, *, actor, allowed_from, target, action, reason, check=None):
    """One decision for each enrollment: locked and state-checked together, refused
    ones listed with why and left unchanged, the rest updated in one statement and
    audited in one chained INSERT, one entry per enrollment. `check` is given the
    locked enrollments and returns the per-enrollment check (so that it can read
    what it needs once for all)."""
    batch, published = Batch(), {}
    locked = _locked_many(enrollments)
    per_enrollment = check(locked) if check is not None else None
    olds = {}
    for enrollment in locked:
        try:
            _review_open(enrollment, published)
            if enrollment.review_status not in allowed_from:
                raise ReviewRefused(
                    _("Not possible while the enrollment is “%(status)s”.")
                    % {"status": enrollment.get_review_status_display()}
                )
            if per_enrollment is not None:
                per_enrollment(enrollment)
        except DomainError as error:
            batch.refused.append((enrollment, str(error)))
            continue
        olds[enrollment.pk] = enrollment.review_status
        enrollment.review_status = target
        enrollment.review_reason = reason
        batch.done.append(enrollment)
    # The same status and reason for all: one UPDATE … WHERE id IN (…), no CASE per row.
    Enrollment.objects.filter(pk__in=[e.pk for e in batch.done]).update(
        review_status=target, review_reason=reason
    )
    audit_record_many(
        [
            {
                "action": action,
                "actor": actor,
                "enrollment": enrollment,
                "old": olds[enrollment.pk],
                "new": target,
                "reason": reason,
            }
            for enrollment in batch.done
        ]
    )
    return batch


def _one(batch: Batch) -> Enrollment:
    batch.raise_refusal()
    return batch.done[0]


_Met = namedtuple("_Met", "met")  # what the blockers read of a check


def _recommendable(locked: list[Enrollment]):
    """The recommendation's check for a batch: the tallies, checks and rules read once."""
    tallies = enrollments_tally(locked)
    checks: dict[int, dict] = {}
    rows = ReviewCheck.objects.filter(enrollment__in=locked).values_list(
        "enrollment_id", "prerequisite_id", "criterion_id", "met"
    )
    for enrollment_id, prerequisite_id, criterion_id, met in rows:
        checks.setdefault(enrollment_id, {})[(prerequisite_id, criterion_id)] = _Met(met)
    rules: dict = {}

    def check(enrollment):
        blockers = recommendation_blockers(
            enrollment,
            tallies.get(enrollment.pk),
            checks=checks.get(enrollment.pk, {}),
            rules=_rules(enrollment.campaign, rules),
        )
        if blockers:
            raise ReviewRefused(_("Cannot recommend: %(why)s") % {"why": " ".join(blockers)})

    return check


@transaction.atomic
def enrollment_recommend_many(enrollments, *, actor, reason: str = "") -> Batch:
    return _decide_many(
        enrollments,
        actor=actor,
        target=ReviewStatus.RECOMMENDED,
        action="recommended",
        allowed_from=(ReviewStatus.PENDING, ReviewStatus.RETURNED, ReviewStatus.REJECTED),
        reason=(reason or "").strip(),
        check=_recommendable,
    )


@transaction.atomic
def enrollment_reject_many(enrollments, *, actor, reason: str) -> Batch:
    return _decide_many(
        enrollments,
        actor=actor,
        target=ReviewStatus.REJECTED,
        action="rejected",
        allowed_from=(ReviewStatus.PENDING, ReviewStatus.RETURNED, ReviewStatus.RECOMMENDED),
        reason=require_reason(reason),
    )


@transaction.atomic
def enrollment_approve_many(enrollments, *, actor, reason: str = "") -> Batch:
    return _decide_many(
        enrollments,
        actor=actor,
        target=ReviewStatus.APPROVED,
        action="approved",
        allowed_from=(ReviewStatus.RECOMMENDED,),
        reason=(reason or "").strip(),
    )


@transaction.atomic
def enrollment_return_many(enrollments, *, actor, reason: str) -> Batch:
    batch = _decide_many(
        enrollments,
        actor=actor,
        target=ReviewStatus.RETURNED,
        action="returned",
        allowed_from=(ReviewStatus.RECOMMENDED, ReviewStatus.APPROVED),
        reason=require_reason(reason),
    )
    for enrollment in batch.done:
        enrollment_returned.send(
            sender=Enrollment, enrollment=enrollment, reason=enrollment.review_reason
        )
    return batch


# One enrollment, from its own page: the same functions on a batch of one.


def enrollment_recommend(enrollment: Enrollment, *, actor, reason: str = "") -> Enrollment:
    return _one(enrollment_recommend_many([enrollment], actor=actor, reason=reason))


def enrollment_reject(enrollment: Enrollment, *, actor, reason: str) -> Enrollment:
    return _one(enrollment_reject_many([enrollment], actor=actor, reason=reason))


def enrollment_approve(enrollment: Enrollment, *, actor, reason: str = "") -> Enrollment:
    return _one(enrollment_approve_many([enrollment], actor=actor, reason=reason))


def enrollment_return(enrollment: Enrollment, *, actor, reason: str) -> Enrollment:
    return _one(enrollment_return_many([enrollment], actor=actor, reason=reason))
