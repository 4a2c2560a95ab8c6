"""Delete the records of wrong household codes older than the retention period.

Run daily (cron or a systemd timer, see docs/deploy.md). The records serve the
anti-fraud monitoring of a campaign while it runs; they are not kept longer."""

from django.conf import settings
from django.core.management.base import BaseCommand

from evaluations.fingerprints import prune_failed_codes


class Command(BaseCommand):
    help = "Delete records of wrong household codes older than FAILED_CODE_RETENTION_DAYS."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"keep this many days (default {settings.FAILED_CODE_RETENTION_DAYS})",
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            self.stderr.write("--days must be 0 or more.")
            raise SystemExit(2)
        deleted = prune_failed_codes(days)
        self.stdout.write(f"{deleted} failed code records deleted")
