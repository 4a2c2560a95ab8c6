"""Path converters of the project's URLs.

`<id:pk>`: a database id — digits that fit a signed 64-bit integer. A larger number
is no match (a 404), on every database: SQLite raises OverflowError for a parameter
past 2**63-1 (issue 11: /communities/9223372036854775808/ was a 500 there).
"""

from django.urls.converters import IntConverter

MAX_ID = 2**63 - 1


class IdConverter(IntConverter):
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("out of range for a database id")
        return number
