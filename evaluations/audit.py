"""The audit log's one writer. Every decision of the programme — in this app and in
the apps above it (review and publication, showcases, monitoring, imports) — is
recorded by audit_record() inside the transaction that made it.

The log lives in the core app because the core's own steps (a campaign created,
opened or closed, a community enrolled, codes issued) are decisions too, and the
apps above may import the core but not the other way round.

The log is a hash chain (evaluations.audit_chain): each entry carries the hash of
the one before. Appends are serialised — on PostgreSQL by a transaction-level
advisory lock, on SQLite by its single writer — and the database refuses two
entries with the same predecessor (a unique constraint on prev_hash), so the chain
can never fork even if the lock were bypassed.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .audit_chain import GENESIS, entry_hash
from .errors import DomainError
from .models import AuditEntry, Campaign, Enrollment


def _unsealed(
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
    signed_in = getattr(actor, "is_authenticated", False)
    return AuditEntry(
        actor=actor if signed_in else None,
        actor_name=actor.get_username() if signed_in else "",
        action=action,
        campaign=campaign,
        enrollment=enrollment,
        subject=(subject or str(enrollment or campaign or ""))[:300],
        old_value=str(old)[:300],
        new_value=str(new)[:300],
        reason=str(reason),
    )


def _seal(entry: AuditEntry, prev_hash: str, at) -> None:
    entry.prev_hash = prev_hash
    entry.at = at
    entry.entry_hash = entry_hash(
        entry.prev_hash,
        entry.at,
        {
            "actor_id": entry.actor_id,
            "actor_name": entry.actor_name,
            "action": entry.action,
            "campaign_id": entry.campaign_id,
            "enrollment_id": entry.enrollment_id,
            "subject": entry.subject,
            "old_value": entry.old_value,
            "new_value": entry.new_value,
            "reason": entry.reason,
        },
    )


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
    """Append one entry to the audit chain."""
    entry = _unsealed(
        action,
        actor=actor,
        campaign=campaign,
        enrollment=enrollment,
        subject=subject,
        old=old,
        new=new,
        reason=reason,
    )
    with transaction.atomic():
        _lock_chain()
        # Taken under the lock, so the chain's order is also the order of time.
        _seal(entry, audit_head(), timezone.now())
        entry.save()
    return entry


def audit_record_many(records: list[dict]) -> list[AuditEntry]:
    """Append many entries at once — each one what audit_record(**record) would write,
    chained in the list's order — under one lock and in one INSERT: a bulk decision
    on a thousand enrollments is a thousand entries, not a thousand round trips of
    lock, head and insert (docs/benchmarks.md, "Bulk review decisions")."""
    entries = [_unsealed(**record) for record in records]
    if not entries:
        return []
    with transaction.atomic():
        _lock_chain()
        prev, at = audit_head(), timezone.now()
        for entry in entries:
            _seal(entry, prev, at)
            prev = entry.entry_hash
        # One statement: its rows get ascending ids in the list's order, which is the
        # chain's order (audit_head and the chain check read by id).
        AuditEntry.objects.bulk_create(entries)
    return entries


# Any constant will do; it names the one lock every append takes.
AUDIT_CHAIN_LOCK = 0x6D616E7969  # "manyi"


def _lock_chain() -> None:
    """Two decisions must not take the same predecessor: on PostgreSQL a
    transaction-level advisory lock serialises appends (released at commit). SQLite
    has one writer at a time; the unique prev_hash refuses a fork on both."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])


def audit_head() -> str:
    """The hash of the latest entry: what is published with each list."""
    return (
        AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first() or GENESIS
    )


REASON_REQUIRED = gettext_lazy("Give a reason: it is recorded and shown with the decision.")


def require_reason(reason: str) -> str:
    """The one home of "this decision needs a reason" (forms show REASON_REQUIRED)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(str(REASON_REQUIRED))
    return reason
