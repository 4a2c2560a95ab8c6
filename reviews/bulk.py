"""Bulk review decisions: many enrollments ticked in a list, one decision for all.

Each enrollment still goes through the very service function its own page calls
(reviews.decisions), so each is one audited decision with its own state check.
Enrollments are decided in chunks, one transaction per chunk, each enrollment in
its own savepoint (the service's own ``transaction.atomic``): a refused enrollment
rolls back only itself and is listed with why, the rest proceed; a chunk's rows are
locked only while that chunk is decided, and one commit per chunk rather than per
row keeps 1,000 enrollments well under ten seconds (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from evaluations.audit import require_reason
from evaluations.errors import DomainError
from evaluations.models import Enrollment

from . import decisions

CHUNK = 200


@dataclass(frozen=True)
class BulkDecision:
    label: str
    service: Callable
    reason_required: bool
    permission: str  # who may take it (the console checks it)


REVIEW, APPROVE = "evaluations.review_enrollment", "evaluations.approve_recommendation"
BULK_DECISIONS: dict[str, BulkDecision] = {
    "checks_met": BulkDecision(
        _("Record all checks met"),
        lambda enrollment, *, actor, reason: decisions.review_checks_all_met(
            enrollment, actor=actor
        ),
        reason_required=False,
        permission=REVIEW,
    ),
    "recommend": BulkDecision(_("Recommend"), decisions.enrollment_recommend, False, REVIEW),
    "reject": BulkDecision(_("Not recommended"), decisions.enrollment_reject, True, REVIEW),
    "approve": BulkDecision(_("Approve"), decisions.enrollment_approve, False, APPROVE),
    "return": BulkDecision(_("Return to the district"), decisions.enrollment_return, True, APPROVE),
}


@dataclass
class BulkOutcome:
    done: list[Enrollment] = field(default_factory=list)
    refused: list[tuple[Enrollment, str]] = field(default_factory=list)


def enrollments_decide(
    enrollments: Iterable[Enrollment], decision: str, *, actor, reason: str = ""
) -> BulkOutcome:
    """Take `decision` for each of `enrollments` (already scoped by the caller)."""
    bulk = BULK_DECISIONS.get(decision)
    if bulk is None:
        raise DomainError(str(_("Unknown decision.")))
    reason = require_reason(reason) if bulk.reason_required else (reason or "").strip()
    outcome = BulkOutcome()
    enrollments = list(enrollments)
    for start in range(0, len(enrollments), CHUNK):
        with transaction.atomic():
            for enrollment in enrollments[start : start + CHUNK]:
                try:
                    bulk.service(enrollment, actor=actor, reason=reason)
                except DomainError as error:
                    outcome.refused.append((enrollment, str(error)))
                else:
                    outcome.done.append(enrollment)
    return outcome
