"""The columns of the two imports, and reading a CSV or XLSX file into a Table.

``read_table(data, filename)`` turns the uploaded bytes into a header and rows of
text. CSV may be UTF-8 (with or without BOM), GB18030 (what Excel in China saves
as “CSV”) or UTF-16 (Excel's “Unicode text”); XLSX is read with openpyxl,
read-only, values rather than formulas. The content decides, not the file name.
Anything else raises ImportFileError with a message for the person.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils.translation import gettext as _

from ..models import Community, District, PropertyCompany, Street
from ..validators import make_uscc

COMPANIES = "companies"
COMMUNITIES = "communities"
KINDS = (COMPANIES, COMMUNITIES)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# Read no further than this many spreadsheet lines (empty ones included), and no
# wider than this many columns, whatever the file claims.
MAX_LINES = 100_000
MAX_COLUMNS = 50

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
