"""The monitoring's background work (config/celery.py): the analysis of a campaign
whose rating has closed, computed ahead of the first view and kept
(flags.campaign_monitoring_stored) — when rating closes and after each hold or
release, so that the page reads it from the cache instead of running its aggregates
over a city's million ratings in the request."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from evaluations.models import Campaign

from . import flags


@shared_task
def monitoring_store(campaign_id: int) -> int:
    """Compute and keep the city-wide analysis of a closed campaign (nothing to do
    while it is open: the page computes it then). The communities flagged or held."""
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        return 0
    return len(flags.campaign_monitoring_stored(campaign).communities)


def store_after_commit(campaign: Campaign) -> None:
    """Have a worker compute and keep the city-wide analysis once the transaction
    has committed."""
    transaction.on_commit(lambda: monitoring_store.delay(campaign.pk))
