"""Household notices from the console (issue 12): printing them for a street, a
district or the whole campaign as a background job, its progress page, its files;
a community's households — delivery marked per building, a lost notice reissued.

The files hold the only copies of plain codes: they are served to the issuing role
only (manage_campaign), never cached, and deleted after NOTICE_FILES_RETENTION_DAYS.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.importing.tables import ImportFileError, read_table
from communities.models import District, Street
from console.access import access_campaign, access_enrollment, permission_required
from console.forms import RequiredReasonForm
from evaluations import campaigns, household_import, households
from evaluations.errors import DomainError
from evaluations.models import Enrollment, HouseholdCode
from notices import jobs, tasks
from notices.models import NoticeJob
from notices.rendering import household_notices_pdf
from uploads.private_media import PRIVATE_HEADERS, private_storage

Scope = NoticeJob.Scope
REFRESH_SECONDS = 3


class NoticeScopeForm(forms.Form):
    """Where to print: the whole campaign, one district or one street (a community
    is printed from its own page)."""

    scope = forms.ChoiceField(label=gettext_lazy("Print notices for"))

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        enrolled = campaign.enrollments.values("community_id")
        choices = [("campaign", str(Scope.CAMPAIGN.label))]
        districts = District.objects.filter(communities__in=enrolled).distinct().order_by("code")
        choices += [(f"district:{d.pk}", d.display_name) for d in districts]
        streets = (
            Street.objects.filter(communities__in=enrolled)
            .select_related("district")
            .distinct()
            .order_by("district__code", "name")
        )
        choices += [(f"street:{s.pk}", f"{s.district.display_name} · {s.name}") for s in streets]
        self.fields["scope"].choices = choices
        self.labels = dict(choices)

    def job_scope(self) -> tuple[str, int | None, str]:
        value = self.cleaned_data["scope"]
        kind, _sep, pk = value.partition(":")
        return kind, (int(pk) if pk else None), self.labels[value]


def _start_job(request, campaign, scope, scope_id, label):
    try:
        job = jobs.notice_job_create(
            campaign, scope=scope, scope_id=scope_id, scope_label=label, actor=request.user
        )
    except DomainError as error:
        messages.error(request, str(error))
        return None
    # After the commit, so that a worker finds the job's row.
    transaction.on_commit(lambda: tasks.notice_job_run.delay(job.pk))
    return job


@permission_required("evaluations.manage_campaign")
def campaign_notices(request, slug):
    campaign = access_campaign(request.user, slug)
    form = NoticeScopeForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        job = _start_job(request, campaign, *form.job_scope())
        if job is not None:
            return redirect("console:notice_job", pk=job.pk)
        return redirect("console:campaign_notices", slug=campaign.slug)
    totals = campaign.enrollments.aggregate(
        communities=Count("pk"), households=Count("dwellings__pk")
    )
    return render(
        request,
        "console/campaign_notices.html",
        {
            "campaign": campaign,
            "form": form,
            "jobs": campaign.notice_jobs.select_related("created_by")[:50],
            "codes_active": HouseholdCode.objects.active()
            .filter(enrollment__campaign=campaign)
            .count(),
            "totals": totals,
        },
    )


def _access_job(user, pk) -> NoticeJob:
    try:
        job = NoticeJob.objects.select_related("campaign", "created_by").get(pk=pk)
    except NoticeJob.DoesNotExist:
        raise Http404 from None
    access_campaign(user, job.campaign.slug)  # 404 outside the scope
    return job


@permission_required("evaluations.manage_campaign")
def notice_job(request, pk):
    """The job's progress; the page reloads itself (an HTTP Refresh header, no
    JavaScript) until the job has finished."""
    job = _access_job(request.user, pk)
    response = render(request, "console/notice_job.html", {"job": job, "campaign": job.campaign})
    if not job.finished:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@permission_required("evaluations.manage_campaign")
@require_POST
def notice_job_resume(request, pk):
    """Start a stopped job again: it carries on where it stopped."""
    job = _access_job(request.user, pk)
    if job.status != NoticeJob.Status.DONE:
        NoticeJob.objects.filter(pk=job.pk).update(status=NoticeJob.Status.QUEUED)
        transaction.on_commit(lambda: tasks.notice_job_run.delay(job.pk))
    return redirect("console:notice_job", pk=job.pk)


@permission_required("evaluations.manage_campaign")
def notice_job_file(request, pk, index):
    job = _access_job(request.user, pk)
    if job.files_deleted_at is not None or not 0 <= index < len(job.files):
        raise Http404
    item = job.files[index]
    if not private_storage.exists(item["path"]):
        raise Http404
    with private_storage.open(item["path"], "rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/zip")
    response["Content-Disposition"] = _attachment(item["name"])
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def _attachment(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"notices.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


@permission_required("evaluations.manage_campaign")
def enrollment_households(request, pk):
    """A community's households in delivery order, by building: delivery marked per
    building, a lost notice reissued, notices printed for this community."""
    enrollment = access_enrollment(request.user, pk, _enrollments())
    if request.method == "POST":
        return _households_action(request, enrollment)
    dwellings = enrollment.dwellings.annotate(
        has_code=Exists(HouseholdCode.objects.active().filter(household=OuterRef("pk")))
    ).order_by("order")
    building = request.GET.get("building")
    if building is not None:
        dwellings = dwellings.filter(building=building)
    page = Paginator(dwellings, 100).get_page(request.GET.get("page"))
    buildings = (
        enrollment.dwellings.values("building")
        .annotate(
            n=Count("pk"),
            delivered=Count("pk", filter=Q(delivered_at__isnull=False)),
            first=Min("order"),
        )
        .order_by("first")
    )
    return render(
        request,
        "console/enrollment_households.html",
        {
            "enrollment": enrollment,
            "campaign": enrollment.campaign,
            "page": page,
            "buildings": buildings,
            "jobs": enrollment.campaign.notice_jobs.filter(
                scope=Scope.COMMUNITY, scope_id=enrollment.pk
            )[:10],
        },
    )


@permission_required("evaluations.manage_campaign")
def enrollment_unenroll(request, pk):
    """Take a community out of a campaign before rating opens (GET asks, POST acts)."""
    enrollment = access_enrollment(request.user, pk, _enrollments())
    form = RequiredReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.enrollment_unenroll(
                enrollment, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("%(community)s is no longer enrolled.")
                % {"community": enrollment.community.name},
            )
        return redirect("console:campaign", slug=enrollment.campaign.slug)
    codes = HouseholdCode.objects.active().filter(enrollment=enrollment).count()
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": enrollment.campaign,
            "title": _("Un-enroll %(community)s") % {"community": enrollment.community.name},
            "form": form,
            "question": _(
                "Take %(community)s out of “%(campaign)s”? Its %(codes)d household codes are "
                "revoked; the enrollment is kept in the records, marked un-enrolled."
            )
            % {
                "community": enrollment.community.name,
                "campaign": enrollment.campaign.name,
                "codes": codes,
            },
            "back": reverse("console:enrollment_households", args=[enrollment.pk]),
        },
    )


def _enrollments():
    return Enrollment.objects.select_related("campaign", "community__district")


def _households_action(request, enrollment):
    action = request.POST.get("action")
    back = redirect("console:enrollment_households", pk=enrollment.pk)
    try:
        if action == "print":
            job = _start_job(
                request,
                enrollment.campaign,
                Scope.COMMUNITY,
                enrollment.pk,
                enrollment.community.name,
            )
            return redirect("console:notice_job", pk=job.pk) if job else back
        if action == "delivered":
            marked = households.building_mark_delivered(
                enrollment, request.POST.get("building", ""), actor=request.user
            )
            messages.success(request, _("%(n)d notices marked as delivered.") % {"n": marked})
            return back
        if action == "reissue":
            household = enrollment.dwellings.filter(pk=request.POST.get("household")).first()
            if household is None:
                messages.error(request, _("Choose a household."))
                return back
            reason = request.POST.get("reason", "").strip()
            # The new code exists only in this PDF, handed over now and kept nowhere:
            # if it cannot be made, the old code stays active.
            with transaction.atomic():
                issued = households.code_reissue(household, actor=request.user, reason=reason)
                pdf = household_notices_pdf(enrollment, [issued])
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = _attachment(f"{household.address}.pdf")
            for header, value in PRIVATE_HEADERS.items():
                response[header] = value
            return response
    except DomainError as error:
        messages.error(request, str(error))
        return back
    raise Http404


class HouseholdFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File (XLSX or CSV) with the columns 楼栋, 单元 and 房号"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )


STASH_PREFIX = "console-households:"


@permission_required("evaluations.manage_campaign")
def enrollment_households_import(request, pk):
    """Upload (POST a file → a preview of every row, nothing written), then confirm
    (POST the token → the valid rows imported). The bytes wait in the cache for an
    hour under a random token bound to the user, and are checked again on confirm."""
    enrollment = access_enrollment(request.user, pk, _enrollments())
    context = {"enrollment": enrollment, "campaign": enrollment.campaign}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        stash = cache.get(STASH_PREFIX + token) if token.isalnum() and len(token) < 80 else None
        if not stash or stash["user"] != request.user.pk or stash["enrollment"] != enrollment.pk:
            messages.error(request, _("The upload has expired; upload the file again."))
            return redirect("console:households_import", pk=enrollment.pk)
        plan = household_import.households_plan(read_table(stash["data"], stash["name"]))
        try:
            count = household_import.households_import(
                enrollment, plan, actor=request.user, source=stash["name"]
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("console:households_import", pk=enrollment.pk)
        cache.delete(STASH_PREFIX + token)
        messages.success(request, _("%(n)d households imported.") % {"n": count})
        return redirect("console:enrollment_households", pk=enrollment.pk)
    form = HouseholdFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            plan = household_import.households_plan(read_table(data, upload.name))
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            if plan.file_error:
                form.add_error("file", plan.file_error)
            else:
                token = secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")
                cache.set(
                    STASH_PREFIX + token,
                    {
                        "user": request.user.pk,
                        "enrollment": enrollment.pk,
                        "data": data,
                        "name": upload.name,
                    },
                    60 * 60,
                )
                context.update(plan=plan, token=token, preview=plan.rows[:500])
    context["form"] = form
    return render(request, "console/households_import.html", context)
