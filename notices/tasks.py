"""The notices' background jobs (config/celery.py)."""

from __future__ import annotations

from celery import shared_task

from . import jobs


@shared_task(acks_late=True)
def notice_job_run(job_id: int) -> int:
    """Issue and print a NoticeJob's notices; resumes where a killed worker stopped."""
    return jobs.notice_job_run(job_id).notices


@shared_task
def delete_expired_notice_files() -> int:
    """Delete the files past NOTICE_FILES_RETENTION_DAYS: they hold plain codes."""
    return jobs.notice_files_delete_expired()
