"""Writing a checked import, and the one call the views make.

``apply_plan(plan, valid_only=False, on_applied=None)`` writes in one
transaction: all or nothing by default; only the valid rows when the person chose
so. Communities are enrolled through the plan's Enrolment (the campaign side,
which audits each enrollment); `on_applied(plan)` runs inside the same
transaction once the rows are written, for the caller's audit entry.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Community, PropertyCompany, Street
from .enrolment import EnrollmentRowRefused, Enrolment
from .planning import COMPANIES, UNCHANGED, ImportPlan, PlannedRow, plan_import
from .tables import ImportFileError, read_table


class _Abort(Exception):
    """Roll the whole import back (all-or-nothing mode and a row failed)."""


OnApplied = Callable[[ImportPlan], object]


def apply_plan(
    plan: ImportPlan, *, valid_only: bool = False, on_applied: OnApplied | None = None
) -> ImportPlan:
    """Write the plan in one transaction; plan.applied says whether anything was.

    All or nothing unless `valid_only`: a single invalid row, or a row refused while
    writing (an enrollment the rules do not allow), and nothing is written.
    `on_applied(plan)` runs last inside the transaction, only when rows were written;
    if it raises, nothing is written.
    """
    if plan.file_errors or not plan.valid_rows:
        return plan
    if plan.has_errors and not valid_only:
        return plan
    try:
        with transaction.atomic():
            if plan.kind == COMPANIES:
                _apply_companies(plan, valid_only)
            else:
                _apply_communities(plan, valid_only)
            if not plan.valid_rows:
                raise _Abort
            if on_applied is not None:
                on_applied(plan)
    except _Abort:
        return plan
    plan.applied = True
    return plan


def _row_failed(plan: ImportPlan, row: PlannedRow, message: str, valid_only: bool) -> None:
    plan.add_error(row, None, message)
    if not valid_only:
        raise _Abort


def _concurrent_change() -> str:
    return _("someone changed the same record meanwhile; upload the file again.")


def _apply_companies(plan: ImportPlan, valid_only: bool) -> None:
    saved: dict[int, PropertyCompany] = {}
    targets = PropertyCompany.objects.in_bulk([r.target_id for r in plan.valid_rows if r.target_id])
    for row in plan.valid_rows:
        if row.action == UNCHANGED:
            saved[row.line] = targets[row.target_id]
            continue
        company = targets.get(row.target_id) or PropertyCompany()
        company.name = row.values["name"]
        if row.values["credit_code"]:
            company.credit_code = row.values["credit_code"]
        if "parent_id" in row.values:
            company.parent_id = row.values["parent_id"]
        try:
            with transaction.atomic():
                company.save()
        except IntegrityError:
            _row_failed(plan, row, _concurrent_change(), valid_only)
            continue
        saved[row.line] = company
    # Parents named by rows of this file, now that every row has its id.
    for row in plan.rows:
        if not row.ok or row.parent_row is None:
            continue
        parent = saved.get(row.parent_row.line)
        if parent is None:
            _row_failed(
                plan,
                row,
                _("the parent company on line %(line)d has errors.")
                % {"line": row.parent_row.line},
                valid_only,
            )
            continue
        company = saved[row.line]
        if company.parent_id != parent.pk:
            company.parent_id = parent.pk
            company.save(update_fields=["parent"])


def _apply_communities(plan: ImportPlan, valid_only: bool) -> None:
    targets = Community.objects.in_bulk([r.target_id for r in plan.valid_rows if r.target_id])
    new_streets: dict[tuple[int, str], Street] = {}
    for row in plan.valid_rows:
        district = row.values["district"]
        try:
            with transaction.atomic():
                community = targets.get(row.target_id) or Community(
                    district=district, name=row.cells["community"]
                )
                if row.new_street:
                    key = (district.pk, row.cells["street"])
                    if key not in new_streets:
                        new_streets[key], _created = Street.objects.get_or_create(
                            district=district, name=row.cells["street"]
                        )
                    community.street = new_streets[key]
                elif "street_id" in row.values:
                    community.street_id = row.values["street_id"]
                if row.cells.get("address"):
                    community.address = row.cells["address"]
                community.households = row.values["households"]
                community.company_id = row.values["company_id"]
                if row.action != UNCHANGED:
                    community.save()
                if plan.enrolment is not None and row.enroll == "new":
                    plan.enrolment.enroll(community)
        except EnrollmentRowRefused as error:
            _row_failed(plan, row, str(error), valid_only)
        except IntegrityError:
            _row_failed(plan, row, _concurrent_change(), valid_only)


# --- one call for the views ----------------------------------------------------------


def import_file(
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    enrolment: Enrolment | None = None,
    apply: bool = False,
    valid_only: bool = False,
    on_applied: OnApplied | None = None,
) -> ImportPlan:
    """Read, validate and (when `apply`) write. A file that cannot be read gives a plan
    with file_errors, never an exception."""
    try:
        table = read_table(data, filename)
    except ImportFileError as error:
        return ImportPlan(kind=kind, headers={}, rows=[], file_errors=[str(error)], source=filename)
    plan = plan_import(kind, table, enrolment=enrolment)
    plan.source = filename
    if apply:
        apply_plan(plan, valid_only=valid_only, on_applied=on_applied)
    return plan
