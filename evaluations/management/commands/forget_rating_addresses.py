"""Erase the network traces of ratings once their campaign's final list is out.

Each rating keeps the client address, the browser string and the browser cookie id
for the anomaly monitoring (docs/anti-fraud.md). Ratings can be held for review only
until the preliminary list is published; once the final list is published those
traces serve nothing and only link ratings to networks in a leaked database or
backup (docs/security.md). This command blanks them for every campaign that is
published or archived. Run it daily with prune_failed_codes (docs/deploy.md);
running it again changes nothing. The answers, receipts and everything the
published digest covers are untouched, so verify_publication still passes.
"""

from django.core.management.base import BaseCommand

from evaluations.fingerprints import forget_rating_addresses


class Command(BaseCommand):
    help = (
        "Erase client addresses, browser strings and browser ids of the ratings of "
        "published and archived campaigns."
    )

    def handle(self, *args, **options):
        changed = forget_rating_addresses()
        self.stdout.write(f"network traces erased from {changed} ratings")
