from django import forms
from django.utils.translation import gettext_lazy as _

from reviews.filers import contact_kind
from reviews.models import Objection
from uploads.forms import PHOTO_ACCEPT, clean_private_photo


class ObjectionForm(forms.ModelForm):
    photo = forms.FileField(
        label=_("photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )

    def clean_photo(self):
        return clean_private_photo(self.cleaned_data.get("photo"))

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("notify")
            and cleaned.get("contact")
            and not contact_kind(cleaned["contact"])
        ):
            self.add_error(
                "contact",
                _(
                    "To be told of the answer, give an e-mail address or a phone number we can write to."
                ),
            )
        return cleaned

    class Meta:
        model = Objection
        fields = ["contact_name", "contact", "notify", "text", "photo"]
        help_texts = {
            "contact": _(
                "Only the staff who answer objections see it; erased after the final list."
            ),
            "notify": _("We send one message to this e-mail or phone when the answer is given."),
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}


class ObjectionLookupForm(forms.Form):
    ref = forms.CharField(label=_("reference number (受理编号)"), max_length=30)
