"""The verifiable tally (issues 5 and 11): anonymous ballots, their digest, and
the counted receipts as hashes.

A *ballot* is one counted rating (``Rating.objects.counted()``: the household's
latest, not held for review) of an enrollment on a final list, with nothing that
names a person or a receipt: the entry it counts for (division code and community
name, as frozen on the list), the overall answer, and the answers per criterion in
the order of the criteria's stable ``code`` (so reordering criteria in the admin
changes nothing).

Each ballot is written as one canonical line, a compact JSON array::

    ["<district_code>","<community_name>","<overall>",["<answer>",…]]

(``json.dumps(…, ensure_ascii=False, separators=(",", ":"))``). The canonical
order of the ballots is by (district_code, community_name, overall, answers…),
each compared by Unicode code point — the order the database streams them in
(binary collation) and Python's tuple order. The digest of a publication is
SHA-256 over the UTF-8 lines in that order, each ending in ``\\n``.

Receipts are not in the ballots (receipt-freeness, docs/security.md): a receipt
holder can check that their rating counted (receipt_hashes below, published
separately) but nothing ties a receipt to a ballot, so a receipt proves nothing of
what a household answered.

The digest covers the ratings of every entry of the list — listed or withdrawn,
since both publish their counts — and nothing of a community that is not on it.
It is fixed when the final list is published (publishing.publication_publish_final),
anchored in the audit chain, and carried over by each revision. docs/verification.md
explains how anyone recomputes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Collate

from evaluations.models import Rating, RatingAnswer

from .models import Publication, PublicationEntry

# Rows fetched from the database at a time: memory stays flat for a million ratings.
CHUNK_SIZE = 2000

BALLOT_FIELDS = [
    "district_code",
    "community_name",
    "overall",
    "answers",
]

# How the per-criterion answers are joined in the CSV's `answers` cell.
ANSWER_SEPARATOR = ";"


@dataclass(frozen=True)
class Ballot:
    district_code: str
    community_name: str
    overall: str
    answers: tuple[str, ...]

    @property
    def line(self) -> str:
        return ballot_line(self.district_code, self.community_name, self.overall, self.answers)

    @property
    def sort_key(self) -> tuple:
        return (self.district_code, self.community_name, self.overall, *self.answers)

    def csv_row(self) -> list[str]:
        return [
            self.district_code,
            self.community_name,
            self.overall,
            ANSWER_SEPARATOR.join(self.answers),
        ]


def ballot_line(district_code, community_name, overall, answers) -> str:
    """The canonical line of one ballot (without its line end)."""
    return json.dumps(
        [district_code, community_name, overall, list(answers)],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def digest_lines(lines) -> str:
    """SHA-256 (hex) over lines given in canonical order, each followed by a line end."""
    sha = hashlib.sha256()
    for line in lines:
        sha.update(line.encode("utf-8"))
        sha.update(b"\n")
    return sha.hexdigest()


def _binary(expression):
    """Code-point order on every database: PostgreSQL's default collation may follow
    the locale, its "C" collation compares UTF-8 bytes; SQLite compares bytes."""
    if connection.vendor == "postgresql":
        return Collate(expression, "C")
    return expression


def ballot_criteria(publication: Publication) -> list[str]:
    """The codes of the campaign's criteria, in the order a ballot lists its answers."""
    return list(publication.campaign.criteria.order_by("code").values_list("code", flat=True))


def publication_ballots(publication: Publication) -> Iterator[Ballot]:
    """The ballots of a publication's entries, streamed in canonical order: one query
    (server-side cursor on PostgreSQL)."""
    if not publication.entries.exists():
        return
    criteria = list(publication.campaign.criteria.order_by("code").values_list("pk", flat=True))
    frozen = PublicationEntry.objects.filter(
        publication=publication, enrollment_id=OuterRef("enrollment_id")
    )
    annotations = {
        "entry_district": Subquery(frozen.values("district_code")[:1]),
        "entry_name": Subquery(frozen.values("community_name")[:1]),
    }
    for i, pk in enumerate(criteria):
        annotations[f"answer_{i}"] = Coalesce(
            Subquery(
                RatingAnswer.objects.filter(rating=OuterRef("pk"), criterion_id=pk).values(
                    "answer"
                )[:1]
            ),
            Value(""),
        )
    names = list(annotations)
    ratings = (
        Rating.objects.counted()
        .filter(enrollment_id__in=publication.entries.values("enrollment_id"))
        .annotate(**annotations)
        .order_by(
            *(_binary(F(name)) for name in ["entry_district", "entry_name", "overall"]),
            *(_binary(F(name)) for name in names[2:]),
        )
        .values_list("entry_district", "entry_name", "overall", *names[2:])
    )
    for district_code, community_name, overall, *answers in ratings.iterator(chunk_size=CHUNK_SIZE):
        yield Ballot(
            district_code=district_code,
            community_name=community_name,
            overall=overall,
            answers=tuple(answers),
        )


def publication_digest(publication: Publication) -> str:
    """The digest of a publication's ballots, recomputed from the database now."""
    sha = hashlib.sha256()
    previous = None
    for ballot in publication_ballots(publication):
        if previous is not None and ballot.sort_key < previous:
            # The database did not give code-point order (never expected): be right
            # rather than fast, and sort in memory.
            ordered = sorted(publication_ballots(publication), key=lambda b: b.sort_key)
            return digest_lines(b.line for b in ordered)
        previous = ballot.sort_key
        sha.update(ballot.line.encode("utf-8") + b"\n")
    return sha.hexdigest()


def receipt_hash(receipt: str) -> str:
    """What is published of a counted receipt: SHA-256 of "manyi-receipt:" and the
    receipt as printed without spaces. A receipt has 15 random characters of a
    32-letter alphabet (75 bits): the hashes cannot be reversed by trying receipts."""
    return hashlib.sha256(f"manyi-receipt:{receipt}".encode()).hexdigest()


def receipt_hashes(publication: Publication) -> list[str]:
    """The hashes of the counted receipts of a publication's entries, sorted: a set
    with no order of rating and no link to any ballot."""
    receipts = (
        Rating.objects.counted()
        .filter(enrollment_id__in=publication.entries.values("enrollment_id"))
        .values_list("receipt", flat=True)
    )
    return sorted(receipt_hash(r) for r in receipts.iterator(chunk_size=CHUNK_SIZE))
