"""Importing property companies and communities from a spreadsheet (CSV or XLSX).

Three steps, no views here:

1. ``read_table(data, filename)`` (tables) turns the uploaded bytes into a header
   and rows of text, or raises ImportFileError with a message for the person.
2. ``plan_import(kind, table, enrolment=None)`` (planning) validates every row
   against the database and sorts it into created / updated / unchanged / error.
   Nothing is written.
3. ``apply_plan(plan, valid_only=False, on_applied=None)`` (applying) writes in one
   transaction: all or nothing by default; only the valid rows when the person
   chose so.

``import_file`` does the three for the views; ``templates`` gives the files to
fill in. Re-importing the same file changes nothing.

Communities import no other app: enrolling the imported communities into a
campaign comes in as an Enrolment (enrolment; evaluations.campaigns implements
it), and the audit entry of an import as the `on_applied` callback.
"""

from .applying import OnApplied, apply_plan, import_file
from .enrolment import EnrollmentRowRefused, Enrolment
from .planning import (
    CREATED,
    ERROR,
    MAX_HOUSEHOLDS,
    UNCHANGED,
    UPDATED,
    ImportPlan,
    PlannedRow,
    plan_import,
)
from .tables import (
    COLUMNS,
    COMMUNITIES,
    COMMUNITY_COLUMNS,
    COMPANIES,
    COMPANY_COLUMNS,
    EXAMPLE_COMPANY,
    EXAMPLE_CREDIT_CODE,
    KINDS,
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_LINES,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    REQUIRED,
    Column,
    ImportFileError,
    Table,
    read_table,
)
from .templates import (
    common_instructions,
    instructions,
    kind_instructions,
    template_csv,
    template_rows,
    template_xlsx,
)

__all__ = [
    "COLUMNS",
    "COMMUNITIES",
    "COMMUNITY_COLUMNS",
    "COMPANIES",
    "COMPANY_COLUMNS",
    "CREATED",
    "ERROR",
    "EXAMPLE_COMPANY",
    "EXAMPLE_CREDIT_CODE",
    "KINDS",
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_HOUSEHOLDS",
    "MAX_LINES",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "REQUIRED",
    "UNCHANGED",
    "UPDATED",
    "Column",
    "Enrolment",
    "EnrollmentRowRefused",
    "ImportFileError",
    "ImportPlan",
    "OnApplied",
    "PlannedRow",
    "Table",
    "apply_plan",
    "common_instructions",
    "import_file",
    "instructions",
    "kind_instructions",
    "plan_import",
    "read_table",
    "template_csv",
    "template_rows",
    "template_xlsx",
]
