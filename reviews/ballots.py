"""The verifiable tally (issue 5, item 5): anonymous ballots and their digest.

A *ballot* is one counted rating (``Rating.objects.counted()``: the household's
latest, not held for review) of an enrollment on a final list,
without anything that names a person: the household code's keyed hash (HMAC, so it
does not reveal the code), the entry it counts for (division code and community
name, as frozen on the list), the overall answer, the answers per criterion in the
campaign's criterion order, and the receipt number.

Each ballot is written as one canonical line, a compact JSON array::

    ["<code_hash>","<district_code>","<community_name>","<overall>",["<answer>",…],"<receipt>"]

(``json.dumps(…, ensure_ascii=False, separators=(",", ":"))``), and the digest of a
publication is SHA-256 over the UTF-8 lines, each ending in ``\\n``, sorted. A code
hash is unique among counted ratings (one per household code, enforced by the
database) and every line starts with it, so sorting the lines is sorting by code
hash: the database streams them in that order and nothing is held in memory.

The digest covers the ratings of every entry of the list — listed or withdrawn,
since both publish their counts — and nothing of a community that is not on it.
It is fixed when the final list is published (workflow.publication_publish_final)
and carried over, unchanged, by each revision (a withdrawal changes a status, not
the ratings). docs/verification.md explains how anyone recomputes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Collate

from evaluations.models import Rating, RatingAnswer

from .models import Publication

# Rows fetched from the database at a time: memory stays flat for a million ratings.
CHUNK_SIZE = 2000

BALLOT_FIELDS = [
    "district_code",
    "community_name",
    "code_hash",
    "overall",
    "answers",
    "receipt",
]

# How the per-criterion answers are joined in the CSV's `answers` cell.
ANSWER_SEPARATOR = ";"


@dataclass(frozen=True)
class Ballot:
    code_hash: str
    district_code: str
    community_name: str
    overall: str
    answers: tuple[str, ...]
    receipt: str

    @property
    def line(self) -> str:
        return ballot_line(
            self.code_hash,
            self.district_code,
            self.community_name,
            self.overall,
            self.answers,
            self.receipt,
        )

    def csv_row(self) -> list[str]:
        return [
            self.district_code,
            self.community_name,
            self.code_hash,
            self.overall,
            ANSWER_SEPARATOR.join(self.answers),
            self.receipt,
        ]


def ballot_line(code_hash, district_code, community_name, overall, answers, receipt) -> str:
    """The canonical line of one ballot (without its line end)."""
    return json.dumps(
        [code_hash, district_code, community_name, overall, list(answers), receipt],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def digest_lines(lines) -> str:
    """SHA-256 (hex) over lines given in sorted order, each followed by a line end."""
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode("utf-8"))
        sha.update(b"\n")
    return sha.hexdigest()


def _binary_order(field: str):
    """Byte order for ASCII text on every database (PostgreSQL's default collation
    may follow the locale; the code hashes are lower-case hex either way)."""
    if connection.vendor == "postgresql":
        return Collate(field, "C")
    return field


def publication_ballots(publication: Publication) -> Iterator[Ballot]:
    """The ballots of a publication's entries, streamed in code-hash order: one query
    for the entries, one (server-side cursor on PostgreSQL) for the ratings."""
    entries = {
        enrollment_id: (district_code, community_name)
        for enrollment_id, district_code, community_name in publication.entries.values_list(
            "enrollment_id", "district_code", "community_name"
        )
    }
    if not entries:
        return
    criteria = list(
        publication.campaign.criteria.order_by("order", "code").values_list("pk", flat=True)
    )
    per_criterion = {
        f"answer_{i}": Subquery(
            RatingAnswer.objects.filter(rating=OuterRef("pk"), criterion_id=pk).values("answer")[:1]
        )
        for i, pk in enumerate(criteria)
    }
    names = list(per_criterion)
    ratings = (
        Rating.objects.counted()
        .filter(enrollment_id__in=publication.entries.values("enrollment_id"))
        .annotate(**per_criterion)
        .order_by(_binary_order("household_code__code_hash"))
        .values_list("household_code__code_hash", "enrollment_id", "overall", "receipt", *names)
    )
    for code_hash, enrollment_id, overall, receipt, *answers in ratings.iterator(
        chunk_size=CHUNK_SIZE
    ):
        district_code, community_name = entries[enrollment_id]
        yield Ballot(
            code_hash=code_hash,
            district_code=district_code,
            community_name=community_name,
            overall=overall,
            answers=tuple(a or "" for a in answers),
            receipt=receipt,
        )


def publication_digest(publication: Publication) -> str:
    """The digest of a publication's ballots, recomputed from the database now."""
    sha = hashlib.sha256()
    previous = None
    for ballot in publication_ballots(publication):
        line = ballot.line
        if previous is not None and line <= previous:
            # The database did not give code-hash order (never expected): be right
            # rather than fast, and sort in memory.
            return digest_lines(sorted(b.line for b in publication_ballots(publication)))
        previous = line
        sha.update(line.encode("utf-8") + b"\n")
    return sha.hexdigest()
