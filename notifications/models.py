"""What a staff account is told (an inbox row, and an e-mail unless they opted out of
its kind) and which kinds they want by e-mail. A row stores its kind and parameters,
not its text: it is rendered in the reader's language (notifications/kinds.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .kinds import KIND_CHOICES, render_body, render_subject


class Notification(models.Model):
    class Email(models.TextChoices):
        PENDING = "pending", _("To be sent")
        SENT = "sent", _("Sent")
        OPTED_OUT = "opted_out", _("Not sent: e-mail turned off for this kind")
        NO_ADDRESS = "no_address", _("Not sent: the account has no e-mail address")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=KIND_CHOICES)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    # Set where one event must reach a person once only (the notice ending: the periodic
    # task runs again and again); blank where every event is news (a second return).
    key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email = models.CharField(
        _("e-mail"), max_length=12, choices=Email.choices, default=Email.PENDING
    )
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                condition=~models.Q(key=""),
                name="notification_once_per_key",
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.kind}"

    @property
    def subject(self) -> str:
        return render_subject(self.kind, self.params)

    @property
    def body(self) -> str:
        return render_body(self.kind, self.params)


class NotificationPreference(models.Model):
    """A person's choice for one kind; no row means e-mail on (the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=KIND_CHOICES)
    email = models.BooleanField(_("by e-mail"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.email}"
