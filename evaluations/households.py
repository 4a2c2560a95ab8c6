"""Household codes issued for an enrolled community (SPEC step 2). The plain codes
exist only in what codes_issue returns: the database keeps keyed hashes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .codes import generate_code, hash_code
from .errors import DomainError
from .models import Campaign, Enrollment, HouseholdCode


class CodesNotIssued(DomainError):
    pass


@transaction.atomic
def codes_issue(enrollment: Enrollment, count: int, *, issued_by=None) -> list[str]:
    """Issue `count` new codes for an enrollment and return them in plain text.

    The plain codes exist only in the return value: print them now. At most one
    code per household is issued, so coverage cannot pass 100%. Audited (how many,
    by whom; never the codes).
    """
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign", "community")
        .get(pk=enrollment.pk)
    )
    if count < 1:
        raise CodesNotIssued(_("Give a number of codes of at least 1."))
    if enrollment.campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise CodesNotIssued(
            _("The campaign is %(status)s: codes are issued only before it closes.")
            % {"status": enrollment.campaign.get_status_display()}
        )
    existing = enrollment.household_codes.count()
    if existing + count > enrollment.households:
        raise CodesNotIssued(
            _(
                "%(community)s has %(households)d households and %(existing)d codes "
                "already; %(count)d more would exceed one code per household."
            )
            % {
                "community": enrollment.community.name,
                "households": enrollment.households,
                "existing": existing,
                "count": count,
            }
        )
    now = timezone.now()
    codes: list[str] = []
    while len(codes) < count:
        codes = list(dict.fromkeys(codes + [generate_code() for _ in range(count - len(codes))]))
    HouseholdCode.objects.bulk_create(
        [
            HouseholdCode(
                enrollment=enrollment, code_hash=hash_code(c), issued_at=now, issued_by=issued_by
            )
            for c in codes
        ]
    )
    audit_record(
        "codes_issued",
        actor=issued_by,
        enrollment=enrollment,
        old=str(existing),
        new=str(existing + count),
    )
    return codes
