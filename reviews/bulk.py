"""Bulk review decisions: many enrollments ticked in a list, one decision for all.

Each enrollment goes through the very rules its own page applies: the page calls
the same service of reviews.decisions on a batch of one (`enrollment_recommend` is
`enrollment_recommend_many([enrollment])`), so each is one audited decision with its
own state check. Enrollments are decided in chunks of CHUNK, one transaction per
chunk: the chunk's rows are locked in one statement, each is checked, a refused one
is listed with why and left unchanged, and the rest are written in one UPDATE (or
one INSERT of checks) with their audit entries chained in one INSERT. Round trips
per chunk, not per enrollment: 1,000 enrollments in about a second
(docs/benchmarks.md, "Bulk review decisions").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
        lambda enrollments, *, actor, reason: decisions.review_checks_all_met_many(
            enrollments, actor=actor
        ),
        reason_required=False,
        permission=REVIEW,
    ),
    "recommend": BulkDecision(_("Recommend"), decisions.enrollment_recommend_many, False, REVIEW),
    "reject": BulkDecision(_("Not recommended"), decisions.enrollment_reject_many, True, REVIEW),
    "approve": BulkDecision(_("Approve"), decisions.enrollment_approve_many, False, APPROVE),
    "return": BulkDecision(
        _("Return to the district"), decisions.enrollment_return_many, True, APPROVE
    ),
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
        batch = bulk.service(enrollments[start : start + CHUNK], actor=actor, reason=reason)
        outcome.done.extend(batch.done)
        outcome.refused.extend(batch.refused)
    return outcome
