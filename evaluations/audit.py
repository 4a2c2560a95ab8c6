"""The audit log's one writer. Every decision of the programme — in this app and in
the apps above it (review and publication, showcases, monitoring, imports) — is
recorded by audit_record() inside the transaction that made it.

The log lives in the core app because the core's own steps (a campaign created,
opened or closed, a community enrolled, codes issued) are decisions too, and the
apps above may import the core but not the other way round.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .errors import DomainError
from .models import AuditEntry, Campaign, Enrollment


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


REASON_REQUIRED = gettext_lazy("Give a reason: it is recorded and shown with the decision.")


def require_reason(reason: str) -> str:
    """The one home of "this decision needs a reason" (forms show REASON_REQUIRED)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(str(REASON_REQUIRED))
    return reason
