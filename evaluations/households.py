"""Households (住户) and their codes (SPEC step 2). The plain codes exist only in
what codes_issue and code_reissue return (and so in the notices printed from
them): the database keeps keyed hashes.

A household has at most one active code (the constraint household_one_active_code).
A community that was only counted gets households numbered 1…N the first time codes
are issued for it; imported households keep their building, unit and room, and are
printed in that order (delivery order).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .codes import generate_code, hash_code
from .errors import DomainError
from .models import Campaign, Enrollment, Household, HouseholdCode


class CodesNotIssued(DomainError):
    pass


@dataclass(frozen=True)
class IssuedCode:
    """A plain code and the household it was issued to (None for a code of the
    times before households were recorded)."""

    code: str
    household: Household | None


def _natural(text: str) -> tuple:
    """Sort key that puts room 2 before room 10 and 3栋 before 12栋."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text))


def delivery_key(building: str, unit: str, room: str) -> tuple:
    return (_natural(building), _natural(unit), _natural(room))


def households_ensure(enrollment: Enrollment) -> None:
    """Give a counted community its households, numbered in delivery order. Codes
    issued before households were recorded take the place of as many households."""
    if enrollment.dwellings.exists():
        return
    legacy = enrollment.household_codes.filter(household__isnull=True).active().count()
    Household.objects.bulk_create(
        Household(enrollment=enrollment, room=str(n), order=n)
        for n in range(1, enrollment.households - legacy + 1)
    )


def _refuse_unless_issuing(campaign: Campaign) -> None:
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise CodesNotIssued(
            _("The campaign is %(status)s: codes are issued only before it closes.")
            % {"status": campaign.get_status_display()}
        )


def households_without_code(enrollment: Enrollment):
    """The households of an enrollment that have no active code, in delivery order."""
    return (
        enrollment.dwellings.alias(
            has_code=Exists(HouseholdCode.objects.active().filter(household=OuterRef("pk")))
        )
        .filter(has_code=False)
        .order_by("order")
    )


def _new_codes(count: int) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        codes = list(dict.fromkeys(codes + [generate_code() for _ in range(count - len(codes))]))
    return codes


@transaction.atomic
def codes_issue_households(
    enrollment: Enrollment, *, issued_by=None, limit: int | None = None
) -> list[IssuedCode]:
    """A code for every household of the enrollment that has none (at most `limit`),
    in delivery order. Audited (how many, by whom; never the codes)."""
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community")
        .get(pk=enrollment.pk)
    )
    _refuse_unless_issuing(enrollment.campaign)
    households_ensure(enrollment)
    waiting = households_without_code(enrollment)
    households = list(waiting[:limit] if limit is not None else waiting)
    if not households:
        return []
    existing = enrollment.household_codes.active().count()
    now = timezone.now()
    codes = _new_codes(len(households))
    HouseholdCode.objects.bulk_create(
        HouseholdCode(
            enrollment=enrollment,
            household=household,
            code_hash=hash_code(code),
            issued_at=now,
            issued_by=issued_by,
        )
        for code, household in zip(codes, households, strict=True)
    )
    audit_record(
        "codes_issued",
        actor=issued_by,
        enrollment=enrollment,
        old=str(existing),
        new=str(existing + len(codes)),
    )
    return [IssuedCode(c, h) for c, h in zip(codes, households, strict=True)]


@transaction.atomic
def codes_issue(enrollment: Enrollment, count: int, *, issued_by=None) -> list[str]:
    """Issue `count` new codes for an enrollment, to its first households without
    one, and return them in plain text: print them now. At most one active code per
    household, so coverage cannot pass 100%."""
    if count < 1:
        raise CodesNotIssued(_("Give a number of codes of at least 1."))
    enrollment = Enrollment.objects.select_related("campaign", "community").get(pk=enrollment.pk)
    _refuse_unless_issuing(enrollment.campaign)
    households_ensure(enrollment)
    free = households_without_code(enrollment).count()
    if count > free:
        existing = enrollment.household_codes.active().count()
        raise CodesNotIssued(
            _(
                "%(community)s has %(households)d households and %(existing)d codes "
                "already; %(count)d more would exceed one code per household."
            )
            % {
                "community": enrollment.community.name,
                "households": existing + free,
                "existing": existing,
                "count": count,
            }
        )
    return [i.code for i in codes_issue_households(enrollment, issued_by=issued_by, limit=count)]


@transaction.atomic
def code_reissue(household: Household, *, actor, reason: str = "") -> IssuedCode:
    """A lost or damaged notice: the household's active code is revoked and a new
    one issued. A rating made with the new code supersedes the old code's rating
    (ratings.rating_submit). Both steps audited."""
    household = (
        Household.objects.select_for_update()
        .select_related("enrollment__campaign", "enrollment__community")
        .get(pk=household.pk)
    )
    enrollment = household.enrollment
    _refuse_unless_issuing(enrollment.campaign)
    now = timezone.now()
    revoked = HouseholdCode.objects.active().filter(household=household).update(revoked_at=now)
    if revoked:
        audit_record(
            "code_revoked",
            actor=actor,
            enrollment=enrollment,
            subject=household.address,
            reason=reason,
        )
    code = generate_code()
    HouseholdCode.objects.create(
        enrollment=enrollment,
        household=household,
        code_hash=hash_code(code),
        issued_at=now,
        issued_by=actor,
    )
    audit_record(
        "code_reissued",
        actor=actor,
        enrollment=enrollment,
        subject=household.address,
        reason=reason,
    )
    return IssuedCode(code, household)


@transaction.atomic
def building_mark_delivered(enrollment: Enrollment, building: str, *, actor) -> int:
    """The notices of one building have been delivered; the number of households."""
    marked = enrollment.dwellings.filter(building=building, delivered_at__isnull=True).update(
        delivered_at=timezone.now()
    )
    if marked:
        audit_record(
            "notices_delivered",
            actor=actor,
            enrollment=enrollment,
            subject=building or "—",
            new=str(marked),
        )
    return marked
