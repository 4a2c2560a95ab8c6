"""The households (住户) of an enrolled community, in a module of their own so that
models.py stays readable; evaluations.models imports them (HouseholdCode belongs to
a Household)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Household(models.Model):
    """One dwelling of an enrolled community (住户): imported with its building (栋),
    unit (单元) and room, or numbered 1…N when the community was only counted.
    `order` is the delivery order (building, unit, room, in natural order), in which
    the notices are printed. A household has at most one active code."""

    enrollment = models.ForeignKey(
        "evaluations.Enrollment",
        on_delete=models.PROTECT,
        related_name="dwellings",
        verbose_name=_("enrollment"),
    )
    building = models.CharField(_("building"), max_length=40, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20)
    order = models.PositiveIntegerField(_("delivery order"))
    delivered_at = models.DateTimeField(_("notice delivered"), null=True, blank=True)

    class Meta:
        ordering = ["enrollment", "order"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "building", "unit", "room"], name="household_once_per_door"
            ),
        ]
        indexes = [models.Index(fields=["enrollment", "order"], name="household_delivery_idx")]

    def __str__(self) -> str:
        return self.address

    @property
    def address(self) -> str:
        """Building, unit and room as a delivery person reads them: 3栋2单元501."""
        parts = []
        if self.building:
            parts.append(_("Building %(b)s") % {"b": self.building})
        if self.unit:
            parts.append(_("Unit %(u)s") % {"u": self.unit})
        parts.append(_("Room %(r)s") % {"r": self.room})
        return " ".join(str(p) for p in parts)


class HouseholdCodeQuerySet(models.QuerySet):
    def active(self):
        """The codes not revoked: at most one per household."""
        return self.filter(revoked_at__isnull=True)
