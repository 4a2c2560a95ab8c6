"""The city's library of criteria sets (问卷库) and a campaign's questions: the list,
a set's page with its versions, editing a set (a new version), copying one, and
adjusting a draft campaign's questions or giving it another set. The rules are
questionnaires.services'; these views parse, call one service and render."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from console.access import access_campaign, permission_required
from evaluations.errors import DomainError
from questionnaires import services
from questionnaires.forms import (
    CampaignQuestionFormSet,
    SetCopyForm,
    SetItemFormSet,
    TakeSetForm,
    VersionNoteForm,
)
from questionnaires.models import CampaignQuestionnaire, CriteriaSet


@permission_required("questionnaires.view_criteriaset")
def questionnaire_list(request):
    sets = CriteriaSet.objects.prefetch_related("versions")
    return render(request, "console/questionnaire_list.html", {"sets": sets})


@permission_required("questionnaires.view_criteriaset")
def questionnaire_detail(request, pk):
    criteria_set = get_object_or_404(CriteriaSet, pk=pk)
    versions = criteria_set.versions.select_related("created_by").prefetch_related("items")
    taken = (
        CampaignQuestionnaire.objects.filter(version__criteria_set=criteria_set)
        .select_related("campaign", "version")
        .order_by("-campaign__opens_at")
    )
    return render(
        request,
        "console/questionnaire_detail.html",
        {"set": criteria_set, "versions": versions, "taken": taken},
    )


@permission_required("questionnaires.change_criteriaset")
def questionnaire_edit(request, pk):
    """Editing a set makes its next version; campaigns that took one keep theirs."""
    criteria_set = get_object_or_404(CriteriaSet, pk=pk)
    current = criteria_set.current_version()
    initial = [{f: getattr(i, f) for f in services.ITEM_FIELDS} for i in current.items.all()]
    data = request.POST if request.method == "POST" else None
    formset = SetItemFormSet(data, initial=initial, prefix="q")
    note = VersionNoteForm(data)
    if request.method == "POST" and formset.is_valid() and note.is_valid():
        items = [
            f.cleaned_data
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            version = services.criteria_set_revise(
                criteria_set, actor=request.user, items=items, note=note.cleaned_data["note"]
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Saved as version %(n)d. Campaigns that took an earlier version keep it.")
                % {"n": version.number},
            )
            return redirect("console:questionnaire", pk=criteria_set.pk)
    return render(
        request,
        "console/questionnaire_edit.html",
        {"set": criteria_set, "current": current, "formset": formset, "note_form": note},
    )


@permission_required("questionnaires.add_criteriaset")
def questionnaire_copy(request, pk):
    source = get_object_or_404(CriteriaSet, pk=pk)
    form = SetCopyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.criteria_set_copy(source, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The set has been copied; edit it to make it yours."))
            return redirect("console:questionnaire", pk=copy.pk)
    return render(request, "console/questionnaire_copy.html", {"set": source, "form": form})


@permission_required("evaluations.manage_campaign")
def campaign_questions(request, slug):
    """A draft's questions: adjust text, hint and order, or take another set. Frozen
    once rating opens (the page then shows them, and says so)."""
    campaign = access_campaign(request.user, slug)
    criteria = list(campaign.criteria.order_by("order", "code"))
    refusal = services.campaign_questions_refusal(campaign)
    initial = [
        {
            "criterion": c.pk,
            "text": c.name,
            "hint": c.description,
            "text_en": c.name_en,
            "hint_en": c.description_en,
            "order": c.order,
        }
        for c in criteria
    ]
    taken = (
        CampaignQuestionnaire.objects.filter(campaign=campaign)
        .select_related("version__criteria_set")
        .first()
    )
    take = TakeSetForm(initial={"criteria_set": taken.version.criteria_set if taken else None})
    posted = request.POST if request.method == "POST" else None
    formset = CampaignQuestionFormSet(
        posted if posted and "take" not in posted else None, initial=initial, prefix="q"
    )
    for form, criterion in zip(formset.forms, criteria, strict=False):
        form.question = criterion  # its code, shown beside the fields
    if posted is not None:
        if refusal:
            messages.error(request, refusal)
            return redirect("console:campaign_questions", slug=campaign.slug)
        try:
            if "take" in posted:
                take = TakeSetForm(posted)
                if take.is_valid():
                    chosen = take.cleaned_data["criteria_set"]
                    services.campaign_take_set(
                        campaign, chosen.current_version(), actor=request.user
                    )
                    messages.success(request, _("The campaign now asks the questions of this set."))
                    return redirect("console:campaign_questions", slug=campaign.slug)
            elif formset.is_valid():
                changes = {f.cleaned_data["criterion"]: f.cleaned_data for f in formset.forms}
                n = services.campaign_questions_update(campaign, changes, actor=request.user)
                messages.success(request, _("%(n)d questions changed.") % {"n": n})
                return redirect("console:campaign_questions", slug=campaign.slug)
        except DomainError as error:
            messages.error(request, str(error))
    return render(
        request,
        "console/campaign_questions.html",
        {
            "campaign": campaign,
            "criteria": criteria,
            "refusal": refusal,
            "formset": formset,
            "take": take,
            "taken": taken,
        },
    )
