from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import District
from evaluations.audit import REASON_REQUIRED
from evaluations.models import Answer, Campaign, Prerequisite
from questionnaires.forms import CriteriaSetChoiceField
from questionnaires.models import CriteriaSet
from reviews.models import Objection
from uploads.forms import PHOTO_ACCEPT, clean_private_photo


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CampaignForm(forms.ModelForm):
    satisfied_answers = forms.MultipleChoiceField(
        label=_("answers counted as satisfied"),
        choices=Answer.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Answer.SATISFIED, Answer.BASICALLY_SATISFIED],
    )
    criteria_set = CriteriaSetChoiceField(
        label=_("Criteria set"),
        queryset=CriteriaSet.objects.all(),
        empty_label=None,
        help_text=_(
            "Its questions can be adjusted on the campaign's questions page until rating opens."
        ),
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label=_("prerequisites"),
        queryset=Prerequisite.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "name_en",
            "slug",
            "description",
            "opens_at",
            "closes_at",
            "opens_on_schedule",
            "is_practice",
            "threshold_percent",
            "min_responses",
            "min_coverage_percent",
            "satisfied_answers",
            "notice_days",
            "prerequisites",
        ]
        widgets = {
            "opens_at": DateTimeInput(),
            "closes_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # editing: the slug is printed on notices already
            del self.fields["slug"]
            del self.fields["criteria_set"]  # the questions page changes them
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("opens_on_schedule", True)
            self.initial.setdefault(
                "criteria_set", CriteriaSet.objects.filter(is_default=True).first()
            )
            self.initial.setdefault(
                "prerequisites",
                list(Prerequisite.objects.filter(is_default=True).values_list("pk", flat=True)),
            )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REASON_REQUIRED},
    )


class SecondApprovalForm(RequiredReasonForm):
    """After the monitoring is finalised, a hold or release needs a second city
    account: its holder signs in on this form, beside the first."""

    approver_username = forms.CharField(label=_("Second city account"), max_length=150)
    approver_password = forms.CharField(
        label=_("Its password"), max_length=200, widget=forms.PasswordInput
    )

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self):
        from django.contrib.auth import authenticate

        data = super().clean()
        username, password = data.get("approver_username"), data.get("approver_password")
        if username and password:
            approver = authenticate(self.request, username=username, password=password)
            if approver is None:
                raise forms.ValidationError(
                    _("The second account's name or password is not right; nothing was changed.")
                )
            data["approver"] = approver
        return data


class EnrollDistrictForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all())


class CheckForm(forms.Form):
    """One prerequisite or criterion: met or not, a note, an optional photo."""

    met = forms.TypedChoiceField(
        label=_("Result"),
        choices=[("yes", _("Met")), ("no", _("Not met"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose met or not met.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
    evidence = forms.FileField(
        label=_("Evidence photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )

    def clean_evidence(self):
        return clean_private_photo(self.cleaned_data.get("evidence"))


class ObjectionAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Objection.Status.UPHELD, _("Upheld: drop the community from the final list")),
            (Objection.Status.DISMISSED, _("Dismissed")),
        ],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("Answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REASON_REQUIRED},
    )


class ObjectionConfirmForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("confirm", _("Confirm: the community leaves the list")),
            ("refuse", _("Send back: the objection is open again")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required to send it back)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", REASON_REQUIRED)
        return cleaned
