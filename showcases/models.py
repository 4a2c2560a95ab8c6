"""Showcases (风采展示): what a property company shows of one enrolled community —
photos by criterion with captions (画说), figures (数说), highlights and stories —
and its replies under a published entry. All of it is moderated: the public sees
only what the bureau approved.

The tables keep the names they had when these models lived in `evaluations`
(Meta.db_table): moving the code moved no row (migration 0001 of this app).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import PropertyCompany
from evaluations.models import Criterion, Enrollment


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Showcase(models.Model):
    """The showcase (风采展示) of one community in one campaign.

    `headline` and `subheadline` are what the public sees: the last headline the
    bureau approved. A company's new headline waits as a HeadlineProposal."""

    enrollment = models.OneToOneField(
        Enrollment, on_delete=models.PROTECT, related_name="showcase", verbose_name=_("enrollment")
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    subheadline = models.CharField(_("subheadline"), max_length=200, blank=True)

    class Meta:
        db_table = "evaluations_showcase"
        verbose_name = _("showcase")
        verbose_name_plural = _("showcases")

    def __str__(self) -> str:
        return str(self.enrollment)


class Moderated(models.Model):
    """Material a company submits and the bureau approves or rejects (showcase items,
    replies): the public sees it only once approved."""

    status = models.CharField(
        _("review"),
        max_length=12,
        choices=ModerationStatus.choices,
        default=ModerationStatus.PENDING,
    )
    review_note = models.CharField(_("review note"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        abstract = True


class ShowcaseItemQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=ModerationStatus.APPROVED)


class ShowcaseItem(Moderated):
    """One piece of a showcase: a photo with its caption (画说), a figure (数说),
    a highlight or a story. Submitted by the company, seen by the public only
    once the bureau has approved it."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo with caption")  # 画说
        FIGURE = "figure", _("Figure")  # 数说
        HIGHLIGHT = "highlight", _("Highlight")  # 亮点、法宝
        STORY = "story", _("Story")  # 暖心故事

    showcase = models.ForeignKey(
        Showcase, on_delete=models.CASCADE, related_name="items", verbose_name=_("showcase")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    criterion = models.ForeignKey(
        Criterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criterion"),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    figure_value = models.PositiveIntegerField(_("number"), null=True, blank=True)
    figure_unit = models.CharField(_("unit"), max_length=20, blank=True)
    # The photo as served: re-encoded from the upload, upright, without EXIF (GPS).
    image = models.ImageField(_("photo"), upload_to="showcases/%Y/", null=True, blank=True)
    image_small = models.ImageField(upload_to="showcases/%Y/", null=True, blank=True)
    image_medium = models.ImageField(upload_to="showcases/%Y/", null=True, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True)
    image_height = models.PositiveIntegerField(null=True, blank=True)
    # The modern formats the photo is also stored in, e.g. "avif webp" (uploads.photos:
    # the files are the JPEGs' names with another suffix).
    image_formats = models.CharField(max_length=40, blank=True, default="", editable=False)
    image_is_illustration = models.BooleanField(
        _("illustration"),
        default=False,
        help_text=_("Drawn for the demonstration, not a photograph of the community."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ShowcaseItemQuerySet.as_manager()

    class Meta:
        db_table = "evaluations_showcaseitem"
        ordering = ["showcase", "order", "id"]
        verbose_name = _("showcase item")
        verbose_name_plural = _("showcase items")
        permissions = [("moderate_showcase", _("Approve or reject showcase material"))]

    def __str__(self) -> str:
        return self.title or self.body[:30]


class CompanyReply(Moderated):
    """A property company's reply under its community's published entry, shown
    once the bureau has approved it (moderated like showcases)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="replies", verbose_name=_("enrollment")
    )
    company = models.ForeignKey(
        PropertyCompany, on_delete=models.PROTECT, related_name="replies", verbose_name=_("company")
    )
    text = models.TextField(_("reply"), max_length=1000)

    class Meta:
        db_table = "evaluations_companyreply"
        ordering = ["-submitted_at"]
        verbose_name = _("company reply")
        verbose_name_plural = _("company replies")

    def __str__(self) -> str:
        return f"{self.company} · {self.text[:30]}"


class HeadlineProposal(Moderated):
    """A headline (and subheadline) a company proposes for its showcase. Moderated like
    the other showcase text: on approval it replaces the public headline; until then
    the headline approved before stays public. One proposal waits at a time (a new
    edit changes the waiting one); rejected ones stay with the bureau's note."""

    showcase = models.ForeignKey(
        Showcase,
        on_delete=models.CASCADE,
        related_name="headline_proposals",
        verbose_name=_("showcase"),
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    subheadline = models.CharField(_("subheadline"), max_length=200, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("proposed headline")
        verbose_name_plural = _("proposed headlines")

    def __str__(self) -> str:
        return " / ".join(p for p in (self.headline, self.subheadline) if p)
