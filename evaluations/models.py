"""Campaigns (评选活动), their rules and criteria, enrollments (参评), household
codes (住户评议码), ratings (评议), and the audit log every app writes to.

Read with SPEC.md: a campaign holds its rules; an enrollment is one community
in one campaign and records the company that served it then; a household code
is stored only as a keyed hash; a household's latest rating counts and the
earlier ones stay as history.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, FilteredRelation, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from communities.models import Community, PropertyCompany

from .audit_actions import AUDIT_ACTIONS, AUDIT_TEXT_ACTIONS, CAMPAIGN_STAGES
from .codes import format_code

# Models kept in modules of their own, part of this module's interface.
from .failed_code_models import FailedCodeAttempt as FailedCodeAttempt
from .household_models import Household, HouseholdCodeQuerySet
from .rates import rates_refusal

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


FINALISE_MONITORING = _(
    "Finalise a campaign's monitoring; approve, as the second city account, a hold or "
    "release after it"
)


class RatesNotAvailable(Exception):
    """Rates are not computed while residents can still rate (SPEC step 3)."""


class Answer(models.TextChoices):
    """The three answers of the 2020 questionnaire, overall and per criterion."""

    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")  # 基本满意
    UNSATISFIED = "unsatisfied", _("Unsatisfied")  # 不满意


def answer_pattern(criteria, answers) -> int:
    """A rating's answers per criterion as one number: base 3, one digit per criterion
    in questionnaire order (`criteria`: the campaign's, in order; `answers`: criterion
    id → answer). Stored on the rating when it is made, so that the anomaly monitoring
    groups a million ratings by their answers without reading five million rows."""
    digits = {answer: digit for digit, answer in enumerate(Answer.values)}
    return sum(
        digits[answers[getattr(c, "pk", c)]] * 3**position for position, c in enumerate(criteria)
    )


DEFAULT_SATISFIED_ANSWERS = [Answer.SATISFIED.value, Answer.BASICALLY_SATISFIED.value]


def default_satisfied_answers() -> list[str]:
    return list(DEFAULT_SATISFIED_ANSWERS)


class _RuleItem(models.Model):
    """A criterion or a prerequisite: data, so that a later campaign may use others."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("English description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_default = models.BooleanField(
        _("in the default set"),
        default=False,
        help_text=_("New campaigns start with the default set."),
    )

    class Meta:
        abstract = True
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def _english(self) -> bool:
        return (get_language() or "").startswith("en")

    @property
    def display_name(self) -> str:
        return self.name_en if self._english() and self.name_en else self.name

    @property
    def display_description(self) -> str:
        if self._english() and self.description_en:
            return self.description_en
        return self.description


class Criterion(_RuleItem):
    """One of the criteria residents answer and reviewers check (五个到位 in 2020).
    A campaign that took a criteria set (questionnaires/) has rows of its own, so a
    code is unique within a campaign, not across them."""

    code = models.SlugField(_("code"), max_length=50)
    short_name = models.CharField(
        _("short name"),
        max_length=50,
        blank=True,
        help_text=_("Used in showcase headings, e.g. 基本服务 for “画说基本服务”."),
    )

    class Meta(_RuleItem.Meta):
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")


class Prerequisite(_RuleItem):
    """An obligation the district reviewer checks; residents do not rate it."""

    class Meta(_RuleItem.Meta):
        verbose_name = _("prerequisite")
        verbose_name_plural = _("prerequisites")


class CampaignQuerySet(models.QuerySet):
    def public(self):
        """What the public site may show (public_campaign_q)."""
        return self.filter(public_campaign_q())

    def accepting_ratings(self, now=None):
        now = now or timezone.now()
        return self.filter(status=Campaign.Status.OPEN, opens_at__lte=now, closes_at__gt=now)


def public_campaign_q(prefix: str = "") -> Q:
    """The one definition of a campaign the public may see: not a practice campaign,
    not cancelled. `prefix` reaches it through a relation, e.g. "campaign__"."""
    return Q(**{f"{prefix}is_practice": False}) & ~Q(**{f"{prefix}status": "cancelled"})


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for rating")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")
        CANCELLED = "cancelled", _("Cancelled")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    opens_at = models.DateTimeField(_("rating opens"))
    closes_at = models.DateTimeField(_("rating closes"))
    opens_on_schedule = models.BooleanField(
        _("open on schedule"),
        default=False,
        help_text=_("Rating opens by itself at the start time (with communities enrolled)."),
    )
    # When staff actually closed rating (campaign_transition "close"): before closes_at
    # when closed early, and then the time residents are told rating closed.
    closed_at = models.DateTimeField(_("rating closed"), null=True, blank=True, editable=False)
    threshold_percent = models.DecimalField(
        _("satisfaction threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90.00"),
        validators=PERCENT_VALIDATORS,
        help_text=_("Satisfied ratings / all ratings must reach this, compared exactly."),
    )
    min_responses = models.PositiveIntegerField(
        _("minimum responses"),
        default=20,
        help_text=_("Fewer counted ratings than this: the community is not eligible."),
    )
    min_coverage_percent = models.DecimalField(
        _("minimum coverage (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=PERCENT_VALIDATORS,
        help_text=_("Share of households that must have rated."),
    )
    satisfied_answers = models.JSONField(
        _("answers counted as satisfied"),
        default=default_satisfied_answers,
        help_text=_("By default 满意 and 基本满意."),
    )
    criteria = models.ManyToManyField(
        Criterion, related_name="campaigns", blank=True, verbose_name=_("criteria")
    )
    prerequisites = models.ManyToManyField(
        Prerequisite, related_name="campaigns", blank=True, verbose_name=_("prerequisites")
    )
    is_practice = models.BooleanField(
        _("practice campaign (练习)"),
        default=False,
        help_text=_(
            "For staff training: works like a real campaign and never appears on the "
            "public site, in open data or on the home page."
        ),
    )
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    notice_days = models.PositiveSmallIntegerField(
        _("public notice period (days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("How long the preliminary list is open to objections (公示期)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Rates shown after the close only once the monitoring is finalised (issue 11).
    monitoring_finalised_at = models.DateTimeField(
        _("monitoring finalised"), null=True, blank=True, editable=False
    )
    monitoring_finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("monitoring finalised by"),
    )  # fmt: skip

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [
            ("manage_campaign", _("Create campaigns, enroll communities, open and close rating")),
            ("approve_recommendation", _("Approve or return district recommendations")),
            ("publish_list", _("Publish the preliminary and the final list")),
            ("withdraw_entry", _("Withdraw a published entry")),
            ("export_results", _("Export campaign results")),
            ("finalise_monitoring", FINALISE_MONITORING),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="campaign_window_closes_after_opening",
                violation_error_message=_("The rating window must close after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name

    def clean(self) -> None:
        answers = self.satisfied_answers
        if (
            not isinstance(answers, list)
            or not answers
            or any(a not in Answer.values for a in answers)
            or len(set(answers)) != len(answers)
        ):
            raise ValidationError(
                {
                    "satisfied_answers": _("Give a non-empty list drawn from: %(values)s.")
                    % {"values": ", ".join(Answer.values)}
                }
            )
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The rating window must close after it opens.")})

    @property
    def rating_ended_at(self):
        """When rating really ended (or will end): the planned close, or the earlier
        moment staff closed it."""
        if self.closed_at is not None and self.closed_at < self.closes_at:
            return self.closed_at
        return self.closes_at

    def accepts_ratings(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.OPEN and self.opens_at <= now < self.closes_at

    @property
    def rates_visible(self) -> bool:
        """Not while residents can rate (SPEC step 3), nor before the city has finalised
        the monitoring: no hold can be steered by watching a rate move (issue 11)."""
        return (
            self.status not in (self.Status.DRAFT, self.Status.OPEN)
            and self.monitoring_finalised_at is not None
        )

    def rates_refusal(self) -> str:
        return rates_refusal(self.status)

    @property
    def threshold_basis_points(self) -> int:
        return int(self.threshold_percent * 100)

    @property
    def min_coverage_basis_points(self) -> int:
        return int(self.min_coverage_percent * 100)


def counted_q(prefix: str = "") -> Q:
    """The one definition of a *counted* rating: the household's latest (is_current)
    and not quarantined by the bureau (issue 5, anti-fraud). `prefix` reaches a
    rating through a relation, e.g. counted_q("ratings__") on enrollments."""
    return Q(**{f"{prefix}is_current": True, f"{prefix}quarantined_at__isnull": True})


class EnrollmentQuerySet(models.QuerySet):
    def with_turnout(self):
        """Counted ratings per enrollment: what may be shown while a campaign is open."""
        return self.annotate(responses=Count("ratings", filter=counted_q("ratings__")))

    def with_answer_counts(self):
        """Counted ratings per overall answer, for listings that span campaigns."""
        counts = {
            f"n_{answer}": Count(
                "ratings", filter=counted_q("ratings__") & Q(ratings__overall=answer)
            )
            for answer in Answer.values
        }
        return self.annotate(**counts)

    def with_code_counts(self):
        """Household codes issued per enrollment, as a subquery: a second join next to
        the ratings would multiply the rows and inflate every count."""
        codes = (
            HouseholdCode.objects.filter(enrollment=models.OuterRef("pk"), revoked_at__isnull=True)
            .order_by()
            .values("enrollment")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(codes_issued=Coalesce(models.Subquery(codes), 0))

    def with_tally(self, campaign: Campaign):
        """Responses and satisfied responses per enrollment, by SQL aggregates.

        For the enrollments of `campaign` (whose rules say which answers count).
        Refused while residents can still rate: nobody sees rates then.

        The counted ratings are joined with `is_current` in the join condition
        (a FilteredRelation), so superseded ratings are never read and nothing is
        filtered inside the aggregates but the answer; `order_by()` drops the
        model's ordering, whose joins (campaign, community, district) would
        otherwise stay in a GROUP BY that does not need them. Callers that want an
        order give it again.
        """
        if not campaign.rates_visible:
            raise RatesNotAvailable(campaign.rates_refusal())
        return (
            self.filter(campaign=campaign)
            .annotate(counted=FilteredRelation("ratings", condition=counted_q("ratings__")))
            .annotate(
                responses=Count("counted"),
                satisfied=Count(
                    "counted", filter=Q(counted__overall__in=campaign.satisfied_answers)
                ),
            )
            .order_by()
        )

    def eligible(self, campaign: Campaign):
        """Enrollments that meet the campaign's rules, compared in exact integers:
        satisfied × 10000 ≥ threshold (basis points) × responses, and the same for
        coverage, so 90.0% qualifies and 89.96% does not on every database."""
        return (
            self.with_tally(campaign)
            .filter(responses__gte=max(campaign.min_responses, 1))
            .alias(
                satisfied_scaled=F("satisfied") * 10000,
                responses_scaled=F("responses") * 10000,
            )
            .filter(
                satisfied_scaled__gte=F("responses") * campaign.threshold_basis_points,
                responses_scaled__gte=F("households") * campaign.min_coverage_basis_points,
            )
        )


class ReviewStatus(models.TextChoices):
    """Where an enrollment stands in review (SPEC steps 5 and 6)."""

    PENDING = "pending", _("Awaiting district review")
    RECOMMENDED = "recommended", _("Recommended by the district")
    REJECTED = "rejected", _("Not recommended by the district")
    RETURNED = "returned", _("Returned by the city")
    APPROVED = "approved", _("Approved by the city")
    DROPPED = "dropped", _("Dropped after an upheld objection")
    UNENROLLED = "unenrolled", _("Un-enrolled before rating opened")


class Enrollment(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="enrollments", verbose_name=_("campaign")
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("community"),
    )
    company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        related_name="enrollments",
        verbose_name=_("property company during the campaign"),
    )
    households = models.PositiveIntegerField(
        _("households"), help_text=_("Households at enrollment: the base of the coverage.")
    )
    created_at = models.DateTimeField(_("enrolled"), auto_now_add=True)
    review_status = models.CharField(
        _("review"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_reason = models.TextField(
        _("reason of the last decision"), blank=True, help_text=_("Shown to the other reviewers.")
    )

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "community__district__code", "community__name"]
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        permissions = [
            ("review_enrollment", _("Check, recommend or reject enrollments of one's districts")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "community"], name="enrollment_once_per_campaign"
            ),
            models.CheckConstraint(condition=Q(households__gt=0), name="enrollment_has_households"),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} · {self.campaign.name}"


class HouseholdCode(models.Model):
    """A code for one household. Only its keyed hash is stored. A reissued notice
    revokes the old code (revoked_at) and gives the household a new one; the
    database keeps one active code per household."""

    enrollment = models.ForeignKey(
        Enrollment,
        on_delete=models.PROTECT,
        related_name="household_codes",
        verbose_name=_("enrollment"),
    )
    # Null for the codes issued before households were recorded.
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="codes",
        verbose_name=_("household"),
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True, editable=False)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = HouseholdCodeQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("household code")
        verbose_name_plural = _("household codes")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(revoked_at__isnull=True, household__isnull=False),
                name="household_one_active_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_hash[:10]}… · {self.enrollment.community.name}"


class RatingQuerySet(models.QuerySet):
    def counted(self):
        """The ratings that count: see counted_q."""
        return self.filter(counted_q())


class Rating(models.Model):
    """One submission by a household. The latest one counts (is_current) unless the
    bureau has quarantined it (quarantined_at, reversible, audited); the earlier
    ones are kept as history and never deleted."""

    household_code = models.ForeignKey(
        HouseholdCode,
        on_delete=models.PROTECT,
        related_name="ratings",
        verbose_name=_("household code"),
    )
    # Copied from the code so that tallies group by it without a join.
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("enrollment")
    )
    overall = models.CharField(_("overall satisfaction"), max_length=20, choices=Answer.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=500)
    receipt = models.CharField(_("receipt number"), max_length=20, unique=True)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    is_current = models.BooleanField(_("counts"), default=True)
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    # Anti-fraud signals (issue 5): seconds from the form's first display to its
    # submission (None when the signed start time was missing, forged or expired),
    # and a random id kept in a cookie of the browser that submitted.
    form_seconds = models.PositiveIntegerField(_("seconds to fill in"), null=True, blank=True)
    browser_id = models.CharField(_("browser id"), max_length=32, blank=True)
    # answer_pattern(): the answers per criterion as one number, for the monitoring.
    answer_pattern = models.PositiveIntegerField(
        _("answer pattern"), null=True, blank=True, editable=False
    )
    # Quarantine (暂扣): excluded from the tally while set; released by clearing it.
    # Both steps are written to the audit log with their reason.
    quarantined_at = models.DateTimeField(_("held for review since"), null=True, blank=True)
    quarantined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    quarantine_reason = models.TextField(_("reason for holding"), blank=True)
    # The monitoring's flags when held, comma-separated (only a flagged rating is held).
    quarantine_flags = models.CharField(_("flags when held"), max_length=100, blank=True)

    objects = RatingQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        permissions = [
            (
                "monitor_ratings",
                _(
                    "See a campaign's anti-fraud monitoring; hold ratings for review or release them"
                ),
            )
        ]
        constraints = [
            # Exactly one counted rating per household code, enforced by the database.
            models.UniqueConstraint(
                fields=["household_code"],
                condition=Q(is_current=True),
                name="rating_one_current_per_code",
            ),
        ]
        indexes = [
            # The tally's index: the counted ratings only (counted_q), their answer
            # inside it, so the GROUP BY per enrollment is an index-only scan.
            models.Index(
                fields=["enrollment", "overall"],
                condition=Q(is_current=True, quarantined_at__isnull=True),
                name="rating_counted_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt

    @property
    def is_quarantined(self) -> bool:
        return self.quarantined_at is not None

    @property
    def receipt_display(self) -> str:
        """The receipt in groups of four, as residents copy it down."""
        return format_code(self.receipt)


class RatingAnswer(models.Model):
    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, related_name="answers", verbose_name=_("rating")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    answer = models.CharField(_("answer"), max_length=20, choices=Answer.choices)

    class Meta:
        verbose_name = _("answer per criterion")
        verbose_name_plural = _("answers per criterion")
        constraints = [
            models.UniqueConstraint(
                fields=["rating", "criterion"], name="rating_answer_once_per_criterion"
            )
        ]

    def __str__(self) -> str:
        # Never the answer itself: this text shows up in admin lists and delete pages.
        return str(self.criterion)


class AuditEntry(models.Model):
    """Who did what, when and why: a hash chain, append-only down to the database."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=50)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_entries"
    )
    subject = models.CharField(_("on what"), max_length=300)
    old_value = models.CharField(_("before"), max_length=300, blank=True)
    new_value = models.CharField(_("after"), max_length=300, blank=True)
    reason = models.TextField(_("why"), blank=True)
    # The hash chain (evaluations.audit_chain).
    prev_hash = models.CharField(_("previous entry's hash"), max_length=64, editable=False)
    entry_hash = models.CharField(_("entry hash"), max_length=64, editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        constraints = [
            # No two entries follow one: the chain cannot fork.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_chain_no_fork"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.subject}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")

    @property
    def action_display(self) -> str:
        return str(AUDIT_ACTIONS.get(self.action, self.action))

    @staticmethod
    def _value_display(value: str) -> str:
        for choices in (ReviewStatus, Campaign.Status):
            if value in choices.values:
                return str(choices(value).label)
        if value in CAMPAIGN_STAGES:
            return str(CAMPAIGN_STAGES[value])
        return value

    @property
    def old_value_display(self) -> str:
        if self.action in AUDIT_TEXT_ACTIONS:
            return self.old_value
        return self._value_display(self.old_value)

    @property
    def new_value_display(self) -> str:
        if self.action in AUDIT_TEXT_ACTIONS:
            return self.new_value
        return self._value_display(self.new_value)
