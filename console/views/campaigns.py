"""The staff console: server-rendered pages under /console/.

Views stay thin: check who may act (console.access: 403 for a missing
permission, 404 for an object outside one's scope), parse a form, call one
workflow service, render. GET shows a page or a confirmation; POST acts.
"""

from __future__ import annotations

import csv
from fractions import Fraction

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from communities.models import Community, District
from console.access import (
    access_enrollment,
    district_scope,
    is_city,
    permission_required,
    scope_enrollments,
    staff_member_required,
)
from console.forms import (
    CampaignForm,
    CheckForm,
    EnrollDistrictForm,
    ObjectionAnswerForm,
    ReasonForm,
    RequiredReasonForm,
)
from console.staff_security import second_factor_step
from evaluations import campaigns
from evaluations.errors import DomainError
from evaluations.models import AuditEntry, Campaign, Enrollment, Rating, ReviewStatus
from evaluations.tally import (
    criterion_tally,
    percent_floor,
    responses_from_counts,
    tally_row_from_counts,
)
from reviews import decisions, publishing
from reviews.models import Objection, Publication, PublicationEntry, ReviewCheck
from showcases.models import ShowcaseItem
from uploads.private_media import private_file_response

PAGE_SIZE = 100


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        """After the password, an account with a second factor gives its code."""
        url = super().get_success_url()
        if second_factor_step(self.request.user) == "verify":
            return f"{reverse('console:otp_verify')}?{urlencode({'next': url})}"
        return url


def _campaigns_for(user):
    campaigns = Campaign.objects.all()
    if is_city(user):
        return campaigns
    in_scope = scope_enrollments(user, Enrollment.objects.all()).values("campaign_id")
    return campaigns.filter(pk__in=in_scope)


def _campaign_for(user, slug) -> Campaign:
    try:
        return _campaigns_for(user).get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


@staff_member_required
def dashboard(request):
    campaigns = _campaigns_for(request.user).order_by("-opens_at")
    scoped = scope_enrollments(request.user, Enrollment.objects.all())
    counts = {
        row["campaign_id"]: row
        for row in scoped.values("campaign_id")
        .annotate(
            total=Count("id"),
            pending=Count(
                "id", filter=Q(review_status__in=[ReviewStatus.PENDING, ReviewStatus.RETURNED])
            ),
            recommended=Count("id", filter=Q(review_status=ReviewStatus.RECOMMENDED)),
            approved=Count("id", filter=Q(review_status=ReviewStatus.APPROVED)),
        )
        .order_by()
    }
    rows = [(c, counts.get(c.pk, {})) for c in campaigns]
    return render(request, "console/dashboard.html", {"rows": rows})


@permission_required("evaluations.manage_campaign")
def campaign_create(request):
    form = CampaignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        criteria = data.pop("criteria")
        prerequisites = data.pop("prerequisites")
        try:
            campaign = campaigns.campaign_create(actor=request.user, **data)
        except DomainError as error:
            form.add_error(None, str(error))
        except ValidationError as error:  # the model's own rules (full_clean)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            campaign.criteria.set(criteria)
            campaign.prerequisites.set(prerequisites)
            messages.success(request, _("Campaign created as a draft. Enroll communities next."))
            return redirect("console:campaign", slug=campaign.slug)
    return render(request, "console/campaign_form.html", {"form": form})


def _enrollment_listing(user, campaign, params):
    enrollments = (
        scope_enrollments(user, campaign.enrollments.all())
        .select_related("community__district", "community__street", "company")
        .with_answer_counts()
        .with_code_counts()
        .order_by("community__district__code", "community__name")
    )
    district = params.get("district")
    if district and district.isdigit():
        enrollments = enrollments.filter(community__district__code=district)
    status = params.get("status")
    if status in ReviewStatus.values:
        enrollments = enrollments.filter(review_status=status)
    query = (params.get("q") or "").strip()
    if query:
        enrollments = enrollments.filter(
            Q(community__name__icontains=query) | Q(company__name__icontains=query)
        )
    return enrollments


def _rows(enrollments):
    rows = []
    for enrollment in enrollments:
        responses = responses_from_counts(enrollment)
        rows.append(
            {
                "enrollment": enrollment,
                "responses": responses,
                "coverage": percent_floor(Fraction(responses, enrollment.households)),
                "tally": tally_row_from_counts(enrollment),
            }
        )
    return rows


@staff_member_required
def campaign_detail(request, slug):
    campaign = _campaign_for(request.user, slug)
    enrollments = _enrollment_listing(request.user, campaign, request.GET)
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    scope = district_scope(request.user)
    districts = District.objects.all() if scope is None else scope
    publications = list(campaign.publications.order_by("kind", "-revision"))
    return render(
        request,
        "console/campaign_detail.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": _rows(page.object_list),
            "districts": districts,
            "statuses": ReviewStatus.choices,
            "publications": publications,
            "preliminary": next((p for p in publications if p.kind == "preliminary"), None),
            "final": next((p for p in publications if p.kind == "final"), None),
            "open_objections": Objection.objects.filter(
                entry__publication__campaign=campaign, status=Objection.Status.OPEN
            ).count(),
            "transitions": _available_transitions(request.user, campaign),
        },
    )


def _available_transitions(user, campaign):
    if not user.has_perm("evaluations.manage_campaign"):
        return []
    return [
        (action, t) for action, t in campaigns.TRANSITIONS.items() if t.source == campaign.status
    ]


TRANSITION_LABELS = {
    "open": _("Open rating"),
    "close": _("Close rating"),
    "archive": _("Archive the campaign"),
}


@permission_required("evaluations.manage_campaign")
def campaign_transition(request, slug, action):
    campaign = get_object_or_404(Campaign, slug=slug)
    if action not in campaigns.TRANSITIONS:
        raise Http404
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_transition(
                campaign, action, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Done: %(step)s.") % {"step": TRANSITION_LABELS[action]})
        return redirect("console:campaign", slug=campaign.slug)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": campaign,
            "title": TRANSITION_LABELS[action],
            "form": form,
            "question": _("%(step)s for “%(campaign)s”?")
            % {"step": TRANSITION_LABELS[action], "campaign": campaign.name},
            "back": reverse("console:campaign", args=[campaign.slug]),
        },
    )


@permission_required("evaluations.manage_campaign")
def campaign_enroll(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        messages.error(request, _("Communities can only be enrolled before a campaign closes."))
        return redirect("console:campaign", slug=slug)
    district_form = EnrollDistrictForm(request.GET or None)
    candidates = Community.objects.none()
    if district_form.is_valid():
        candidates = (
            Community.objects.filter(district=district_form.cleaned_data["district"])
            .exclude(enrollments__campaign=campaign)
            .select_related("street", "company")
            .order_by("name")
        )
    if request.method == "POST":
        if "district" in request.POST:
            chosen = Community.objects.filter(district_id=request.POST.get("district"))
        else:
            ids = [i for i in request.POST.getlist("community") if i.isdigit()]
            chosen = Community.objects.filter(pk__in=ids)
        result = campaigns.enrollments_add(
            campaign, chosen.select_related("company", "district"), actor=request.user
        )
        messages.success(
            request,
            _("%(created)d communities enrolled; %(existing)d were already enrolled.")
            % {"created": len(result.created), "existing": len(result.existing)},
        )
        for community, reason in result.refused:
            messages.error(request, f"{community.name}: {reason}")
        return redirect("console:campaign", slug=slug)
    return render(
        request,
        "console/campaign_enroll.html",
        {"campaign": campaign, "district_form": district_form, "candidates": candidates},
    )


def _enrollment_page_queryset():
    return Enrollment.objects.select_related(
        "campaign", "community__district", "community__street", "company"
    )


@permission_required("evaluations.view_enrollment")
def enrollment_detail(request, pk):
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    campaign = enrollment.campaign
    rules = [*campaign.prerequisites.all(), *campaign.criteria.all()]
    checks = {
        (c.prerequisite_id, c.criterion_id): c
        for c in enrollment.checks.select_related("checked_by")
    }
    check_rows = []
    for rule in rules:
        key = (rule.pk, None) if rule.__class__.__name__ == "Prerequisite" else (None, rule.pk)
        check = checks.get(key)
        check_rows.append(
            {
                "rule": rule,
                "kind": "prerequisite" if key[1] is None else "criterion",
                "check": check,
                "form": CheckForm(
                    prefix=f"{'p' if key[1] is None else 'c'}{rule.pk}",
                    initial={
                        "met": None if check is None else ("yes" if check.met else "no"),
                        "note": check.note if check else "",
                    },
                ),
            }
        )
    context = {
        "enrollment": enrollment,
        "campaign": campaign,
        "community": enrollment.community,
        "check_rows": check_rows,
        "showcase_items": ShowcaseItem.objects.filter(showcase__enrollment=enrollment)
        .select_related("criterion")
        .order_by("order", "id"),
        "audit": enrollment.audit_entries.order_by("-at", "-id")[:200],
        "codes_issued": enrollment.household_codes.count(),
        "responses": Rating.objects.counted().filter(enrollment=enrollment).count(),
        "can_review": request.user.has_perm("evaluations.review_enrollment"),
        "can_approve": request.user.has_perm("evaluations.approve_recommendation"),
        "can_see_evidence": any(request.user.has_perm(p) for p in EVIDENCE_PERMISSIONS),
        "reason_form": RequiredReasonForm(),
    }
    if campaign.rates_visible:
        from evaluations.tally import enrollment_tally

        tally = enrollment_tally(enrollment)
        context.update(
            tally=tally,
            criteria_tally=criterion_tally(enrollment),
            blockers=decisions.recommendation_blockers(enrollment, tally),
            comments=Rating.objects.counted()
            .filter(enrollment=enrollment)
            .exclude(comment="")
            .order_by("-submitted_at")
            .values_list("comment", "submitted_at")[:200],
        )
    return render(request, "console/enrollment_detail.html", context)


@require_POST
@permission_required("evaluations.review_enrollment")
def enrollment_checks(request, pk):
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    campaign = enrollment.campaign
    rules = [("p", r) for r in campaign.prerequisites.all()] + [
        ("c", r) for r in campaign.criteria.all()
    ]
    saved, errors = 0, []
    for prefix, rule in rules:
        form = CheckForm(request.POST, request.FILES, prefix=f"{prefix}{rule.pk}")
        if not form.has_changed():
            continue
        if not form.is_valid():
            errors.append(f"{rule.name}: {' '.join(m for ms in form.errors.values() for m in ms)}")
            continue
        try:
            decisions.review_check_record(
                enrollment,
                rule,
                actor=request.user,
                met=form.cleaned_data["met"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except DomainError as error:
            errors.append(str(error))
            break
        saved += 1
    for error in errors:
        messages.error(request, error)
    if saved:
        messages.success(request, _("%(n)d checks saved.") % {"n": saved})
    return redirect("console:enrollment", pk=enrollment.pk)


DECISIONS = {
    # decision: (permission, service, reason required)
    "recommend": ("evaluations.review_enrollment", decisions.enrollment_recommend, False),
    "reject": ("evaluations.review_enrollment", decisions.enrollment_reject, True),
    "approve": ("evaluations.approve_recommendation", decisions.enrollment_approve, False),
    "return": ("evaluations.approve_recommendation", decisions.enrollment_return, True),
}


@require_POST
@staff_member_required
def enrollment_decide(request, pk, decision):
    if decision not in DECISIONS:
        raise Http404
    permission, service, reason_required = DECISIONS[decision]
    if not request.user.has_perm(permission):
        raise PermissionDenied
    enrollment = access_enrollment(request.user, pk, _enrollment_page_queryset())
    form = (RequiredReasonForm if reason_required else ReasonForm)(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("reason", [])))
    else:
        try:
            service(enrollment, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, str(error))
        else:
            enrollment.refresh_from_db(fields=["review_status"])
            messages.success(
                request,
                _("%(community)s: %(status)s.")
                % {
                    "community": enrollment.community.name,
                    "status": enrollment.get_review_status_display(),
                },
            )
    return redirect(
        request.POST.get("next_page") == "approval"
        and reverse("console:approval", args=[enrollment.campaign.slug])
        or reverse("console:enrollment", args=[enrollment.pk])
    )


@permission_required("evaluations.approve_recommendation")
def campaign_approval(request, slug):
    campaign = get_object_or_404(Campaign, slug=slug)
    enrollments = (
        campaign.enrollments.filter(
            review_status__in=[
                ReviewStatus.RECOMMENDED,
                ReviewStatus.APPROVED,
                ReviewStatus.RETURNED,
            ]
        )
        .select_related("community__district", "community__street", "company", "campaign")
        .with_answer_counts()
        .order_by("review_status", "community__district__code", "community__name")
    )
    page = Paginator(enrollments, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "console/campaign_approval.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": _rows(page.object_list),
            "reason_form": RequiredReasonForm(),
        },
    )


PUBLISH = {
    "preliminary": (publishing.publication_publish_preliminary, _("Publish the preliminary list")),
    "final": (publishing.publication_publish_final, _("Publish the final list")),
}


@permission_required("evaluations.publish_list")
def campaign_publish(request, slug, kind):
    campaign = get_object_or_404(Campaign, slug=slug)
    if kind not in PUBLISH:
        raise Http404
    service, label = PUBLISH[kind]
    if request.method == "POST":
        try:
            publication = service(campaign, actor=request.user)
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("console:campaign", slug=slug)
        messages.success(request, _("Published: %(what)s.") % {"what": publication})
        return redirect("console:publication", pk=publication.pk)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": campaign,
            "title": label,
            "question": _(
                "%(step)s for “%(campaign)s”? A published list is never edited: "
                "corrections are new revisions."
            )
            % {"step": label, "campaign": campaign.name},
            "back": reverse("console:campaign", args=[slug]),
        },
    )


@staff_member_required
def publication_detail(request, pk):
    publication = get_object_or_404(Publication.objects.select_related("campaign"), pk=pk)
    _campaign_for(request.user, publication.campaign.slug)  # 404 outside one's campaigns
    entries = publication.entries.annotate(
        open_objections=Count("objections", filter=Q(objections__status=Objection.Status.OPEN)),
        all_objections=Count("objections"),
    ).order_by("district_code", "community_name")
    revisions = publication.campaign.publications.order_by("kind", "-revision")
    return render(
        request,
        "console/publication_detail.html",
        {
            "publication": publication,
            "campaign": publication.campaign,
            "entries": entries,
            "revisions": revisions,
            "can_withdraw": request.user.has_perm("evaluations.withdraw_entry")
            and publication.kind == Publication.Kind.FINAL
            and publication == revisions.filter(kind="final").first(),
        },
    )


@permission_required("evaluations.withdraw_entry")
def entry_withdraw(request, pk):
    entry = get_object_or_404(
        PublicationEntry.objects.select_related("publication__campaign"), pk=pk
    )
    form = RequiredReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            publication = publishing.entry_withdraw(
                entry, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            messages.error(request, str(error))
            return redirect("console:publication", pk=entry.publication_id)
        messages.success(
            request, _("Withdrawn; the list is now revision %(r)d.") % {"r": publication.revision}
        )
        return redirect("console:publication", pk=publication.pk)
    return render(
        request,
        "console/confirm.html",
        {
            "campaign": entry.publication.campaign,
            "title": _("Withdraw an entry"),
            "question": _(
                "Withdraw %(community)s（%(district)s） from the published list? The "
                "reason is published with the new revision."
            )
            % {"community": entry.community_name, "district": entry.district_name},
            "form": form,
            "back": reverse("console:publication", args=[entry.publication_id]),
        },
    )


def _objections_for(user, campaign):
    objections = Objection.objects.filter(entry__publication__campaign=campaign)
    scope = district_scope(user)
    if scope is not None:
        objections = objections.filter(entry__district_code__in=scope.values("code"))
    return objections.select_related("entry", "answered_by").order_by("status", "filed_at")


EVIDENCE_PERMISSIONS = ("evaluations.review_enrollment", "evaluations.approve_recommendation")


@require_GET
@staff_member_required
def check_evidence(request, pk):
    """A review check's evidence photo: for the reviewers of its district and the
    city bureau (who approves), never for company staff or the public."""
    if not any(request.user.has_perm(perm) for perm in EVIDENCE_PERMISSIONS):
        raise PermissionDenied
    check = get_object_or_404(ReviewCheck.objects.exclude(evidence=""), pk=pk)
    access_enrollment(request.user, check.enrollment_id)
    return private_file_response(check.evidence)


@require_GET
@permission_required("reviews.answer_objection")
def objection_photo(request, pk):
    """An objection's photo: for those who answer objections in its district."""
    objection = get_object_or_404(
        Objection.objects.select_related("entry__publication__campaign").exclude(photo=""),
        pk=pk,
    )
    campaign = objection.entry.publication.campaign
    if not _objections_for(request.user, campaign).filter(pk=pk).exists():
        raise Http404
    return private_file_response(objection.photo)


@permission_required("reviews.answer_objection")
def campaign_objections(request, slug):
    campaign = _campaign_for(request.user, slug)
    return render(
        request,
        "console/objections.html",
        {
            "campaign": campaign,
            "objections": _objections_for(request.user, campaign),
            "form": ObjectionAnswerForm(),
        },
    )


@require_POST
@permission_required("reviews.answer_objection")
def objection_answer(request, pk):
    objection = get_object_or_404(Objection.objects.select_related("entry__publication"), pk=pk)
    campaign = objection.entry.publication.campaign
    if not _objections_for(request.user, campaign).filter(pk=pk).exists():
        raise Http404
    form = ObjectionAnswerForm(request.POST)
    if form.is_valid():
        try:
            publishing.objection_answer(
                objection,
                actor=request.user,
                upheld=form.cleaned_data["decision"] == Objection.Status.UPHELD,
                answer=form.cleaned_data["answer"],
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Objection answered."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("console:objections", slug=campaign.slug)


@permission_required("evaluations.view_auditentry")
def audit_csv(request, slug):
    campaign = _campaign_for(request.user, slug)
    entries = AuditEntry.objects.filter(campaign=campaign).select_related("enrollment__community")
    scope = district_scope(request.user)
    if scope is not None:
        entries = entries.filter(
            Q(enrollment__community__district__in=scope) | Q(enrollment__isnull=True)
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{campaign.slug}.csv"'
    response.write("\ufeff")  # so that Excel reads UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("when"),
            _("who"),
            _("action"),
            _("what"),
            _("on what"),
            _("before"),
            _("after"),
            _("why"),
        ]
    )
    for entry in entries.order_by("at", "id").iterator():
        writer.writerow(
            [
                timezone.localtime(entry.at).isoformat(timespec="seconds"),
                entry.actor_name,
                entry.action,
                entry.action_display,
                entry.subject,
                entry.old_value_display,
                entry.new_value_display,
                entry.reason,
            ]
        )
    return response
