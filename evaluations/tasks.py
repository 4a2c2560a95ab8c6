"""The background jobs of the core (config/celery.py): the campaigns' schedule
and the daily maintenance (printing notices: notices/tasks.py). Each task is a thin wrapper of a
function of this app, safe to run twice (beat may fire while a previous run is
still going; a redelivered task repeats work that is then found done)."""

from __future__ import annotations

from celery import shared_task

from . import campaigns, fingerprints


@shared_task
def campaigns_follow_schedule() -> int:
    """Open and close campaigns as their dates say."""
    return len(campaigns.campaigns_follow_schedule())


@shared_task
def prune_failed_codes() -> int:
    return fingerprints.prune_failed_codes()


@shared_task
def forget_rating_addresses() -> int:
    return fingerprints.forget_rating_addresses()
