"""The one CSV writer of every export (issue 11): results, open data, the audit log.

A cell that a spreadsheet would run as a formula — text starting with "=", "+", "-",
"@", a tab or a carriage return — gets a leading apostrophe, so Excel and WPS show
it as text (OWASP "CSV injection"). Numbers are written as they are.
"""

from __future__ import annotations

import csv
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


class SafeCsvWriter:
    """csv.writer whose every cell goes through spreadsheet_safe()."""

    def __init__(self, out, **kwargs):
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([spreadsheet_safe(cell) for cell in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)
