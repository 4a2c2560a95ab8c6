from django import forms
from django.utils.translation import gettext_lazy as _

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

    class Meta:
        model = Objection
        fields = ["contact_name", "contact", "text", "photo"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5, "maxlength": 2000})}
