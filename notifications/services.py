"""Creating notifications (inside the transaction of the event that caused them),
sending their e-mail (in the background, once), reading and choosing.

A row is created with the decision that caused it and its e-mail is sent by a Celery
task enqueued on commit (notifications/receivers.py, tasks.py): a request never waits
for a mail server, and a rolled-back decision tells nobody. Sending is idempotent: the row is
locked, sent, and marked in one transaction; a second run finds it marked.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils import timezone, translation

from evaluations.models import Campaign
from reviews.models import Objection, Publication

from . import kinds, recipients
from .kinds import KIND_LABELS
from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)
NOTICE_ENDING_WITHIN = timedelta(hours=24)


def notify(kind: str, people, *, params: dict, link: str = "", key: str = "") -> list[int]:
    """One row per recipient; with a `key`, a person who has the row already gets no
    second one. Returns the ids created (the caller has their e-mail sent: receivers
    on commit, the periodic task at once)."""
    assert kind in KIND_LABELS, kind
    created = []
    for user in people:
        try:
            with transaction.atomic():  # a savepoint: a duplicate key leaves the rest
                row = Notification.objects.create(
                    recipient=user, kind=kind, params=params, link=link, key=key
                )
        except IntegrityError:
            if not key:
                raise
            continue
        created.append(row.pk)
    return created


def opted_out(user, kind: str) -> bool:
    return NotificationPreference.objects.filter(user=user, kind=kind, email=False).exists()


def notification_send(pk: int) -> str:
    """Send one row's e-mail unless sent already, opted out or addressless; returns the
    row's e-mail state. Safe to run twice, also at once on two workers (the row lock)."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=pk)
            .first()
        )
        if row is None or row.email != Notification.Email.PENDING:
            return row.email if row else ""
        if opted_out(row.recipient, row.kind):
            row.email = Notification.Email.OPTED_OUT
        elif not row.recipient.email:
            row.email = Notification.Email.NO_ADDRESS
        else:
            with translation.override(settings.LANGUAGE_CODE):
                subject, body = row.subject, row.body
                if row.link:
                    body += "\n\n" + settings.SITE_URL + row.link
            # Inside the lock: if the mail server fails, the row stays pending and the
            # task's retry (or the periodic sweep) sends it.
            send_mail(subject, body, None, [row.recipient.email])
            row.email = Notification.Email.SENT
            row.emailed_at = timezone.now()
        row.save(update_fields=["email", "emailed_at"])
        return row.email


def send_pending(limit: int = 500) -> int:
    """The sweep: rows whose e-mail is still pending (a worker died, a mail server was
    down). Returns how many were sent."""
    ids = list(
        Notification.objects.filter(email=Notification.Email.PENDING)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in ids:
        try:
            if notification_send(pk) == Notification.Email.SENT:
                sent += 1
        except Exception:  # one bad address must not stop the others
            logger.exception("Notification %s could not be e-mailed; it stays pending.", pk)
    return sent


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user, *, order: str = "unread"):
    rows = Notification.objects.filter(recipient=user)
    if order == "unread":
        # Unread first, each part newest first.
        unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1))
        return rows.order_by(unread_first, "-created_at", "-id")
    return rows.order_by("-created_at", "-id")


def notifications_mark_read(user, ids=None) -> int:
    """Mark the user's rows read (these ids, or all); someone else's ids are ignored."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())


def preferences(user) -> dict[str, bool]:
    """Every kind → whether the user wants it by e-mail."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    return {kind: chosen.get(kind, True) for kind in KIND_LABELS}


@transaction.atomic
def preferences_save(user, email_kinds) -> None:
    wanted = set(email_kinds)
    for kind in KIND_LABELS:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": kind in wanted}
        )


def notice_ending_soon(now=None) -> list[int]:
    """Preliminary lists whose notice ends within 24 hours, with no final list yet →
    the city, once per publication and person (the key)."""
    now = now or timezone.now()
    publications = (
        Publication.objects.filter(
            kind=Publication.Kind.PRELIMINARY,
            notice_ends_at__gt=now,
            notice_ends_at__lte=now + NOTICE_ENDING_WITHIN,
            campaign__status=Campaign.Status.CLOSED,
        )
        .exclude(campaign__publications__kind=Publication.Kind.FINAL)
        .select_related("campaign")
        .distinct()
    )
    created: list[int] = []
    city = list(recipients.city_staff())
    for publication in publications:
        open_objections = Objection.objects.filter(
            entry__publication=publication, status=Objection.Status.OPEN
        ).count()
        ends = timezone.localtime(publication.notice_ends_at).strftime("%Y-%m-%d %H:%M")
        created += notify(
            kinds.NOTICE_ENDING,
            city,
            params={"campaign": publication.campaign.name, "ends": ends, "open": open_objections},
            link=reverse("console:campaign", args=[publication.campaign.slug]),
            key=f"notice_ending:{publication.pk}",
        )
    return created
