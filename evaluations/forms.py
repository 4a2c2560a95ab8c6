from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import Answer, Criterion
from .services import COMMENT_MAX_LENGTH


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

    @classmethod
    def clean_quickly(cls, data, criteria: list[Criterion]) -> dict | None:
        """The cleaned answers of a submission that passes every rule of this form, as
        is_valid() and cleaned_data would give them; None for any other, which the
        form itself then validates and shows with its messages.

        Most submissions are complete, and building the form (a choice field per
        criterion, copied per request) cost more than the rest of the submit."""
        values = Answer.values
        overall = data.get("overall")
        if overall not in values:
            return None
        answers = {}
        for criterion in criteria:
            answer = data.get(cls.field_name(criterion))
            if answer not in values:
                return None
            answers[criterion.pk] = answer
        comment = data.get("comment") or ""
        if not isinstance(comment, str):
            return None
        comment = comment.strip()
        if len(comment) > COMMENT_MAX_LENGTH or "\x00" in comment:
            return None
        return {"overall": overall, "answers": answers, "comment": comment}
