"""Recompute a published final list from the database and compare (issues 5, 11).

    python manage.py verify_publication SLUG [--revision N]
        [--digest HEX] [--audit-head HEX]

For every entry of the list (the current revision, or revision N): the counted
ratings and the satisfied ones, recounted by SQL under the campaign's rules, must
equal the frozen `responses` and `satisfied`; and the digest of the anonymous
ballots (evaluations.ballots), recomputed by streaming the ratings, must equal the
`ratings_digest` published with the list; and that digest must be the one anchored
in the audit chain at publication (the `publication_anchored` entry whose hash is
the list's audit head), with the chain intact up to it. `--digest` and
`--audit-head` take the values printed on the publication notice (or read from the
list page or the open data saved at the time): copies outside the database, which a
forgery inside it cannot reach. Any difference is printed and the
command exits with status 1; a clean run prints "OK" and exits with 0.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from evaluations.chain_check import check_audit_chain
from evaluations.models import AuditEntry, Rating
from reviews.ballots import publication_digest
from reviews.models import Publication


class Command(BaseCommand):
    help = "Recompute a published final list's counts and ratings digest and compare them."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the campaign's slug")
        parser.add_argument(
            "--revision", type=int, help="a revision of the final list (default: the current one)"
        )
        parser.add_argument("--digest", default="", help="the digest printed on the notice")
        parser.add_argument("--audit-head", default="", help="the audit head printed on the notice")

    def handle(
        self,
        *args,
        slug: str,
        revision: int | None = None,
        digest: str = "",
        audit_head: str = "",
        **options,
    ):
        printed_digest, printed_head = digest.strip().lower(), audit_head.strip().lower()
        publications = Publication.objects.final().select_related("campaign")
        publications = publications.filter(campaign__slug=slug)
        if revision is None:
            publication = publications.order_by("-revision").first()
        else:
            publication = publications.filter(revision=revision).first()
        if publication is None:
            raise CommandError(
                f"No final list for the campaign {slug!r}"
                + (f" with revision {revision}." if revision is not None else ".")
            )
        campaign = publication.campaign
        self.stdout.write(f"{campaign.slug}, final list revision {publication.revision}")

        problems: list[str] = []
        entries = list(publication.entries.order_by("district_code", "community_name", "pk"))
        counts = {
            row["enrollment_id"]: row
            for row in Rating.objects.counted()
            .filter(enrollment_id__in=publication.entries.values("enrollment_id"))
            .order_by()
            .values("enrollment_id")
            .annotate(
                responses=Count("pk"),
                satisfied=Count("pk", filter=Q(overall__in=campaign.satisfied_answers)),
            )
        }
        for entry in entries:
            row = counts.get(entry.enrollment_id, {"responses": 0, "satisfied": 0})
            name = f"{entry.district_code} {entry.community_name}"
            for field in ("responses", "satisfied"):
                published, recounted = getattr(entry, field), row[field]
                if published != recounted:
                    problems.append(f"{name}: {field} published {published}, recounted {recounted}")
        self.stdout.write(f"{len(entries)} entries recounted")

        digest = publication_digest(publication)
        if not publication.ratings_digest:
            problems.append(f"no ratings digest was published with this list (recomputed {digest})")
        elif digest != publication.ratings_digest:
            problems.append(
                f"ratings digest published {publication.ratings_digest}, recomputed {digest}"
            )
        else:
            self.stdout.write(f"ratings digest {digest}")
        problems += self._anchor_problems(publication, digest, printed_digest, printed_head)

        if problems:
            for problem in problems:
                self.stderr.write(f"MISMATCH {problem}")
            raise CommandError(
                f"{len(problems)} mismatch(es): the database no longer matches the published "
                f"list {campaign.slug} revision {publication.revision}."
            )
        self.stdout.write(self.style.SUCCESS("OK: the counts and the digest match."))

    def _anchor_problems(self, publication, digest, printed_digest, printed_head) -> list[str]:
        problems = []
        if printed_digest and printed_digest != digest:
            problems.append(f"ratings digest on the notice {printed_digest}, recomputed {digest}")
        head = publication.audit_head
        if printed_head and printed_head != head:
            problems.append(f"audit head on the notice {printed_head}, in the database {head}")
        anchor = AuditEntry.objects.filter(
            action="publication_anchored", entry_hash=head, campaign=publication.campaign
        ).first()
        if not head or anchor is None:
            problems.append(f"no anchoring audit entry for the audit head {head or '(none)'}")
        elif anchor.new_value != digest:
            problems.append(f"ratings digest anchored {anchor.new_value}, recomputed {digest}")
        chain = check_audit_chain()
        if not chain.ok:
            problems.append(f"audit chain broken: {chain.problem}")
        elif head and head not in chain.hashes:
            problems.append(f"audit head {head} is not in the audit chain")
        elif not problems:
            self.stdout.write(f"anchored in the audit chain at {head}")
        return problems
