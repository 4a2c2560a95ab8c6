"""The console's publication pages: publishing the preliminary and the final list,
a list and its revisions, withdrawals, objections and their answers, the audit log."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.access import (
    access_campaign,
    access_entry,
    access_objection,
    access_publication,
    district_scope,
    objections_in_scope,
    permission_required,
    staff_member_required,
)
from console.forms import (
    ObjectionAnswerForm,
    ObjectionConfirmForm,
    RequiredReasonForm,
)
from evaluations.csv_export import SafeCsvWriter
from evaluations.errors import DomainError
from evaluations.models import AuditEntry
from reviews import publishing
from reviews.models import FeaturedList, Objection, Publication
from uploads.private_media import private_file_response

# Lazy: the module may be imported while another language is active.
PUBLISH = {
    "preliminary": (
        publishing.publication_publish_preliminary,
        gettext_lazy("Publish the preliminary list"),
    ),
    "final": (publishing.publication_publish_final, gettext_lazy("Publish the final list")),
}


@permission_required("evaluations.publish_list")
def campaign_publish(request, slug, kind):
    campaign = access_campaign(request.user, slug)
    if kind not in PUBLISH:
        raise Http404
    service, label = PUBLISH[kind]
    options = {}
    unreviewed = None
    if kind == "preliminary":
        unreviewed = publishing.unreviewed_enrollments(campaign)
        options["leave_out_unreviewed"] = request.POST.get("leave_out") == "yes"
    if request.method == "POST":
        try:
            publication = service(campaign, actor=request.user, **options)
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
            "unreviewed": unreviewed[:200] if unreviewed is not None else None,
            "unreviewed_count": unreviewed.count() if unreviewed is not None else 0,
        },
    )


@staff_member_required
def publication_detail(request, pk):
    publication = access_publication(
        request.user, pk, Publication.objects.select_related("campaign")
    )
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
            "can_feature": request.user.has_perm("evaluations.publish_list")
            and publication.kind == Publication.Kind.FINAL
            and not publication.campaign.is_practice,
            "featured": publication.kind == Publication.Kind.FINAL
            and FeaturedList.objects.values_list("publication__campaign_id", flat=True).first()
            == publication.campaign_id,
        },
    )


@require_POST
@permission_required("evaluations.publish_list")
def publication_feature(request, pk):
    """The city marks a final list as the one the public home page leads with."""
    publication = access_publication(
        request.user, pk, Publication.objects.select_related("campaign")
    )
    try:
        publishing.publication_feature(publication, actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The home page now leads with this list."))
    return redirect("console:publication", pk=publication.pk)


@permission_required("evaluations.withdraw_entry")
def entry_withdraw(request, pk):
    entry = access_entry(request.user, pk)
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


@require_GET
@permission_required("reviews.answer_objection")
def objection_photo(request, pk):
    """An objection's photo: for those who answer objections in its district."""
    objection = access_objection(request.user, pk, with_photo=True)
    return private_file_response(objection.photo)


@permission_required("reviews.answer_objection")
def campaign_objections(request, slug):
    campaign = access_campaign(request.user, slug)
    return render(
        request,
        "console/objections.html",
        {
            "campaign": campaign,
            "objections": objections_in_scope(request.user, campaign),
            "form": ObjectionAnswerForm(),
        },
    )


@require_POST
@permission_required("reviews.answer_objection")
def objection_answer(request, pk):
    objection = access_objection(request.user, pk)
    campaign = objection.entry.publication.campaign
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


@require_http_methods(["GET", "POST"])
@permission_required("reviews.answer_objection", "evaluations.approve_recommendation")
def objection_confirm(request, pk):
    """The city confirms a district's uphold that drops a community it approved (or
    sends it back): GET shows the consequence, POST acts."""
    objection = access_objection(request.user, pk)
    campaign = objection.entry.publication.campaign
    if objection.status != Objection.Status.AWAITING_CITY:
        messages.error(request, _("This objection is not awaiting the city's confirmation."))
        return redirect("console:objections", slug=campaign.slug)
    form = ObjectionConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            publishing.objection_confirm_uphold(
                objection,
                actor=request.user,
                confirm=form.cleaned_data["decision"] == "confirm",
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Your decision on the uphold is recorded."))
            return redirect("console:objections", slug=campaign.slug)
    return render(
        request,
        "console/objection_confirm.html",
        {
            "campaign": campaign,
            "objection": objection,
            "form": form,
            **publishing.uphold_consequence(objection),
        },
        status=400 if form.errors else 200,
    )


@permission_required("evaluations.view_auditentry")
def audit_csv(request, slug):
    campaign = access_campaign(request.user, slug)
    entries = AuditEntry.objects.filter(campaign=campaign).select_related("enrollment__community")
    scope = district_scope(request.user)
    if scope is not None:
        entries = entries.filter(
            Q(enrollment__community__district__in=scope) | Q(enrollment__isnull=True)
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{campaign.slug}.csv"'
    response.write("\ufeff")  # so that Excel reads UTF-8
    writer = SafeCsvWriter(response)
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
            _("entry hash"),
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
                entry.entry_hash,
            ]
        )
    return response
