"""Checking the audit chain (issue 11): used by `verify_audit`, `verify_publication`
and the tests. Anyone with a copy of the database recomputes every entry's hash in
the order the entries were written and names the first link that does not hold."""

from __future__ import annotations

from dataclasses import dataclass

from .audit_chain import GENESIS, hash_of
from .models import AuditEntry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    broken_at: int | None = None  # the id of the first entry whose link does not hold
    problem: str = ""
    hashes: frozenset[str] = frozenset()

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def check_audit_chain() -> ChainReport:
    prev = GENESIS
    count = 0
    seen: set[str] = set()
    fields = ["id", "prev_hash", "entry_hash", "at", "actor_id", "actor_name", "action"]
    fields += ["campaign_id", "enrollment_id", "subject", "old_value", "new_value", "reason"]
    for entry in AuditEntry.objects.order_by("id").only(*fields).iterator(chunk_size=2000):
        count += 1
        if entry.prev_hash != prev:
            return ChainReport(
                count,
                prev,
                entry.pk,
                f"entry #{entry.pk} ({entry.action}) does not follow the entry before it: "
                f"an entry before it was removed, inserted or rewritten",
            )
        recomputed = hash_of(entry)
        if recomputed != entry.entry_hash:
            return ChainReport(
                count,
                prev,
                entry.pk,
                f"entry #{entry.pk} ({entry.action}) was rewritten: its content hashes to "
                f"{recomputed}, it carries {entry.entry_hash}",
            )
        prev = entry.entry_hash
        seen.add(prev)
    return ChainReport(count, prev, hashes=frozenset(seen))
