"""Review and publication: the district reviewer's checks, the published lists
(preliminary for the public notice, final, and their revisions) with their frozen
entries, and the objections filed during a notice period.

The tables keep the names they had when these models lived in `evaluations`
(Meta.db_table): moving the code moved no row (migration 0001 of this app).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from evaluations.models import Campaign, Criterion, Enrollment, Prerequisite
from uploads.private_media import get_private_storage


class ReviewCheck(models.Model):
    """A district reviewer's finding on one prerequisite or one criterion."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="checks", verbose_name=_("enrollment")
    )
    prerequisite = models.ForeignKey(
        Prerequisite, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    met = models.BooleanField(_("met"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Staff only: in the private storage, served by a view that checks role and scope.
    evidence = models.ImageField(
        _("evidence photo"),
        upload_to="evidence/%Y/",
        storage=get_private_storage,
        max_length=200,
        blank=True,
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(_("checked"), default=timezone.now)

    class Meta:
        db_table = "evaluations_reviewcheck"
        verbose_name = _("review check")
        verbose_name_plural = _("review checks")
        constraints = [
            models.CheckConstraint(
                condition=(Q(prerequisite__isnull=True) & Q(criterion__isnull=False))
                | (Q(prerequisite__isnull=False) & Q(criterion__isnull=True)),
                name="check_one_subject",
            ),
            models.UniqueConstraint(
                fields=["enrollment", "prerequisite"],
                condition=Q(prerequisite__isnull=False),
                name="check_once_per_prerequisite",
            ),
            models.UniqueConstraint(
                fields=["enrollment", "criterion"],
                condition=Q(criterion__isnull=False),
                name="check_once_per_criterion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prerequisite or self.criterion}: {self.met}"


class PublicationQuerySet(models.QuerySet):
    def final(self):
        return self.filter(kind=Publication.Kind.FINAL)

    def current(self):
        """The latest revision of each campaign's final list."""
        latest = (
            Publication.objects.filter(campaign=models.OuterRef("campaign"), kind="final")
            .order_by("-revision")
            .values("pk")[:1]
        )
        return self.final().filter(pk=models.Subquery(latest))


class Publication(models.Model):
    """A list as published: frozen. A correction is a new revision with a change note."""

    class Kind(models.TextChoices):
        PRELIMINARY = "preliminary", _("Preliminary list (public notice)")
        FINAL = "final", _("Final list")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="publications", verbose_name=_("campaign")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    revision = models.PositiveIntegerField(_("revision"))
    published_at = models.DateTimeField(_("published"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    notice_ends_at = models.DateTimeField(_("notice period ends"), null=True, blank=True)
    change_note = models.TextField(_("change note"), blank=True)
    # SHA-256 over the anonymous ballots of the listed enrollments (evaluations.ballots),
    # fixed when the final list is published and carried over by its revisions.
    ratings_digest = models.CharField(
        _("digest of the counted ratings"), max_length=64, blank=True, editable=False
    )
    # The hash of the audit entry that anchored this publication (publishing._anchor):
    # that entry records the digest, so the digest is in the audit chain, and this
    # head is printed on the list page, in open data and on the publication notice.
    audit_head = models.CharField(_("audit chain head"), max_length=64, blank=True, editable=False)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        db_table = "evaluations_publication"
        ordering = ["campaign", "kind", "-revision"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "kind", "revision"], name="publication_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.get_kind_display()} r{self.revision}"

    def notice_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.kind == self.Kind.PRELIMINARY
            and self.notice_ends_at is not None
            and now < self.notice_ends_at
        )


class PublicationEntry(models.Model):
    """One community on a published list, with the facts as they were when published."""

    class Status(models.TextChoices):
        LISTED = "listed", _("On the list")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="entries")
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="publication_entries"
    )
    # Frozen copies: later edits of communities or companies do not change a publication.
    community_name = models.CharField(_("community"), max_length=100)
    community_name_en = models.CharField(max_length=150, blank=True)
    district_code = models.CharField(_("division code"), max_length=6)
    district_name = models.CharField(_("district"), max_length=50)
    district_name_en = models.CharField(max_length=80, blank=True)
    street_name = models.CharField(_("street"), max_length=50, blank=True)
    company_name = models.CharField(_("property company"), max_length=200)
    company_credit_code = models.CharField(max_length=18, blank=True)
    households = models.PositiveIntegerField(_("households"))
    responses = models.PositiveIntegerField(_("responses"))
    satisfied = models.PositiveIntegerField(_("satisfied responses"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.LISTED
    )
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        db_table = "evaluations_publicationentry"
        ordering = ["publication", "district_code", "community_name"]
        verbose_name = _("published entry")
        verbose_name_plural = _("published entries")
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "enrollment"], name="entry_once_per_publication"
            )
        ]

    def __str__(self) -> str:
        return f"{self.community_name}（{self.district_name}）"

    @property
    def rate(self):
        from fractions import Fraction

        return Fraction(self.satisfied, self.responses) if self.responses else None

    @property
    def rate_percent(self):
        from evaluations.tally import percent_floor

        return percent_floor(self.rate)

    @property
    def confidence(self):
        """The 95% Wilson interval of the rate, in percent (low, high)."""
        from evaluations.tally import wilson_interval

        return wilson_interval(self.satisfied, self.responses)

    def _english(self) -> bool:
        return (get_language() or "").startswith("en")

    # English pages (issue 14): the names an entry froze are the record and stay as
    # published, in Chinese; an English page shows the English name frozen with them
    # (community, district) or, where none was frozen, the pinyin of the frozen Chinese
    # itself — derived from the record, never from the community's name of today, and
    # never written back (entries are append-only). reviews.templatetags.entries'
    # `frozen` shows the Chinese beside it.
    def english_name(self, kind: str) -> str:
        """The English for one frozen name (`community`, `district`, `street`,
        `company`): the frozen English where the entry has one, else its pinyin."""
        from communities.search import romanized_name

        chinese = getattr(self, f"{kind}_name")
        frozen_english = getattr(self, f"{kind}_name_en", "")
        return frozen_english or romanized_name(chinese) or chinese

    def _display(self, kind: str) -> str:
        return self.english_name(kind) if self._english() else getattr(self, f"{kind}_name")

    @property
    def display_community_name(self) -> str:
        return self._display("community")

    @property
    def display_district_name(self) -> str:
        return self._display("district")

    @property
    def display_street_name(self) -> str:
        return self._display("street")

    @property
    def display_company_name(self) -> str:
        return self._display("company")


class Objection(models.Model):
    """An objection (异议) filed by anyone against an entry of a preliminary list."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting an answer")
        # A district reviewer upheld it against a community the city approved: the
        # city confirms (or sends it back) before the community leaves the list.
        AWAITING_CITY = "awaiting_city", _("Upheld by the district, awaiting city confirmation")
        UPHELD = "upheld", _("Upheld: dropped from the final list")
        DISMISSED = "dismissed", _("Dismissed")

    ANSWERED = (Status.UPHELD, Status.DISMISSED)

    entry = models.ForeignKey(PublicationEntry, on_delete=models.PROTECT, related_name="objections")
    # 受理编号: what the filer keeps to follow the objection on the public status page.
    # Random, not the row id, so nobody walks through other people's objections. NULL
    # only while migration 0003 gives the older objections theirs (unique allows it).
    reference = models.CharField(  # noqa: DJ001
        _("reference number"), max_length=10, unique=True, null=True, editable=False
    )
    contact_name = models.CharField(_("your name"), max_length=50)
    contact = models.CharField(
        _("phone or e-mail"), max_length=100, help_text=_("Only the bureau sees it.")
    )
    text = models.TextField(_("objection"), max_length=2000)
    # Staff only, like review evidence (it may show a person or a home).
    photo = models.ImageField(
        _("photo (optional)"),
        upload_to="objections/%Y/",
        storage=get_private_storage,
        max_length=200,
        blank=True,
    )
    filed_at = models.DateTimeField(_("filed"), default=timezone.now)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The district reviewer whose uphold waits for the city (status AWAITING_CITY).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("upheld by the district"), null=True, blank=True)
    # The filer asked to be told of the answer at `contact` (an e-mail or a mobile).
    notify = models.BooleanField(_("tell me when it is answered"), default=False)
    notified_at = models.DateTimeField(_("filer told"), null=True, blank=True)
    # When contact_name and contact were erased (docs/security.md: after the final list).
    contact_erased_at = models.DateTimeField(_("contact erased"), null=True, blank=True)

    class Meta:
        db_table = "evaluations_objection"
        ordering = ["filed_at"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        permissions = [("answer_objection", _("Answer objections in one's districts"))]

    def __str__(self) -> str:
        return f"{self.entry} · {self.filed_at:%Y-%m-%d}"

    @property
    def reference_display(self) -> str:
        return format_reference(self.reference or "")

    @property
    def public_stage(self) -> str:
        """What the public status page says: received, being handled, answered."""
        if self.status in self.ANSWERED:
            return "answered"
        if self.status == self.Status.AWAITING_CITY:
            return "handling"
        return "received"


REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud, typed


def new_reference() -> str:
    """Ten characters of REFERENCE_ALPHABET (~49 bits): not guessable, short to type."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


def format_reference(reference: str) -> str:
    return f"{reference[:5]}-{reference[5:]}" if len(reference) == 10 else reference


def normalise_reference(text: str) -> str:
    """What a person typed → the stored form: case, spaces and dashes forgiven."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:20]


class FeaturedList(models.Model):
    """The city's choice of the list the public home page leads with (issue 13, item 5).
    One row per choice, never changed: the current one is the latest."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="+", verbose_name=_("list")
    )
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    chosen_at = models.DateTimeField(_("chosen"), default=timezone.now)

    class Meta:
        ordering = ["-chosen_at", "-pk"]
        get_latest_by = ["chosen_at", "pk"]
        verbose_name = _("featured list")
        verbose_name_plural = _("featured lists")

    def __str__(self) -> str:
        return f"{self.publication} · {self.chosen_at:%Y-%m-%d}"
