"""Console pages for importing companies and communities (issue 3, item 4).

Upload (GET form, POST → a dry-run preview of every row), then confirm (POST →
apply). Between the two the uploaded bytes stay on the server, in the cache
under a random token bound to the user, for an hour; the confirm step reads
them again and validates them afresh, so nothing the browser sends back is
trusted but the token and the person's choice to import only the valid rows.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from communities import importing
from console.access import permission_required
from evaluations.campaigns import CampaignEnrolment, import_audit
from evaluations.models import Campaign

STASH_SECONDS = 60 * 60
STASH_PREFIX = "console-import:"
# Rows listed on the preview besides every row with an error (which are all listed).
PREVIEW_ROWS = 2000

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _enrollable_campaigns():
    return Campaign.objects.filter(status__in=[Campaign.Status.DRAFT, Campaign.Status.OPEN])


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to import"),
        choices=[
            (importing.COMMUNITIES, gettext_lazy("Communities")),
            (importing.COMPANIES, gettext_lazy("Property companies")),
        ],
        initial=importing.COMMUNITIES,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("File (XLSX or CSV)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv," + XLSX_TYPE}),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Enroll the imported communities into a campaign (optional)"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=gettext_lazy("Do not enroll"),
    )
    valid_only = forms.BooleanField(
        label=gettext_lazy("Import only the valid rows and skip the rows with errors"),
        required=False,
        help_text=gettext_lazy("Without this, nothing is written while any row has an error."),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["campaign"].queryset = _enrollable_campaigns()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(max)d MB: split it into several files.")
                % {"max": importing.MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        campaign = cleaned.get("campaign")
        if campaign is not None:
            if cleaned.get("kind") != importing.COMMUNITIES:
                self.add_error("campaign", _("Only communities can be enrolled into a campaign."))
            elif not self.user.has_perm("evaluations.manage_campaign"):
                self.add_error("campaign", _("Your role may not enroll communities."))
        return cleaned


def _enrolment(campaign, user) -> CampaignEnrolment | None:
    """The campaign side of an import that enrolls its communities, if one was chosen."""
    return CampaignEnrolment(campaign, user) if campaign is not None else None


def _check_kind_permission(user, kind: str) -> None:
    if kind == importing.COMPANIES and not user.has_perm("communities.add_propertycompany"):
        raise PermissionDenied


@permission_required("communities.add_community")
@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        _check_kind_permission(request.user, kind)
        upload = form.cleaned_data["file"]
        data = b"".join(upload.chunks())
        campaign = form.cleaned_data["campaign"]
        plan = importing.import_file(
            kind, data, upload.name, enrolment=_enrolment(campaign, request.user)
        )
        if plan.file_errors:
            for error in plan.file_errors:
                form.add_error("file", error)
        else:
            token = secrets.token_urlsafe(24)
            cache.set(
                STASH_PREFIX + token,
                {
                    "user": request.user.pk,
                    "kind": kind,
                    "campaign": campaign.pk if campaign else None,
                    "filename": upload.name,
                    "data": data,
                },
                STASH_SECONDS,
            )
            return _preview(request, plan, token, valid_only=form.cleaned_data["valid_only"])
    return render(
        request,
        "console/import_upload.html",
        {
            "form": form,
            "max_mb": importing.MAX_BYTES // (1024 * 1024),
            "max_rows": importing.MAX_ROWS,
            "common_instructions": importing.common_instructions(),
            "kinds": [
                {
                    "kind": kind,
                    "label": label,
                    "instructions": importing.kind_instructions(kind),
                }
                for kind, label in form.fields["kind"].choices
            ],
        },
    )


@permission_required("communities.add_community")
@require_POST
def import_confirm(request):
    token = request.POST.get("token", "")
    stash = cache.get(STASH_PREFIX + token) if token.isascii() and 20 <= len(token) <= 64 else None
    if not stash or stash.get("user") != request.user.pk:
        messages.error(
            request,
            _(
                "This upload has expired or is not yours; nothing was imported. Upload the file again."
            ),
        )
        return redirect("console:import")
    _check_kind_permission(request.user, stash["kind"])
    campaign = None
    if stash["campaign"] is not None:
        campaign = Campaign.objects.filter(pk=stash["campaign"]).first()
        if campaign is None:
            cache.delete(STASH_PREFIX + token)
            messages.error(request, _("The campaign no longer exists; nothing was imported."))
            return redirect("console:import")
    valid_only = request.POST.get("valid_only") == "1"
    plan = importing.import_file(
        stash["kind"],
        stash["data"],
        stash["filename"],
        enrolment=_enrolment(campaign, request.user),
        apply=True,
        valid_only=valid_only,
        on_applied=lambda plan: import_audit(plan, actor=request.user, campaign=campaign),
    )
    if not plan.applied:
        if plan.file_errors:
            cache.delete(STASH_PREFIX + token)
            for error in plan.file_errors:
                messages.error(request, error)
            return redirect("console:import")
        # Still invalid (perhaps the records changed meanwhile): show why, keep the file.
        messages.error(request, _("Nothing was imported."))
        return _preview(request, plan, token, valid_only=valid_only)
    cache.delete(STASH_PREFIX + token)
    counts = plan.counts
    messages.success(
        request,
        _(
            "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d skipped."
        )
        % {
            "created": counts[importing.CREATED],
            "updated": counts[importing.UPDATED],
            "unchanged": counts[importing.UNCHANGED],
            "skipped": counts[importing.ERROR],
        },
    )
    return _preview(request, plan, None, valid_only=valid_only, done=True)


def _preview(request, plan, token, *, valid_only: bool, done: bool = False):
    shown, listed, hidden = [], 0, 0
    for row in plan.rows:
        if row.ok:
            if listed >= PREVIEW_ROWS:
                hidden += 1
                continue
            listed += 1
        shown.append(row)
    if plan.kind == importing.COMPANIES:
        columns = ["name", "credit_code", "parent"]
    else:
        columns = ["district", "street", "community", "households", "company"]
    return render(
        request,
        "console/import_preview.html",
        {
            "plan": plan,
            "done": done,
            "token": token,
            "valid_only": valid_only,
            "counts": plan.counts,
            "valid_count": len(plan.valid_rows),
            "headers": [plan.header(key) for key in columns],
            "rows": [
                {
                    "row": row,
                    "cells": [
                        {"header": plan.header(key), "value": _cell(row, key)} for key in columns
                    ],
                }
                for row in shown
            ],
            "hidden": hidden,
            "kind_label": _("Communities")
            if plan.kind == importing.COMMUNITIES
            else _("Property companies"),
        },
    )


def _cell(row, key: str) -> str:
    if key == "district":
        district = row.values.get("district")
        if district is not None:
            return district.name
        return row.cells.get("district") or row.cells.get("district_code", "")
    if key == "company":
        return row.cells.get("company") or row.cells.get("company_credit_code", "")
    return row.cells.get(key, "")


def _template_kind(kind: str) -> str:
    if kind not in importing.KINDS:
        raise Http404
    return kind


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@permission_required("communities.add_community")
@require_GET
def import_template_xlsx(request, kind):
    kind = _template_kind(kind)
    return _attachment(importing.template_xlsx(kind), XLSX_TYPE, f"manyi-{kind}-template.xlsx")


@permission_required("communities.add_community")
@require_GET
def import_template_csv(request, kind):
    kind = _template_kind(kind)
    return _attachment(
        importing.template_csv(kind), "text/csv; charset=utf-8", f"manyi-{kind}-template.csv"
    )
