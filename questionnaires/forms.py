"""Forms of the criteria-set library and of a campaign's questions, for the console's
pages (console/views/questionnaires.py). They parse what staff type; the rules (how
many questions, codes unique, frozen once rating opens) are questionnaires.services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from questionnaires.models import CriteriaSet

ROWS = {"rows": 2}


class _QuestionFields(forms.Form):
    text = forms.CharField(label=_("Question"), max_length=100)
    hint = forms.CharField(
        label=_("Hint"), required=False, max_length=2000, widget=forms.Textarea(attrs=ROWS)
    )
    text_en = forms.CharField(label=_("English question"), required=False, max_length=150)
    hint_en = forms.CharField(
        label=_("English hint"), required=False, max_length=2000, widget=forms.Textarea(attrs=ROWS)
    )
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=99)


class SetItemForm(_QuestionFields):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_(
            "Stable name of the question in ballots and open data (latin letters, digits, -)."
        ),
    )
    short_name = forms.CharField(label=_("Short name"), required=False, max_length=50)
    field_order = ["order", "code", "text", "short_name", "hint", "text_en", "hint_en"]


SetItemFormSet = forms.formset_factory(SetItemForm, extra=1, can_delete=True, max_num=12)


class VersionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("What changed and why"), max_length=2000, widget=forms.Textarea(attrs=ROWS)
    )


class SetCopyForm(forms.Form):
    name = forms.CharField(label=_("Name of the new set"), max_length=200)
    name_en = forms.CharField(label=_("English name"), required=False, max_length=250)
    slug = forms.SlugField(label=_("Slug"), max_length=80)


class CampaignQuestionForm(_QuestionFields):
    criterion = forms.IntegerField(widget=forms.HiddenInput)


CampaignQuestionFormSet = forms.formset_factory(CampaignQuestionForm, extra=0, max_num=12)


class CriteriaSetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class TakeSetForm(forms.Form):
    criteria_set = CriteriaSetChoiceField(
        label=_("Criteria set"), queryset=CriteriaSet.objects.all(), empty_label=None
    )
