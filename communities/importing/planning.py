"""Checking an import before anything is written: the plan.

``plan_import(kind, table, enrolment=None)`` validates every row of a Table
against the database and sorts it into created / updated / unchanged / error,
with messages that name the line (as the spreadsheet shows it: the header is
line 1) and the column (as the file spells it). Nothing is written.

A company is matched by its credit code, or by its exact name when the row gives
none; a community by its district and name. An empty cell leaves what is on
record as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Community, District, PropertyCompany, Street
from ..validators import normalize_uscc, validate_uscc
from .enrolment import Enrolment
from .tables import (
    COLUMNS,
    COMMUNITIES,
    COMPANIES,
    EXAMPLE_CREDIT_CODE,
    KINDS,
    REQUIRED,
    Table,
    _column_lookup,
    _header_key,
)

MAX_HOUSEHOLDS = 1_000_000

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"

# --- the plan ------------------------------------------------------------------------


@dataclass
class PlannedRow:
    line: int
    cells: dict[str, str]  # by column key; "" when empty or when the file has no such column
    action: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # column headers whose value changes
    enroll: str = ""  # "new" or "existing" when enrolling into a campaign
    # What validation resolved, for apply_plan:
    target_id: int | None = None
    values: dict = field(default_factory=dict)
    parent_row: PlannedRow | None = field(default=None, repr=False)
    new_street: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportPlan:
    kind: str
    headers: dict[str, str]  # column key → the header as the file spells it
    rows: list[PlannedRow]
    file_errors: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    enrolment: Enrolment | None = None  # the campaign the communities are enrolled into
    source: str = ""  # the uploaded file's name
    applied: bool = False

    def header(self, key: str) -> str:
        if key in self.headers:
            return self.headers[key]
        return next(c.header for c in COLUMNS[self.kind] if c.key == key)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(row.action for row in self.rows)
        return {a: counts.get(a, 0) for a in (CREATED, UPDATED, UNCHANGED, ERROR)}

    @property
    def valid_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.ok]

    @property
    def error_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if not row.ok]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors) or any(not row.ok for row in self.rows)

    def add_error(self, row: PlannedRow, key: str | None, message: str) -> None:
        if key is None:
            text = _("Line %(line)d: %(message)s") % {"line": row.line, "message": message}
        else:
            text = _("Line %(line)d, column “%(column)s”: %(message)s") % {
                "line": row.line,
                "column": self.header(key),
                "message": message,
            }
        row.errors.append(text)
        row.action = ERROR


def plan_import(kind: str, table: Table, *, enrolment: Enrolment | None = None) -> ImportPlan:
    """Validate every row against the database; write nothing. With an `enrolment`,
    each valid community row also says whether it will be newly enrolled."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    lookup = _column_lookup(kind)
    plan = ImportPlan(kind=kind, headers={}, rows=[], enrolment=enrolment)
    positions: dict[str, int] = {}
    for position, header in enumerate(table.headers):
        if not header:
            continue
        key = lookup.get(_header_key(header))
        if key is None:
            plan.ignored_headers.append(header)
        elif key in positions:
            plan.file_errors.append(
                _("The column “%(column)s” appears twice in the header row.") % {"column": header}
            )
        else:
            positions[key] = position
            plan.headers[key] = header
    for group in REQUIRED[kind]:
        if not any(key in positions for key in group):
            names = [plan.header(key) for key in group]
            if len(names) == 1:
                message = _("The header row (line %(line)d) has no column “%(column)s”.") % {
                    "line": table.header_line,
                    "column": names[0],
                }
            else:
                message = _(
                    "The header row (line %(line)d) needs a column “%(first)s” or “%(second)s”."
                ) % {"line": table.header_line, "first": names[0], "second": names[1]}
            plan.file_errors.append(message)
    if kind == COMMUNITIES and enrolment is not None:
        refusal = enrolment.refusal()
        if refusal:
            plan.file_errors.append(refusal)
    if plan.file_errors:
        return plan

    for line, cells in table.rows:
        values = {key: (cells[pos] if pos < len(cells) else "") for key, pos in positions.items()}
        plan.rows.append(PlannedRow(line=line, cells=values))

    if kind == COMPANIES:
        _plan_companies(plan)
    else:
        _plan_communities(plan)
    return plan


def _check_length(plan: ImportPlan, row: PlannedRow, kind: str) -> None:
    for column in COLUMNS[kind]:
        value = row.cells.get(column.key, "")
        if column.max_length and len(value) > column.max_length:
            plan.add_error(
                row,
                column.key,
                _("at most %(max)d characters (this one has %(n)d).")
                % {"max": column.max_length, "n": len(value)},
            )


def _check_uscc(plan: ImportPlan, row: PlannedRow, key: str) -> str:
    """The normalized credit code of the cell, "" when empty or invalid (then an error)."""
    raw = row.cells.get(key, "")
    if not raw:
        return ""
    code = normalize_uscc(raw)
    try:
        validate_uscc(code)
    except ValidationError as error:
        plan.add_error(row, key, error.messages[0])
        return ""
    return code


def _same_as(line: int) -> str:
    return _("the same as on line %(line)d.") % {"line": line}


def _required() -> str:
    return _("required; this cell is empty.")


# --- companies -------------------------------------------------------------------------


def _plan_companies(plan: ImportPlan) -> None:
    on_record = list(PropertyCompany.objects.values("id", "name", "credit_code", "parent_id"))
    by_id = {c["id"]: c for c in on_record}
    by_code = {c["credit_code"].upper(): c for c in on_record if c["credit_code"]}
    by_name = {c["name"]: c for c in on_record}
    lines_by_code: dict[str, PlannedRow] = {}
    lines_by_name: dict[str, PlannedRow] = {}
    lines_by_target: dict[int, PlannedRow] = {}

    for row in plan.rows:
        _check_length(plan, row, COMPANIES)
        name = row.cells.get("name", "")
        code = _check_uscc(plan, row, "credit_code")
        if not name:
            plan.add_error(row, "name", _required())
        if code:
            if code in lines_by_code:
                plan.add_error(row, "credit_code", _same_as(lines_by_code[code].line))
            else:
                lines_by_code[code] = row
        if name:
            if name in lines_by_name:
                plan.add_error(row, "name", _same_as(lines_by_name[name].line))
            else:
                lines_by_name[name] = row

        target = by_code.get(code) if code else None
        named = by_name.get(name) if name else None
        if target is None and named is not None:
            if code and named["credit_code"] and named["credit_code"].upper() != code:
                plan.add_error(
                    row,
                    "credit_code",
                    _("“%(name)s” is on record with the credit code %(code)s.")
                    % {"name": name, "code": named["credit_code"]},
                )
            else:
                target = named
        elif target is not None and named is not None and named["id"] != target["id"]:
            plan.add_error(
                row,
                "name",
                _(
                    "this name belongs to another company on record than the credit code "
                    "%(code)s does."
                )
                % {"code": code},
            )
        if target is not None:
            row.target_id = target["id"]
            if target["id"] in lines_by_target and row.ok:
                plan.add_error(
                    row,
                    None,
                    _("the same company as on line %(line)d.")
                    % {"line": lines_by_target[target["id"]].line},
                )
            lines_by_target.setdefault(target["id"], row)
        row.values = {"name": name, "credit_code": code}

    # Parents: a company on record, or one in this file (before or after the branch).
    for row in plan.rows:
        parent = row.cells.get("parent", "")
        if not parent:
            continue
        code = normalize_uscc(parent)
        parent_row = lines_by_code.get(code) or lines_by_name.get(parent)
        on_file = by_code.get(code) or by_name.get(parent)
        if parent_row is not None:
            row.parent_row = parent_row
            if parent_row is row:
                plan.add_error(row, "parent", _("a company cannot be its own parent."))
        elif on_file is not None:
            row.values["parent_id"] = on_file["id"]
            if on_file["id"] == row.target_id:
                plan.add_error(row, "parent", _("a company cannot be its own parent."))
        else:
            plan.add_error(
                row,
                "parent",
                _("no company “%(name)s” on record or in this file.") % {"name": parent},
            )

    # A branch whose parent row is invalid cannot be imported either.
    changed = True
    while changed:
        changed = False
        for row in plan.rows:
            if row.ok and row.parent_row is not None and not row.parent_row.ok:
                plan.add_error(
                    row,
                    "parent",
                    _("the parent company on line %(line)d has errors.")
                    % {"line": row.parent_row.line},
                )
                changed = True

    # No loops: following parents from a row must not come back to it.
    node_rows = {_node(row): row for row in plan.rows}
    for row in plan.rows:
        if not row.ok or not row.cells.get("parent"):
            continue
        start = _node(row)
        seen = {start}
        node = _parent_node(start, node_rows, by_id)
        while node is not None and node not in seen:
            seen.add(node)
            node = _parent_node(node, node_rows, by_id)
        if node == start:
            plan.add_error(row, "parent", _("this parent would make a loop of companies."))

    for row in plan.rows:
        if not row.ok:
            continue
        if row.target_id is None:
            row.action = CREATED
            continue
        current = by_id[row.target_id]
        if row.values["name"] != current["name"]:
            row.changes.append(plan.header("name"))
        if (
            row.values["credit_code"]
            and row.values["credit_code"] != (current["credit_code"] or "").upper()
        ):
            row.changes.append(plan.header("credit_code"))
        if row.cells.get("parent"):
            if row.parent_row is not None:
                same = (
                    row.parent_row.target_id is not None
                    and row.parent_row.target_id == current["parent_id"]
                )
            else:
                same = row.values.get("parent_id") == current["parent_id"]
            if not same:
                row.changes.append(plan.header("parent"))
        row.action = UPDATED if row.changes else UNCHANGED


def _node(row: PlannedRow) -> tuple[str, int]:
    return ("record", row.target_id) if row.target_id is not None else ("line", row.line)


def _parent_node(node, node_rows, by_id):
    row = node_rows.get(node)
    if row is not None and row.cells.get("parent"):
        if row.parent_row is not None:
            return _node(row.parent_row)
        return ("record", row.values["parent_id"]) if "parent_id" in row.values else None
    if node[0] == "record":
        parent_id = by_id[node[1]]["parent_id"]
        return ("record", parent_id) if parent_id is not None else None
    return None


# --- communities ---------------------------------------------------------------------


def _parse_households(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    if re.fullmatch(r"\d+(\.0+)?", text):
        return int(text.split(".")[0])
    return None


def _plan_communities(plan: ImportPlan) -> None:
    districts = list(District.objects.all())
    district_by_code = {d.code: d for d in districts}
    district_by_name = {d.name: d for d in districts}
    district_by_name.update({d.name_en.casefold(): d for d in districts if d.name_en})
    district_by_id = {d.pk: d for d in districts}
    streets: dict[tuple[int, str], int] = {}
    street_districts: dict[str, set[int]] = {}
    for street in Street.objects.values("id", "district_id", "name"):
        streets[(street["district_id"], street["name"])] = street["id"]
        street_districts.setdefault(street["name"], set()).add(street["district_id"])
    companies = list(PropertyCompany.objects.values("id", "name", "credit_code"))
    company_by_code = {c["credit_code"].upper(): c for c in companies if c["credit_code"]}
    company_by_name = {c["name"]: c for c in companies}

    for row in plan.rows:
        _check_length(plan, row, COMMUNITIES)
        row.values["district"] = _resolve_district(plan, row, district_by_code, district_by_name)

    district_ids = {row.values["district"].pk for row in plan.rows if row.values["district"]}
    on_record = {
        (c["district_id"], c["name"]): c
        for c in Community.objects.filter(district_id__in=district_ids).values(
            "id", "district_id", "name", "street_id", "address", "households", "company_id"
        )
    }
    enrolled: set[int] = set()
    if plan.enrolment is not None:
        enrolled = set(plan.enrolment.enrolled_community_ids())

    lines_by_key: dict[tuple[int, str], PlannedRow] = {}
    for row in plan.rows:
        district = row.values["district"]
        name = row.cells.get("community", "")
        if not name:
            plan.add_error(row, "community", _required())
        elif district is not None:
            key = (district.pk, name)
            if key in lines_by_key:
                plan.add_error(
                    row,
                    "community",
                    _("the same community as on line %(line)d.") % {"line": lines_by_key[key].line},
                )
            else:
                lines_by_key[key] = row

        street = row.cells.get("street", "")
        if street and district is not None:
            street_id = streets.get((district.pk, street))
            if street_id is not None:
                row.values["street_id"] = street_id
            else:
                elsewhere = street_districts.get(street, set()) - {district.pk}
                if elsewhere:
                    plan.add_error(
                        row,
                        "street",
                        _("the street “%(street)s” is in %(other)s, not in %(district)s.")
                        % {
                            "street": street,
                            "other": "、".join(sorted(district_by_id[pk].name for pk in elsewhere)),
                            "district": district.name,
                        },
                    )
                else:
                    row.new_street = True
                    row.notes.append(
                        _("New street “%(street)s” in %(district)s.")
                        % {"street": street, "district": district.name}
                    )
                    # Later rows naming it see it as belonging to this district.
                    street_districts.setdefault(street, set()).add(district.pk)

        households_text = row.cells.get("households", "")
        if not households_text:
            plan.add_error(row, "households", _required())
        else:
            households = _parse_households(households_text)
            if households is None or households <= 0:
                plan.add_error(row, "households", _("must be a positive whole number."))
            elif households > MAX_HOUSEHOLDS:
                plan.add_error(
                    row,
                    "households",
                    _("at most %(max)d households.") % {"max": MAX_HOUSEHOLDS},
                )
            else:
                row.values["households"] = households

        row.values["company_id"] = _resolve_company(plan, row, company_by_code, company_by_name)

        if not row.ok:
            continue
        current = on_record.get((district.pk, name))
        if plan.enrolment is not None:
            row.enroll = "existing" if current and current["id"] in enrolled else "new"
        if current is None:
            row.action = CREATED
            continue
        row.target_id = current["id"]
        if street and (row.new_street or row.values["street_id"] != current["street_id"]):
            row.changes.append(plan.header("street"))
        address = row.cells.get("address", "")
        if address and address != current["address"]:
            row.changes.append(plan.header("address"))
        if row.values["households"] != current["households"]:
            row.changes.append(plan.header("households"))
        if row.values["company_id"] != current["company_id"]:
            row.changes.append(plan.header("company"))
        row.action = UPDATED if row.changes else UNCHANGED


def _resolve_district(plan, row, by_code, by_name) -> District | None:
    code = row.cells.get("district_code", "")
    name = row.cells.get("district", "")
    by_its_code = by_its_name = None
    if code:
        by_its_code = by_code.get(code)
        if by_its_code is None:
            plan.add_error(
                row,
                "district_code",
                _("no district has the division code %(code)s.") % {"code": code},
            )
    if name:
        by_its_name = by_name.get(name) or by_name.get(name.casefold())
        if by_its_name is None:
            plan.add_error(row, "district", _("no district is named “%(name)s”.") % {"name": name})
    if by_its_code and by_its_name and by_its_code != by_its_name:
        plan.add_error(
            row,
            "district",
            _("%(name)s does not have the division code %(code)s.")
            % {"name": by_its_name.name, "code": code},
        )
        return None
    if not code and not name:
        plan.add_error(
            row, "district_code" if "district_code" in plan.headers else "district", _required()
        )
    return by_its_code or by_its_name


def _resolve_company(plan, row, by_code, by_name) -> int | None:
    name = row.cells.get("company", "")
    code = _check_uscc(plan, row, "company_credit_code")
    if row.cells.get("company_credit_code") and not code:
        return None  # the invalid code is already reported
    by_its_code = by_code.get(code) if code else None
    by_its_name = by_name.get(name) if name else None
    if code == EXAMPLE_CREDIT_CODE and by_its_code is None:
        # The template's own example row: say what it is rather than "import the
        # companies first", which reads as a fault of the file.
        plan.add_error(
            row,
            "company_credit_code",
            _(
                "this is the template's example row: its company is the example of the "
                "companies template. Delete the example row, or import the companies "
                "template first."
            ),
        )
        return None
    if code and by_its_code is None:
        plan.add_error(
            row,
            "company_credit_code",
            _("no company with the credit code %(code)s is on record; import the companies first.")
            % {"code": code},
        )
        return None
    if name and not code and by_its_name is None:
        plan.add_error(
            row,
            "company",
            _("no company “%(name)s” is on record; import the companies first.") % {"name": name},
        )
        return None
    if by_its_code and by_its_name and by_its_code["id"] != by_its_name["id"]:
        plan.add_error(
            row,
            "company",
            _("this name and the credit code %(code)s belong to two different companies.")
            % {"code": code},
        )
        return None
    if not name and not code:
        plan.add_error(
            row, "company" if "company" in plan.headers else "company_credit_code", _required()
        )
        return None
    return (by_its_code or by_its_name)["id"]
