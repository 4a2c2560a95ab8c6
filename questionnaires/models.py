"""The city's library of criteria sets (问卷库): each set has numbered versions,
and a version is never changed once made — editing a set makes the next version.

A campaign takes one version (CampaignQuestionnaire): its questions are copied into
the campaign's own `evaluations.Criterion` rows, which the resident's page, the
tally, the ballots and the open data read. So a later version of a set, or another
campaign's adjustments, never change a campaign that took a set; and the core keeps
knowing nothing of this app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign

# A rating stores its answers as one base-3 number in a 32-bit column
# (evaluations.models.answer_pattern): 3**19 fits, 3**20 does not.
MAX_QUESTIONS = 12


def _english() -> bool:
    return (get_language() or "").startswith("en")


class CriteriaSet(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=250, blank=True)
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("What the set is for and where its wording comes from."),
    )
    is_default = models.BooleanField(_("default for new campaigns"), default=False, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("criteria set")
        verbose_name_plural = _("criteria sets")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_criteria_set"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name_en if _english() and self.name_en else self.name

    def current_version(self) -> CriteriaSetVersion | None:
        return self.versions.order_by("-number").first()


class CriteriaSetVersion(models.Model):
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="versions", verbose_name=_("set")
    )
    number = models.PositiveIntegerField(_("version"))
    note = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        ordering = ["criteria_set", "-number"]
        verbose_name = _("criteria set version")
        verbose_name_plural = _("criteria set versions")
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "number"], name="one_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.criteria_set.name} v{self.number}"


class CriteriaSetItem(models.Model):
    """One question of a version: the fields a campaign's Criterion copies."""

    version = models.ForeignKey(CriteriaSetVersion, on_delete=models.PROTECT, related_name="items")
    code = models.SlugField(_("code"), max_length=50)
    text = models.CharField(_("question"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    hint = models.TextField(_("hint"), blank=True)
    text_en = models.CharField(_("English question"), max_length=150, blank=True)
    hint_en = models.TextField(_("English hint"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["version", "order", "code"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_code_per_version")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def display_text(self) -> str:
        return self.text_en if _english() and self.text_en else self.text

    @property
    def display_hint(self) -> str:
        return self.hint_en if _english() and self.hint_en else self.hint


class CampaignQuestionnaire(models.Model):
    """Which version of which set a campaign took, and how many times its questions
    were adjusted since (each adjustment is in the audit log, before and after)."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.PROTECT, related_name="questionnaire"
    )
    version = models.ForeignKey(
        CriteriaSetVersion, on_delete=models.PROTECT, related_name="campaigns"
    )
    revision = models.PositiveIntegerField(_("adjustments"), default=0)
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign questionnaire")
        verbose_name_plural = _("campaign questionnaires")

    def __str__(self) -> str:
        return f"{self.campaign} · {self.version}"
