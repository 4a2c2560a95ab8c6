"""Issue new household codes for one community in one campaign.

    python manage.py issue_codes --campaign SLUG --community NAME_OR_ID --count N \\
        [--output FILE.pdf]

Without --output the codes are printed one per line on stdout, in groups of four
as the notices show them (K7QM-X2PA-9RTD) and nothing else; with --output they are written as printable household
notices (four A6 notices per A4 page). Messages go to stderr.

Only the codes' keyed hashes are stored, so what this command prints or writes
is the only copy of the codes: an existing --output file is never overwritten,
and if the output cannot be written no codes are issued.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from communities.models import Community
from evaluations import errors, households
from evaluations.codes import format_code
from evaluations.models import Campaign, Enrollment
from notices.rendering import household_notices_pdf


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number (1 or more)")
    return number


class Command(BaseCommand):
    help = (
        "Issue new household codes for a community enrolled in a campaign. Without --output "
        "the codes are printed one per line; with --output they are written as a PDF of "
        "household notices with QR codes. Only hashes are stored: keep what is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, metavar="SLUG", help="campaign slug")
        parser.add_argument(
            "--community",
            required=True,
            metavar="NAME_OR_ID",
            help="the community's numeric id or its exact name",
        )
        parser.add_argument(
            "--count", required=True, type=positive_int, metavar="N", help="codes to issue"
        )
        parser.add_argument(
            "--output",
            metavar="FILE.pdf",
            help="write household notices to this PDF (an existing file is not overwritten) "
            "instead of printing the codes",
        )

    def handle(self, *args, campaign, community, count, output=None, **options):
        campaign_obj = self._campaign(campaign)
        community_obj = self._community(community)
        try:
            enrollment = Enrollment.objects.select_related("campaign", "community__district").get(
                campaign=campaign_obj, community=community_obj
            )
        except Enrollment.DoesNotExist:
            raise CommandError(
                f"{community_obj.name} ({community_obj.district.name}, id {community_obj.pk}) "
                f"is not enrolled in the campaign {campaign_obj.slug!r}."
            ) from None

        output_path = Path(output) if output else None
        if output_path is not None:
            if output_path.exists():
                raise CommandError(
                    f"{output_path} already exists; give another file name (it may hold "
                    "codes that are stored nowhere else)."
                )
            if not output_path.parent.is_dir():
                raise CommandError(f"The directory {output_path.parent} does not exist.")

        # One transaction: if the codes cannot be printed or written, none are issued.
        try:
            with transaction.atomic():
                codes = households.codes_issue(enrollment, count)
                if output_path is None:
                    for code in codes:
                        self.stdout.write(format_code(code))
                    self.stdout.flush()
                else:
                    _write_new_file(output_path, household_notices_pdf(enrollment, codes))
        except errors.DomainError as error:
            raise CommandError(str(error)) from error
        except OSError as error:
            raise CommandError(
                f"Could not write {output_path}: {error}. No codes were issued."
            ) from error

        if output_path is not None:
            pages = -(-len(codes) // 4)
            self.stderr.write(
                f"Wrote {len(codes)} household notice(s) on {pages} page(s) to {output_path} "
                f"for {enrollment.community.name} in {enrollment.campaign.slug}.",
                style_func=self.style.SUCCESS,
            )

    def _campaign(self, slug: str) -> Campaign:
        try:
            return Campaign.objects.get(slug=slug)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with the slug {slug!r}.") from None

    def _community(self, value: str) -> Community:
        value = value.strip()
        communities = Community.objects.select_related("district")
        if value.isdecimal():
            found = communities.filter(pk=int(value)).first()
            if found is not None:
                return found
        matches = list(communities.filter(name=value).order_by("district__code", "pk"))
        if not matches:
            raise CommandError(f"No community with the id or exact name {value!r}.")
        if len(matches) > 1:
            listing = "; ".join(
                f"id {c.pk} in {c.district.name} ({c.district.code})" for c in matches
            )
            raise CommandError(
                f"{len(matches)} communities are named {value!r}: {listing}. "
                "Give the id of the one you mean."
            )
        return matches[0]


def _write_new_file(path: Path, data: bytes) -> None:
    """Write `data` to `path`, which must not exist yet; on failure leave no partial file."""
    with open(path, "xb") as file:  # "x": never overwrite a file created meanwhile
        try:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            file.close()
            path.unlink(missing_ok=True)
            raise
