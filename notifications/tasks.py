"""The background side of notifications (Celery; docs/architecture.md). Thin wrappers
of notifications.services, each safe to run twice."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_notification_emails(ids: list[int]) -> int:
    """E-mail these rows (created by an event that has committed)."""
    sent = 0
    for pk in ids:
        if services.notification_send(pk) == services.Notification.Email.SENT:
            sent += 1
    return sent


@shared_task
def notify_notice_ending() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): the city is told once, per publication and
    person, that a public notice ends within 24 hours; then the sweep of unsent rows."""
    created = services.notice_ending_soon()
    services.send_pending()
    return len(created)
