"""The background jobs of the core (config/celery.py): printing notices, the
campaigns' schedule, and the daily maintenance. Each task is a thin wrapper of a
function of this app, safe to run twice (beat may fire while a previous run is
still going; a redelivered task repeats work that is then found done)."""

from __future__ import annotations

from celery import shared_task

from . import campaigns, fingerprints, jobs


@shared_task(acks_late=True)
def notice_job_run(job_id: int) -> int:
    """Issue and print a NoticeJob's notices; resumes where a killed worker stopped."""
    return jobs.notice_job_run(job_id).notices


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


@shared_task
def delete_expired_notice_files() -> int:
    return jobs.notice_files_delete_expired()
