"""Staff accounts' scope: which districts a reviewer covers, which company a
company staffer speaks for. What an account may *do* comes from its groups
(accounts.roles).

The table keeps the name it had when this model lived in `evaluations` (and then in
`console`): moving the code moved no row (migration 0001 of this app).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from communities.models import PropertyCompany


class StaffProfile(models.Model):
    """The scope of a staff account; what it may do comes from its groups."""

    class Role(models.TextChoices):
        CITY = "city", _("City bureau")  # 市房管局
        DISTRICT = "district", _("District reviewer")  # 区房管局
        COMPANY = "company", _("Property company staff")  # 物业服务企业

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    districts = models.ManyToManyField(
        "communities.District", blank=True, related_name="+", verbose_name=_("districts")
    )
    company = models.ForeignKey(
        PropertyCompany,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("company"),
    )

    class Meta:
        db_table = "evaluations_staffprofile"
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"
