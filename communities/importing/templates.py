"""The templates people download and fill in (XLSX or CSV), and what they say.

The header row spells the columns as tables.COLUMNS does; the example row imports
cleanly once its company is on record (the companies template gives it).
"""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from . import tables
from .tables import COLUMNS, COMMUNITIES, COMPANIES, REQUIRED


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
        % {"rows": tables.MAX_ROWS, "mb": tables.MAX_BYTES // (1024 * 1024)},
    ]
