"""Importing a community's households (楼栋, 单元, 房号) from CSV or XLSX, read by
communities.importing's table reader, with a dry-run plan that names every row's
error, as the community import does. Applying it replaces the enrollment's
households (only while none has a code) in delivery order, and makes their number
the enrollment's households — the base of the coverage."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from communities.importing.tables import Table

from .audit import audit_record
from .errors import DomainError
from .households import delivery_key
from .models import Campaign, Enrollment, Household

HEADERS = {
    "building": ("楼栋", "栋", "楼号", "building"),
    "unit": ("单元", "unit"),
    "room": ("房号", "室", "门牌", "room"),
}
LIMITS = {"building": 40, "unit": 20, "room": 20}


class HouseholdsNotImported(DomainError):
    pass


@dataclass
class HouseholdRow:
    line: int
    building: str
    unit: str
    room: str
    error: str = ""


@dataclass
class HouseholdPlan:
    rows: list[HouseholdRow] = field(default_factory=list)
    file_error: str = ""

    @property
    def errors(self) -> list[HouseholdRow]:
        return [r for r in self.rows if r.error]

    @property
    def valid(self) -> list[HouseholdRow]:
        return [r for r in self.rows if not r.error]


def _key(header: str) -> str | None:
    text = unicodedata.normalize("NFKC", header or "").strip().lower()
    text = text.rstrip("*＊ ").replace(" ", "")
    for key, names in HEADERS.items():
        if text in names:
            return key
    return None


def households_plan(table: Table) -> HouseholdPlan:
    """Every row checked, nothing written."""
    plan = HouseholdPlan()
    columns = {_key(h): i for i, h in reversed(list(enumerate(table.headers))) if _key(h)}
    if "room" not in columns:
        plan.file_error = _(
            "The file has no room column (房号). Its columns should be 楼栋, 单元 and 房号."
        )
        return plan
    seen: dict[tuple[str, str, str], int] = {}
    for line, cells in table.rows:
        values = {
            key: (cells[index] if index < len(cells) else "").strip()
            for key, index in columns.items()
        }
        row = HouseholdRow(line, values.get("building", ""), values.get("unit", ""), values["room"])
        door = (row.building, row.unit, row.room)
        if not row.room:
            row.error = _("The room (房号) is missing.")
        elif any(len(getattr(row, k)) > n for k, n in LIMITS.items()):
            row.error = _("Too long: a building has at most 40 characters, unit and room 20.")
        elif door in seen:
            row.error = _("The same door as line %(line)d.") % {"line": seen[door]}
        else:
            seen[door] = line
        plan.rows.append(row)
    return plan


@transaction.atomic
def households_import(enrollment: Enrollment, plan: HouseholdPlan, *, actor, source: str) -> int:
    """Replace the enrollment's households with the plan's valid rows, in delivery
    order; their number becomes the enrollment's households. Audited."""
    enrollment = (
        Enrollment.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=enrollment.pk)
    )
    if enrollment.campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise HouseholdsNotImported(_("Households can only be imported before rating closes."))
    if enrollment.household_codes.exists():
        raise HouseholdsNotImported(
            _(
                "Codes have been issued for this community already: its households can no "
                "longer be replaced. Reissue a lost notice from the household list instead."
            )
        )
    rows = sorted(plan.valid, key=lambda r: delivery_key(r.building, r.unit, r.room))
    if not rows:
        raise HouseholdsNotImported(_("No valid row to import."))
    old = enrollment.households
    enrollment.dwellings.all().delete()
    Household.objects.bulk_create(
        Household(enrollment=enrollment, building=r.building, unit=r.unit, room=r.room, order=n)
        for n, r in enumerate(rows, start=1)
    )
    Enrollment.objects.filter(pk=enrollment.pk).update(households=len(rows))
    audit_record(
        "households_imported",
        actor=actor,
        enrollment=enrollment,
        subject=source[:300],
        old=str(old),
        new=str(len(rows)),
    )
    return len(rows)
