"""Open data: a campaign's published list as CSV and JSON (SPEC step 7, issue 4),
its anonymous ballots (issue 5: the verifiable tally) and the hashes of its counted
receipts (issue 11: receipt-freeness).

Only published facts: the entries of a *final* list exactly as they were frozen
when published (PublicationEntry), the campaign's public rules, the list's
revision history with each revision's ratings digest, and the anonymous ballots
of the entries on the list (answers only, no receipt, no code: reviews.ballots), and
separately the hashes of the counted receipts, with no link between the two.
Nothing of a community that is not on the list, no comment, no household code, no
review note, no objection, no person.

The schema is documented in docs/open-data.md and is a stable interface: add
fields at the end if you must, never rename or reorder them, and bump
SCHEMA_VERSION (which is part of the ETag) when the output changes.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from evaluations.csv_export import FORMULA_START as _FORMULA_START
from evaluations.csv_export import SafeCsvWriter
from evaluations.models import public_campaign_q
from monitoring import holds
from reviews.ballots import BALLOT_FIELDS, ballot_criteria, publication_ballots, receipt_hashes
from reviews.models import Publication, PublicationEntry

# 2: adds `ratings_digest` to `publication` and `revisions[]` (nothing renamed).
# 3: adds `audit_head` to `publication` and `revisions[]`, and `ballot_criteria` (the
#    criterion codes in the order of a ballot's answers); the ballots file loses
#    `code_hash` and `receipt` (receipt hashes are a file of their own); adds
#    `held_ratings` (per entry and flag, how many ratings are held for review).
SCHEMA_VERSION = 3

# One row of the CSV, one object of the JSON "entries": names are stable.
ENTRY_FIELDS = [
    "campaign_slug",
    "revision",
    "published_at",
    "district_code",
    "district_name",
    "district_name_en",
    "street_name",
    "community_name",
    "community_name_en",
    "company_name",
    "company_credit_code",
    "households",
    "responses",
    "satisfied",
    "rate_percent",
    "status",
    "withdrawal_reason",
]

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).


def open_data_publication(slug: str, revision: int | None = None) -> Publication | None:
    """The campaign's final list: the current revision, or the one asked for.

    None when the campaign has no final list (draft, open, closed or in its public
    notice): such a campaign has published nothing that open data could show.
    """
    publications = Publication.objects.select_related("campaign")
    if revision is None:
        publications = publications.current()
    else:
        publications = publications.final().filter(revision=revision)
    return publications.filter(public_campaign_q("campaign__"), campaign__slug=slug).first()


def publication_etag(publication: Publication) -> str:
    """A published revision never changes, so its key and revision name its content."""
    return f"v{SCHEMA_VERSION}-{publication.pk}-r{publication.revision}"


def iso_datetime(value) -> str:
    """ISO 8601 in the city's time zone, to the second: 2020-05-20T10:00:00+08:00."""
    return timezone.localtime(value).isoformat(timespec="seconds")


def _percent(value: Decimal) -> str:
    return format(value, "f")


def entry_record(entry: PublicationEntry, publication: Publication) -> dict[str, Any]:
    rate = entry.rate_percent
    return {
        "campaign_slug": publication.campaign.slug,
        "revision": publication.revision,
        "published_at": iso_datetime(publication.published_at),
        "district_code": entry.district_code,
        "district_name": entry.district_name,
        "district_name_en": entry.district_name_en,
        "street_name": entry.street_name,
        "community_name": entry.community_name,
        "community_name_en": entry.community_name_en,
        "company_name": entry.company_name,
        "company_credit_code": entry.company_credit_code,
        "households": entry.households,
        "responses": entry.responses,
        "satisfied": entry.satisfied,
        "rate_percent": _percent(rate) if rate is not None else None,
        "status": entry.status,
        "withdrawal_reason": entry.withdrawal_reason,
    }


def _entries(publication: Publication):
    return publication.entries.order_by("district_code", "community_name", "pk")


def publication_records(publication: Publication) -> list[dict[str, Any]]:
    return [entry_record(entry, publication) for entry in _entries(publication)]


def publication_document(publication: Publication) -> dict[str, Any]:
    """The JSON document: the campaign and its rules, this revision, every revision
    of the final list, and the entries. Four queries, whatever the list's length."""
    campaign = publication.campaign
    revisions = campaign.publications.final().order_by("revision")
    return {
        "schema_version": SCHEMA_VERSION,
        "campaign": {
            "slug": campaign.slug,
            "name": campaign.name,
            "name_en": campaign.name_en,
            "threshold_percent": _percent(campaign.threshold_percent),
            "min_responses": campaign.min_responses,
            "min_coverage_percent": _percent(campaign.min_coverage_percent),
            "satisfied_answers": list(campaign.satisfied_answers),
            "criteria": [
                {"code": c.code, "name": c.name, "name_en": c.name_en}
                for c in campaign.criteria.order_by("order", "code")
            ],
        },
        "publication": {
            "revision": publication.revision,
            "published_at": iso_datetime(publication.published_at),
            "change_note": publication.change_note,
            "ratings_digest": publication.ratings_digest,
            "audit_head": publication.audit_head,
        },
        "ballot_criteria": ballot_criteria(publication),
        "revisions": [
            {
                "revision": r.revision,
                "published_at": iso_datetime(r.published_at),
                "change_note": r.change_note,
                "ratings_digest": r.ratings_digest,
                "audit_head": r.audit_head,
            }
            for r in revisions
        ],
        "entries": publication_records(publication),
        "held_ratings": held_ratings(publication),
    }


def held_ratings(publication: Publication) -> list[dict[str, Any]]:
    """How many ratings of each entry are held for review, per flag of the monitoring
    (issue 11: holds are public). Two queries."""
    names = {
        enrollment_id: (district_code, community_name)
        for enrollment_id, district_code, community_name in publication.entries.values_list(
            "enrollment_id", "district_code", "community_name"
        )
    }
    rows = []
    for enrollment_id, flags in sorted(holds.held_counts(list(names)).items()):
        district_code, community_name = names[enrollment_id]
        for flag, count in sorted(flags.items()):
            rows.append(
                {
                    "district_code": district_code,
                    "community_name": community_name,
                    "flag": flag,
                    "count": count,
                }
            )
    return rows


def publication_json(publication: Publication) -> bytes:
    document = publication_document(publication)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def publication_csv(publication: Publication) -> bytes:
    """UTF-8 with a BOM (so that Excel reads the Chinese), a header row of the field
    names, one row per entry. Two queries."""
    out = io.StringIO()
    # The one CSV writer of every export (evaluations.csv_export); the JSON keeps the
    # text as it is.
    writer = SafeCsvWriter(out)
    writer.writerow(ENTRY_FIELDS)
    for record in publication_records(publication):
        writer.writerow([record[name] for name in ENTRY_FIELDS])
    return out.getvalue().encode("utf-8-sig")


class _Echo:
    """A file that hands back what is written to it: the csv module writes one row
    at a time into it, and each row goes straight to the response."""

    def write(self, value: str) -> str:
        return value


def _ballot_cell(value: str) -> str:
    """Like the list's CSV, but exactly reversible, since the digest covers the exact
    text: a cell starting with a formula character *or an apostrophe* gets one
    leading apostrophe, so a reader drops the first apostrophe of any cell that has one."""
    if value.startswith((*_FORMULA_START, "'")):
        return "'" + value
    return value


def ballots_csv_chunks(publication: Publication):
    """The ballots of a publication as CSV, in canonical order, streamed: UTF-8 with
    a BOM, a header row of the field names, one row per ballot."""
    writer = csv.writer(_Echo())
    yield "\ufeff".encode() + writer.writerow(BALLOT_FIELDS).encode("utf-8")
    for ballot in publication_ballots(publication):
        row = [_ballot_cell(value) for value in ballot.csv_row()]
        yield writer.writerow(row).encode("utf-8")


def receipts_csv_chunks(publication: Publication):
    """The hashes of the counted receipts (reviews.ballots.receipt_hash), sorted, one
    a line under the header `receipt_sha256`."""
    yield b"receipt_sha256\r\n"
    for digest in receipt_hashes(publication):
        yield digest.encode("ascii") + b"\r\n"


def published_campaigns() -> list[dict[str, Any]]:
    """Every campaign with a final list, newest first, with its revisions (newest
    first) and how many communities each lists. One query."""
    publications = (
        Publication.objects.final()
        .filter(public_campaign_q("campaign__"))
        .select_related("campaign")
        .annotate(listed=Count("entries", filter=Q(entries__status=PublicationEntry.Status.LISTED)))
        .order_by("-campaign__opens_at", "campaign_id", "-revision")
    )
    campaigns: dict[int, dict[str, Any]] = {}
    for publication in publications:
        item = campaigns.setdefault(
            publication.campaign_id,
            {"campaign": publication.campaign, "current": publication, "earlier": []},
        )
        if item["current"] is not publication:
            item["earlier"].append(publication)
    return list(campaigns.values())
