from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Answer, Criterion

COMMENT_MAX_LENGTH = 500


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Household code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX",
                "inputmode": "text",
            }
        ),
    )


class RatingForm(forms.Form):
    """The questionnaire: overall satisfaction, one answer per criterion, a comment."""

    overall = forms.ChoiceField(
        label=_("Overall, how satisfied are you with your property company's service?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose your overall satisfaction."),
            "invalid_choice": _("Choose your overall satisfaction."),
        },
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH}),
        help_text=format_lazy(
            _("At most {n} characters. Do not write your name or room number."),
            n=COMMENT_MAX_LENGTH,
        ),
    )

    def __init__(self, *args, criteria: list[Criterion], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        comment = self.fields.pop("comment")
        for criterion in criteria:
            self.fields[self.field_name(criterion)] = forms.ChoiceField(
                label=criterion.display_name,
                help_text=criterion.display_description,
                choices=Answer.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Answer this question."),
                    "invalid_choice": _("Choose one of the answers given."),
                },
            )
        self.fields["comment"] = comment

    @staticmethod
    def field_name(criterion: Criterion) -> str:
        return f"criterion_{criterion.pk}"

    def criterion_fields(self):
        return [self[self.field_name(c)] for c in self.criteria]

    def answers(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data[self.field_name(c)] for c in self.criteria}

    def rating_values(self) -> dict:
        """What ratings.rating_submit takes, from a valid form."""
        return {
            "overall": self.cleaned_data["overall"],
            "answers": self.answers(),
            "comment": self.cleaned_data["comment"],
        }
