"""Forms of the showcase pages: one per kind of material, the headline, a
company reply and a moderation decision. A photo is checked and re-encoded
while the form is cleaned (evaluations.photos), so a refused file comes back
as a field error in the person's language and nothing is stored."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign
from showcases.models import ShowcaseItem
from showcases.services import REPLY_MAX_LENGTH
from uploads.photos import PhotoRejected, process_upload

Kind = ShowcaseItem.Kind
ACCEPT = "image/jpeg,image/png,image/webp"


class CriterionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class _ItemForm(forms.Form):
    criterion_required = False

    def __init__(self, *args, campaign: Campaign, item: ShowcaseItem | None = None, **kwargs):
        if item is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "criterion": item.criterion_id,
                "title": item.title,
                "body": item.body,
                "figure_value": item.figure_value,
                "figure_unit": item.figure_unit,
            }
        super().__init__(*args, **kwargs)
        self.item = item
        self.fields["criterion"] = CriterionChoiceField(
            label=_("Criterion"),
            queryset=campaign.criteria.order_by("order", "code"),
            required=self.criterion_required,
            empty_label=_("— choose —") if self.criterion_required else _("— none —"),
        )
        self.order_fields(self.field_order)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "criterion": data.get("criterion"),
            "title": data.get("title", ""),
            "body": data.get("body", ""),
            "figure_value": data.get("figure_value"),
            "figure_unit": data.get("figure_unit", ""),
            "photo": data.get("photo"),
        }


class PhotoItemForm(_ItemForm):
    criterion_required = True
    field_order = ["photo", "criterion", "body"]

    photo = forms.FileField(
        label=_("Photo"),
        help_text=_(
            "JPEG, PNG or WebP. It is turned upright and re-encoded; its EXIF data "
            "(place, camera) is removed."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    body = forms.CharField(
        label=_("Caption"),
        max_length=200,
        help_text=_("What the photo shows, e.g. “对电梯轿厢进行消毒”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.item is not None:
            self.fields["photo"].required = False
            self.fields["photo"].help_text = _(
                "Leave empty to keep the current photo. JPEG, PNG or WebP."
            )

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return process_upload(upload)
        except PhotoRejected as error:
            raise forms.ValidationError(str(error), code="photo_rejected") from None


class FigureItemForm(_ItemForm):
    field_order = ["figure_value", "figure_unit", "body", "criterion"]

    figure_value = forms.IntegerField(
        label=_("Number"), min_value=0, max_value=2_000_000_000, help_text=_("e.g. 1800")
    )
    figure_unit = forms.CharField(label=_("Unit"), max_length=20, help_text=_("e.g. 户"))
    body = forms.CharField(
        label=_("Sentence"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("e.g. 为居民发放84消毒液和清洁小喷壶，共计送达1800户。"),
    )


class TextItemForm(_ItemForm):
    field_order = ["title", "body", "criterion"]

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 6})
    )


class StoryItemForm(TextItemForm):
    body = forms.CharField(
        label=_("Text"), max_length=5000, widget=forms.Textarea(attrs={"rows": 10})
    )


ITEM_FORMS: dict[str, type[_ItemForm]] = {
    Kind.PHOTO: PhotoItemForm,
    Kind.FIGURE: FigureItemForm,
    Kind.HIGHLIGHT: TextItemForm,
    Kind.STORY: StoryItemForm,
}


class HeadlineForm(forms.Form):
    headline = forms.CharField(label=_("Headline"), max_length=200, required=False)
    subheadline = forms.CharField(label=_("Subheadline"), max_length=200, required=False)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        max_length=REPLY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REPLY_MAX_LENGTH}),
    )


class ModerationForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    # The length is checked by the service, whose message says how long it may be.
    note = forms.CharField(required=False, strip=True)
