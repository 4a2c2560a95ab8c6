"""The review's background jobs (config/celery.py)."""

from __future__ import annotations

from celery import shared_task

from . import filers


@shared_task
def objection_tell_filer(objection_id: int) -> bool:
    """Tell an objection's filer that it is answered (once; safe to run twice)."""
    return filers.objection_tell_filer(objection_id)
