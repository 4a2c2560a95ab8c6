"""Printing household notices in the background: a job per community, street,
district or whole campaign (notices/jobs.py). The codes and the households are the
core's (evaluations.models.HouseholdCode, Household); this app only prints them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign


class NoticeJob(models.Model):
    """Issuing codes and printing notices for one community, a street, a district or
    the whole campaign, in the background (notices/jobs.py). Resumable: each
    community is issued and printed in its own transaction, which also adds it to
    `done_enrollments`; a rerun skips those. The files hold the only copies of the
    plain codes: private, and deleted after NOTICE_FILES_RETENTION_DAYS."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")

    class Scope(models.TextChoices):
        CAMPAIGN = "campaign", _("The whole campaign")
        DISTRICT = "district", _("A district")
        STREET = "street", _("A street")
        COMMUNITY = "community", _("A community")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="notice_jobs", verbose_name=_("campaign")
    )
    scope = models.CharField(_("for"), max_length=12, choices=Scope.choices)
    scope_id = models.PositiveBigIntegerField(null=True, blank=True)
    scope_label = models.CharField(_("for"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("communities"), default=0)
    done_enrollments = models.JSONField(default=list)
    notices = models.PositiveIntegerField(_("notices printed"), default=0)
    files = models.JSONField(default=list)  # [{"name", "path", "notices"}], one zip a street
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files_deleted_at = models.DateTimeField(_("files deleted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice job")
        verbose_name_plural = _("notice jobs")

    def __str__(self) -> str:
        return f"{self.campaign.slug} · {self.scope_label}"

    @property
    def done(self) -> int:
        return len(self.done_enrollments)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return (100 * self.done // self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
