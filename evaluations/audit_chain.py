"""The audit chain's arithmetic (issue 11): each entry's hash covers its canonical
content and the hash of the entry before it, so rewriting, removing or inserting an
entry anywhere changes every hash after it — and the head published with each list
(and printed on the publication notice) no longer matches.

Pure functions, no models: the audit writer (evaluations.audit), the migration that
chained the entries already written (0013) and `verify_audit` all use these, so the
three can never disagree on what an entry's content is.

The canonical content of an entry is one compact JSON array, UTF-8::

    [prev_hash, at, actor_id, actor_name, action, campaign_id, enrollment_id,
     subject, old_value, new_value, reason]

with `at` in UTC as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; its hash is SHA-256 (hex) of it.
The first entry's predecessor is GENESIS (64 zeros).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64

# The fields an entry's hash covers, in order (after prev_hash and at).
CHAINED_FIELDS = (
    "actor_id",
    "actor_name",
    "action",
    "campaign_id",
    "enrollment_id",
    "subject",
    "old_value",
    "new_value",
    "reason",
)


def canonical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_canonical(prev_hash: str, at: datetime, values: dict) -> str:
    return json.dumps(
        [prev_hash, canonical_time(at), *(values.get(f) for f in CHAINED_FIELDS)],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def entry_hash(prev_hash: str, at: datetime, values: dict) -> str:
    return hashlib.sha256(entry_canonical(prev_hash, at, values).encode("utf-8")).hexdigest()


def hash_of(entry) -> str:
    """The hash an entry (a model instance, or anything with the same attributes)
    should carry, recomputed from its content."""
    return entry_hash(entry.prev_hash, entry.at, {f: getattr(entry, f) for f in CHAINED_FIELDS})
