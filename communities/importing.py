"""Importing property companies and communities from a spreadsheet (CSV or XLSX).

Three steps, no views here:

1. ``read_table(data, filename)`` turns the uploaded bytes into a header and rows
   of text. CSV may be UTF-8 (with or without BOM), GB18030 (what Excel in China
   saves as “CSV”) or UTF-16 (Excel's “Unicode text”); XLSX is read with
   openpyxl, read-only, values rather than formulas. The content decides, not the
   file name. Anything else raises ImportFileError with a message for the person.
2. ``plan_import(kind, table, campaign=None)`` validates every row against the
   database and sorts it into created / updated / unchanged / error, with
   messages that name the line (as the spreadsheet shows it: the header is
   line 1) and the column (as the file spells it). Nothing is written.
3. ``apply_plan(plan, valid_only=False, actor=None)`` writes in one transaction:
   all or nothing by default; only the valid rows when the person chose so.

Re-importing the same file changes nothing: a company is matched by its credit
code, or by its exact name when the row gives none; a community by its district
and name. An empty cell leaves what is on record as it is.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Community, District, PropertyCompany, Street
from .validators import make_uscc, normalize_uscc, validate_uscc

COMPANIES = "companies"
COMMUNITIES = "communities"
KINDS = (COMPANIES, COMMUNITIES)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Read no further than this many spreadsheet lines (empty ones included), and no
# wider than this many columns, whatever the file claims.
MAX_LINES = 100_000
MAX_COLUMNS = 50
MAX_HOUSEHOLDS = 1_000_000

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
ERROR = "error"

# The first bytes of files people upload by mistake.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: Office before 2007
_ZIP = b"PK\x03\x04"
_BINARY_SIGNATURES = (
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"%PDF",
    b"BM",
    b"RIFF",
    b"\x1f\x8b",  # gzip
    b"Rar!",
    b"7z\xbc\xaf",
)


# Text files do not contain these; binary files decoded as GB18030 do.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A workbook is a zip: refuse one that unpacks to more than this (a “zip bomb”).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024


class ImportFileError(Exception):
    """The file as a whole cannot be imported; str(error) is shown to the person."""


# --- columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template writes it
    aliases: tuple[str, ...]
    example: str
    max_length: int | None = None


EXAMPLE_COMPANY = "武汉示例物业服务有限公司"
EXAMPLE_CREDIT_CODE = make_uscc("91420100MA4K0EX10")

COMPANY_COLUMNS = (
    Column(
        "name",
        "企业名称",
        ("name", "company", "company_name", "名称", "物业服务企业", "企业"),
        EXAMPLE_COMPANY,
        PropertyCompany._meta.get_field("name").max_length,
    ),
    Column(
        "credit_code",
        "统一社会信用代码",
        ("credit_code", "uscc", "信用代码", "社会信用代码"),
        EXAMPLE_CREDIT_CODE,
    ),
    Column(
        "parent",
        "上级公司",
        ("parent", "parent_company", "上级企业", "总公司"),
        "",
        PropertyCompany._meta.get_field("name").max_length,
    ),
)

COMMUNITY_COLUMNS = (
    Column(
        "district_code",
        "区划代码",
        ("district_code", "division_code", "行政区划代码", "区代码"),
        "420104",
    ),
    Column(
        "district",
        "区",
        ("district", "区名", "所在区", "行政区"),
        "硚口区",
        District._meta.get_field("name").max_length,
    ),
    Column(
        "street",
        "街道",
        ("street", "街道名称", "所在街道", "街道办事处"),
        "古田街道",
        Street._meta.get_field("name").max_length,
    ),
    Column(
        "community",
        "小区名称",
        ("community", "community_name", "name", "小区"),
        "示例小区",
        Community._meta.get_field("name").max_length,
    ),
    Column(
        "address",
        "地址",
        ("address", "小区地址"),
        "硚口区古田二路1号",
        Community._meta.get_field("address").max_length,
    ),
    Column("households", "户数", ("households", "住户数", "总户数"), "1200"),
    Column(
        "company",
        "物业服务企业",
        ("company", "company_name", "物业公司", "物业服务企业名称", "企业名称"),
        EXAMPLE_COMPANY,
        PropertyCompany._meta.get_field("name").max_length,
    ),
    Column(
        "company_credit_code",
        "统一社会信用代码",
        ("credit_code", "company_credit_code", "uscc", "信用代码", "社会信用代码"),
        EXAMPLE_CREDIT_CODE,
    ),
)

COLUMNS = {COMPANIES: COMPANY_COLUMNS, COMMUNITIES: COMMUNITY_COLUMNS}

# Each group needs at least one of its columns in the header row.
REQUIRED = {
    COMPANIES: (("name",),),
    COMMUNITIES: (
        ("district_code", "district"),
        ("community",),
        ("households",),
        ("company", "company_credit_code"),
    ),
}


def _header_key(text: str) -> str:
    """How headers are compared: without notes in brackets, required-markers,
    spaces, underscores or hyphens, and case-insensitively."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)
    return re.sub(r"[\s_\-*＊:：]", "", text).lower()


def _column_lookup(kind: str) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS[kind]:
        for name in (column.header, column.key, *column.aliases):
            lookup.setdefault(_header_key(name), column.key)
    return lookup


# --- reading a file ------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]  # as the file spells them
    rows: list[tuple[int, list[str]]]  # (line as the spreadsheet numbers it, cells)
    header_line: int = 1


def read_table(data: bytes, filename: str = "") -> Table:
    """The header row and the non-empty rows of a CSV or XLSX file, as text."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(max)d MB: split it into several files.")
            % {"max": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(_ZIP):
        return _table(_xlsx_lines(data))
    if data.startswith(_OLE2):
        raise ImportFileError(
            _(
                "This is an old-style Excel file (.xls). Save it as “Excel workbook (.xlsx)” "
                "or as “CSV UTF-8” and upload it again."
            )
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(
            _("This file is damaged or is not an Excel workbook (.xlsx): it cannot be read.")
        )
    if data.startswith(_BINARY_SIGNATURES):
        raise ImportFileError(_("This is not a CSV or XLSX file. Upload the filled-in template."))
    return _table(_csv_lines(_decode(data)))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            text = None
    elif b"\x00" in data:
        text = None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise ImportFileError(
                    _(
                        "The file's text is neither UTF-8 nor GB18030. Save it as “CSV UTF-8” "
                        "and upload it again."
                    )
                ) from None
    if text is None or _CONTROL_CHARACTERS.search(text):
        raise ImportFileError(_("This is not a CSV or XLSX file. Upload the filled-in template."))
    return text


def _csv_lines(text: str):
    first_line = text.split("\n", 1)[0]
    # Excel writes commas; its “Unicode text” and some tools write tabs or semicolons.
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            yield line, cells[:MAX_COLUMNS]
    except csv.Error:
        raise ImportFileError(
            _("The CSV file cannot be read after line %(line)d.") % {"line": line}
        ) from None


def _xlsx_lines(data: bytes):
    import openpyxl

    unreadable = _("This file is damaged or is not an Excel workbook (.xlsx): it cannot be read.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(unreadable) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _("The workbook is too large once unpacked: split it into several files.")
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (zip, XML, key, value) on bad files
        raise ImportFileError(unreadable) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(unreadable)
        sheet = workbook.worksheets[0]
        try:
            rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
            for line, values in enumerate(rows, start=1):
                yield line, [_cell_text(v) for v in values]
        except ImportFileError:
            raise
        except Exception:  # a damaged sheet fails while it is read, not when opened
            raise ImportFileError(unreadable) from None
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _table(lines) -> Table:
    headers: list[str] | None = None
    header_line = 1
    rows: list[tuple[int, list[str]]] = []
    for line, raw in lines:
        if line > MAX_LINES:
            raise ImportFileError(
                _("The file has more than %(max)d rows: split it into several files.")
                % {"max": MAX_ROWS}
            )
        cells = [_clean(c) for c in raw]
        if not any(cells):
            continue
        if headers is None:
            headers, header_line = cells, line
            continue
        rows.append((line, cells))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)d rows: split it into several files.")
                % {"max": MAX_ROWS}
            )
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header row but no rows of data."))
    return Table(headers, rows, header_line)


def _clean(text: str) -> str:
    # Spreadsheets keep stray spaces, non-breaking and full-width ones included.
    return str(text).replace("\ufeff", "").replace("\xa0", " ").strip()


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
    campaign: object | None = None
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


def plan_import(kind: str, table: Table, *, campaign=None) -> ImportPlan:
    """Validate every row against the database; write nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    lookup = _column_lookup(kind)
    plan = ImportPlan(kind=kind, headers={}, rows=[], campaign=campaign)
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
    if kind == COMMUNITIES and campaign is not None:
        from evaluations.models import Campaign

        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
            plan.file_errors.append(_("Communities can only be enrolled before a campaign closes."))
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
    if plan.campaign is not None:
        enrolled = set(plan.campaign.enrollments.values_list("community_id", flat=True))

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
        if plan.campaign is not None:
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


# --- applying ------------------------------------------------------------------------


class _Abort(Exception):
    """Roll the whole import back (all-or-nothing mode and a row failed)."""


def apply_plan(plan: ImportPlan, *, valid_only: bool = False, actor=None) -> ImportPlan:
    """Write the plan in one transaction; plan.applied says whether anything was.

    All or nothing unless `valid_only`: a single invalid row, or a row refused while
    writing (an enrollment the rules do not allow), and nothing is written.
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
                _apply_communities(plan, valid_only, actor)
            if not plan.valid_rows:
                raise _Abort
            _audit(plan, actor)
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


def _apply_communities(plan: ImportPlan, valid_only: bool, actor) -> None:
    from evaluations.campaigns import enrollment_create
    from evaluations.errors import DomainError

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
                if plan.campaign is not None and row.enroll == "new":
                    enrollment = enrollment_create(plan.campaign, community)
                    _audit_enrollment(enrollment, actor)
        except DomainError as error:
            _row_failed(plan, row, str(error), valid_only)
        except IntegrityError:
            _row_failed(plan, row, _concurrent_change(), valid_only)


def _audit(plan: ImportPlan, actor) -> None:
    from evaluations.models import AuditEntry

    counts = plan.counts
    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
        action=f"import_{plan.kind}",
        campaign=plan.campaign,
        subject=f"{plan.kind}: {plan.source}"[:300],
        new_value=(
            f"created {counts[CREATED]}, updated {counts[UPDATED]}, "
            f"unchanged {counts[UNCHANGED]}, skipped {counts[ERROR]}"
        ),
    )


def _audit_enrollment(enrollment, actor) -> None:
    from evaluations.models import AuditEntry

    AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=actor.get_username() if getattr(actor, "is_authenticated", False) else "",
        action="enrollment_created",
        campaign=enrollment.campaign,
        enrollment=enrollment,
        subject=str(enrollment)[:300],
        new_value=enrollment.company.name[:300],
    )


# --- one call for the views ----------------------------------------------------------


def import_file(
    kind: str,
    data: bytes,
    filename: str = "",
    *,
    campaign=None,
    apply: bool = False,
    valid_only: bool = False,
    actor=None,
) -> ImportPlan:
    """Read, validate and (when `apply`) write. A file that cannot be read gives a plan
    with file_errors, never an exception."""
    try:
        table = read_table(data, filename)
    except ImportFileError as error:
        return ImportPlan(kind=kind, headers={}, rows=[], file_errors=[str(error)], source=filename)
    plan = plan_import(kind, table, campaign=campaign)
    plan.source = filename
    if apply:
        apply_plan(plan, valid_only=valid_only, actor=actor)
    return plan


# --- templates -----------------------------------------------------------------------


def template_rows(kind: str) -> list[list[str]]:
    columns = COLUMNS[kind]
    return [[c.header for c in columns], [c.example for c in columns]]


def template_csv(kind: str) -> bytes:
    """The template as CSV, UTF-8 with a BOM so that Excel shows the Chinese right."""
    out = io.StringIO()
    csv.writer(out).writerows(template_rows(kind))
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "小区" if kind == COMMUNITIES else "物业服务企业"
    header, example = template_rows(kind)
    sheet.append(header)
    sheet.append(example)
    for index, column in enumerate(COLUMNS[kind], start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F4E3E1")
        sheet.column_dimensions[letter].width = max(12, min(40, 2 * len(column.example) + 4))
        if column.key != "households":
            # Text, so that Excel keeps codes as typed (no 4.2E+05, no lost digits).
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    households = next(
        (i for i, c in enumerate(COLUMNS[kind], start=1) if c.key == "households"), None
    )
    if households:
        sheet.cell(row=2, column=households).value = int(example[households - 1])
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(_("Instructions"))
    for line in instructions(kind):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def instructions(kind: str) -> list[str]:
    """What the template's second sheet tells the person."""
    return [*kind_instructions(kind), *common_instructions()]


def kind_instructions(kind: str) -> list[str]:
    required = "、".join(
        "/".join(next(c.header for c in COLUMNS[kind] if c.key == key) for key in group)
        for group in REQUIRED[kind]
    )
    lines = [_("Required columns: %(columns)s.") % {"columns": required}]
    if kind == COMPANIES:
        lines.append(
            _(
                "A company is matched by its credit code, or by its exact name when the row "
                "gives no code. A branch names its parent company (name or credit code)."
            )
        )
    else:
        lines.append(
            _(
                "A community is matched by its district and its name. Its property company "
                "must be on record already: import the companies first."
            )
        )
    return lines


def common_instructions() -> list[str]:
    return [
        _("Line 1 is the header row: keep the column names. Line 2 is an example: replace it."),
        _("An empty cell leaves what is on record unchanged."),
        _("Save as .xlsx or as CSV (UTF-8 or GB18030); at most %(rows)d rows and %(mb)d MB.")
        % {"rows": MAX_ROWS, "mb": MAX_BYTES // (1024 * 1024)},
    ]
