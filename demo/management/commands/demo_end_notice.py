"""End a campaign's public-notice period now — for walking through the demo only.

    DEBUG=1 python manage.py demo_end_notice SLUG

The real programme waits out the notice period (default five days) before the
final list may be published; a newcomer trying the console on a laptop should
not have to. Refused unless DEBUG is on, and recorded in the audit log.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from evaluations.audit import audit_record
from evaluations.models import Campaign
from reviews.models import Publication


class Command(BaseCommand):
    help = "Demo only (DEBUG=1): end the public-notice period of a campaign's preliminary list now."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    @transaction.atomic
    def handle(self, *args, slug, **options):
        if not settings.DEBUG:
            raise CommandError("Only for the demo (DEBUG=1): a real notice period runs its course.")
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign {slug!r}.")
        preliminary = campaign.publications.filter(kind=Publication.Kind.PRELIMINARY).first()
        if preliminary is None or not preliminary.notice_open():
            raise CommandError("This campaign has no preliminary list in its notice period.")
        now = timezone.now()
        old = preliminary.notice_ends_at
        Publication.objects.filter(pk=preliminary.pk).update(notice_ends_at=now)
        audit_record(
            "notice_shortened",
            campaign=campaign,
            old=timezone.localtime(old).strftime("%Y-%m-%d %H:%M"),
            new=timezone.localtime(now).strftime("%Y-%m-%d %H:%M"),
            reason="demo_end_notice (DEBUG)",
        )
        local = timezone.localtime(now)
        self.stdout.write(f"The notice period of {campaign.slug} now ends {local:%Y-%m-%d %H:%M}.")
