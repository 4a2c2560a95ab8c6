"""Wrong household codes typed in, for the anti-fraud monitoring (a module of its own
so that models.py stays readable; evaluations.models imports it)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FailedCodeAttempt(models.Model):
    """A household code typed in and not found (or not even shaped like a code), kept
    so the anti-fraud monitoring can see addresses that try many codes, and codes tried
    in sequence. A wrong code is no secret; the rows are pruned after
    FAILED_CODE_RETENTION_DAYS (manage.py prune_failed_codes, run daily)."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    typed = models.CharField(_("code typed"), max_length=40, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed code entry")
        verbose_name_plural = _("failed code entries")
        indexes = [models.Index(fields=["client_ip", "at"], name="failed_code_ip_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.client_ip} {self.typed}"
