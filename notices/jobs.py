"""Printing household notices in the background (issue 12): a NoticeJob issues
codes for the households of one community, a street, a district or the whole
campaign that have none, and renders one PDF per community, zipped per street.

Resumable and idempotent. Each community is one transaction: its codes are issued,
its PDF written to the private storage, and the community added to the job's
`done_enrollments` — all or nothing. A worker killed halfway leaves the communities
before it done (codes and file) and the one it was on untouched (its transaction
rolled back; a half-written file is overwritten by the rerun), so running the job
again (notices.tasks.notice_job_run; Celery redelivers it, acks_late) carries
on where it stopped: every household ends with exactly one active code and one
notice.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from evaluations.audit import audit_record
from evaluations.errors import DomainError
from evaluations.households import codes_issue_households
from evaluations.models import Campaign, Enrollment, ReviewStatus
from uploads.private_media import private_storage

from .models import NoticeJob
from .rendering import household_notices_pdf

Scope = NoticeJob.Scope


class JobRefused(DomainError):
    pass


def job_enrollments(job: NoticeJob) -> QuerySet[Enrollment]:
    """The enrollments a job prints, in the order it prints them (by street)."""
    enrollments = Enrollment.objects.filter(campaign_id=job.campaign_id).exclude(
        review_status=ReviewStatus.UNENROLLED
    )
    if job.scope == Scope.DISTRICT:
        enrollments = enrollments.filter(community__district_id=job.scope_id)
    elif job.scope == Scope.STREET:
        enrollments = enrollments.filter(community__street_id=job.scope_id)
    elif job.scope == Scope.COMMUNITY:
        enrollments = enrollments.filter(pk=job.scope_id)
    return enrollments.order_by("community__district__code", "community__street_id", "pk")


@transaction.atomic
def notice_job_create(
    campaign: Campaign, *, scope: str, scope_id: int | None, scope_label: str, actor
) -> NoticeJob:
    """A queued job (the caller enqueues notices.tasks.notice_job_run after
    commit). Audited."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise JobRefused(
            _("The campaign is %(status)s: codes are issued only before it closes.")
            % {"status": campaign.get_status_display()}
        )
    job = NoticeJob(
        campaign=campaign,
        scope=scope,
        scope_id=scope_id,
        scope_label=scope_label,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job.total = job_enrollments(job).count()
    if job.total == 0:
        raise JobRefused(_("No enrolled community there: nothing to print."))
    job.save()
    audit_record(
        "notice_job_started",
        actor=actor,
        campaign=campaign,
        subject=scope_label,
        new=str(job.total),
    )
    return job


def _folder(job: NoticeJob) -> str:
    return f"notices/job-{job.pk}"


def _street_name(enrollment: Enrollment) -> str:
    street = enrollment.community.street
    return street.name if street is not None else _("No street")


def _pdf_path(job: NoticeJob, enrollment: Enrollment) -> str:
    return f"{_folder(job)}/parts/{enrollment.pk}.pdf"


def _print_one(job_id: int, enrollment: Enrollment) -> None:
    """One community: codes, PDF, progress — one transaction."""
    with transaction.atomic():
        job = NoticeJob.objects.select_for_update().get(pk=job_id)
        if enrollment.pk in job.done_enrollments:
            return
        issued = codes_issue_households(enrollment, issued_by=job.created_by)
        if issued:
            path = _pdf_path(job, enrollment)
            if private_storage.exists(path):  # left by a worker killed before its commit
                private_storage.delete(path)
            private_storage.save(path, ContentFile(household_notices_pdf(enrollment, issued)))
        job.done_enrollments = [*job.done_enrollments, enrollment.pk]
        job.notices += len(issued)
        job.save(update_fields=["done_enrollments", "notices"])


def _zip_per_street(job: NoticeJob) -> list[dict]:
    """One zip per street of the communities' PDFs, named after the street."""
    streets: dict[str, list[Enrollment]] = {}
    for enrollment in job_enrollments(job).select_related("community__street"):
        streets.setdefault(_street_name(enrollment), []).append(enrollment)
    files = []
    for number, (street, enrollments) in enumerate(streets.items(), start=1):
        buffer = io.BytesIO()
        count = 0
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for enrollment in enrollments:
                part = _pdf_path(job, enrollment)
                if not private_storage.exists(part):  # nothing was left to print there
                    continue
                with private_storage.open(part, "rb") as pdf:
                    archive.writestr(f"{enrollment.community.name}-{enrollment.pk}.pdf", pdf.read())
                count += 1
        if not count:
            continue
        path = f"{_folder(job)}/{number:03d}-{slugify(street, allow_unicode=True) or number}.zip"
        if private_storage.exists(path):
            private_storage.delete(path)
        stored = private_storage.save(path, ContentFile(buffer.getvalue()))
        files.append({"name": f"{street}.zip", "path": stored, "communities": count})
    return files


def notice_job_run(job_id: int) -> NoticeJob:
    """Run (or resume) a job. Safe to call again at any point: done communities are
    skipped, and a finished job is left as it is."""
    job = NoticeJob.objects.get(pk=job_id)
    if job.status == NoticeJob.Status.DONE:
        return job
    NoticeJob.objects.filter(pk=job_id).update(status=NoticeJob.Status.RUNNING, error="")
    try:
        done = set(job.done_enrollments)
        for enrollment in job_enrollments(job).select_related(
            "campaign", "community__district", "community__street"
        ):
            if enrollment.pk not in done:
                _print_one(job_id, enrollment)
        job.refresh_from_db()
        files = _zip_per_street(job)
        for enrollment in job_enrollments(job):  # the parts are in the zips now
            if private_storage.exists(_pdf_path(job, enrollment)):
                private_storage.delete(_pdf_path(job, enrollment))
    except DomainError as error:
        NoticeJob.objects.filter(pk=job_id).update(
            status=NoticeJob.Status.FAILED, error=str(error), finished_at=timezone.now()
        )
        job.refresh_from_db()
        return job
    except Exception as error:
        NoticeJob.objects.filter(pk=job_id).update(
            status=NoticeJob.Status.FAILED,
            error=_("Stopped by an error (%(error)s). Start it again: it resumes.")
            % {"error": type(error).__name__},
            finished_at=timezone.now(),
        )
        raise
    NoticeJob.objects.filter(pk=job_id).update(
        status=NoticeJob.Status.DONE, files=files, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def notice_files_delete_expired(now=None) -> int:
    """Delete the files of jobs finished more than NOTICE_FILES_RETENTION_DAYS ago:
    they hold the only copies of plain codes. The number of jobs cleared."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.NOTICE_FILES_RETENTION_DAYS)
    cleared = 0
    for job in NoticeJob.objects.filter(finished_at__lt=cutoff, files_deleted_at__isnull=True):
        for item in job.files:
            if private_storage.exists(item["path"]):
                private_storage.delete(item["path"])
        NoticeJob.objects.filter(pk=job.pk).update(files_deleted_at=now)
        cleared += 1
    return cleared
