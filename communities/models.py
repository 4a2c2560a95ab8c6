"""Places and companies: City → District (区) → Street (街道) → Community (小区),
and the property-service companies (物业服务企业) that serve communities."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .search import SearchKeysMixin, romanized_name
from .validators import normalize_uscc, validate_division_code, validate_uscc


class BilingualNameMixin:
    """Names are data in Chinese; on an English page the English name is shown, or where
    none is given the name in pinyin (`name_pinyin`, kept in step with the name on save)."""

    @property
    def display_name(self) -> str:
        if (get_language() or "").startswith("en"):
            return getattr(self, "name_en", "") or getattr(self, "name_pinyin", "") or self.name
        return self.name


class District(BilingualNameMixin, models.Model):
    code = models.CharField(
        _("division code"),
        max_length=6,
        unique=True,
        validators=[validate_division_code],
        help_text=_("GB/T 2260 administrative-division code, e.g. 420104 for 硚口区."),
    )
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    city_code = models.CharField(
        _("city code"), max_length=6, validators=[validate_division_code], default="420100"
    )
    city_name = models.CharField(_("city"), max_length=50, default="武汉市")

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class Street(BilingualNameMixin, models.Model):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="streets", verbose_name=_("district")
    )
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        ordering = ["district__code", "name"]
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        constraints = [
            models.UniqueConstraint(fields=["district", "name"], name="street_unique_per_district")
        ]

    def __str__(self) -> str:
        return f"{self.district.name} {self.name}"

    def save(self, *args, **kwargs):
        self.name_pinyin = romanized_name(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_pinyin"}
        super().save(*args, **kwargs)


class PropertyCompany(SearchKeysMixin, BilingualNameMixin, models.Model):
    name = models.CharField(_("legal name"), max_length=200, unique=True)
    name_en = models.CharField(_("English name"), max_length=250, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_uscc],
        help_text=_("统一社会信用代码, 18 characters (GB 32100-2015); the last one is checked."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        verbose_name=_("parent company"),
        help_text=_("For a branch (分公司): the company it belongs to."),
    )
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Synthetic, made up for the demonstration.")
    )
    pinyin = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    pinyin_initials = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    name_pinyin = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        constraints = [
            models.UniqueConstraint(
                Upper("credit_code"),
                condition=~Q(credit_code=""),
                name="company_credit_code_unique",
                violation_error_message=_("A company with this credit code already exists."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.credit_code = normalize_uscc(self.credit_code)


class Community(SearchKeysMixin, BilingualNameMixin, models.Model):
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="communities", verbose_name=_("district")
    )
    street = models.ForeignKey(
        Street,
        on_delete=models.PROTECT,
        related_name="communities",
        null=True,
        blank=True,
        verbose_name=_("street"),
    )
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    households = models.PositiveIntegerField(
        _("households"), help_text=_("Number of households: the base of the coverage.")
    )
    company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        related_name="communities",
        null=True,
        blank=True,
        verbose_name=_("current property company"),
        help_text=_("Today's company. Who served during a campaign is kept on its enrollment."),
    )
    is_demo = models.BooleanField(
        _("demo data"), default=False, help_text=_("Synthetic, made up for the demonstration.")
    )
    pinyin = models.CharField(max_length=400, blank=True, editable=False, db_index=True)
    pinyin_initials = models.CharField(max_length=200, blank=True, editable=False, db_index=True)
    name_pinyin = models.CharField(max_length=400, blank=True, editable=False)

    class Meta:
        ordering = ["district__code", "name"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="community_unique_name_per_district"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.district.name}）"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.street_id and self.district_id and self.street.district_id != self.district_id:
            raise ValidationError({"street": _("This street belongs to another district.")})
