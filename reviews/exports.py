"""A campaign's results for staff, per district, as CSV and XLSX (issue 3, item 5).

One row per enrollment, counted by SQL aggregates (Enrollment.objects.with_tally)
and judged by the same rules as the review pages (tally.TallyRow), rates rounded
down to one decimal so that 89.96% never shows as 90.0%. The column headers are
a fixed Chinese format, like the import templates: spreadsheets and scripts
downstream rely on them whatever the language of the person exporting.

Rates are nobody's business while residents can still rate: for a campaign in
draft or open, every function here raises tally.RatesNotAvailable.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Case, Min, QuerySet, When
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from communities.models import District
from evaluations.csv_export import FORMULA_START as _FORMULA_START
from evaluations.csv_export import SafeCsvWriter
from evaluations.models import Campaign, Enrollment, ReviewStatus
from evaluations.tally import RatesNotAvailable, TallyRow, campaign_tally, percent_floor

from .models import Publication, PublicationEntry

HEADERS = [
    "区",
    "区划代码",
    "街道",
    "小区",
    "物业服务企业",
    "户数",
    "评议数",
    "满意数",
    "满意率(%)",
    "参评率(%)",
    "是否达标",
    "未达标原因",
    "审核状态",
    "名单状态",
    "名单版本",
]
SUMMARY_HEADERS = [
    "区",
    "区划代码",
    "参评小区数",
    "户数",
    "评议数",
    "满意数",
    "满意率(%)",
    "参评率(%)",
    "达标小区数",
]
SUMMARY_TOTAL = "合计"
SUMMARY_SHEET = "汇总"
_RATE_COLUMNS = {"满意率(%)", "参评率(%)"}
# A spreadsheet runs a cell starting with these as a formula (CSV injection).


@dataclass(frozen=True)
class ResultRow:
    district_code: str
    district_name: str
    street: str
    community: str
    company: str
    tally: TallyRow
    review_status: str
    list_status: str = ""
    list_revision: str = ""

    @property
    def eligible(self) -> bool:
        return self.tally.eligible

    def cells(self) -> list:
        """The row under HEADERS; rates as text with one decimal, rounded down."""
        tally = self.tally
        rate = tally.rate_percent
        reasons = tally.reasons  # computed once: `eligible` is "no reasons"
        return [
            self.district_name,
            self.district_code,
            self.street,
            self.community,
            self.company,
            tally.households,
            tally.responses,
            tally.satisfied,
            "" if rate is None else str(rate),
            str(tally.coverage_percent),
            _("No") if reasons else _("Yes"),
            "；".join(reasons),
            self.review_status,
            self.list_status,
            self.list_revision,
        ]


def campaign_results_rows(
    campaign: Campaign, districts: QuerySet[District] | Iterable[District] | None = None
) -> list[ResultRow]:
    """One row per enrollment of the campaign, in the given districts (None: all)."""
    return list(iter_results_rows(campaign, districts))


def iter_results_rows(
    campaign: Campaign, districts: QuerySet[District] | Iterable[District] | None = None
) -> Iterator[ResultRow]:
    """campaign_results_rows one at a time, the enrollments read in chunks. Refused
    (RatesNotAvailable) at the call, before any row, while rates are not visible.

    The counts are campaign_tally's: the minimal GROUP BY over the counted ratings,
    served by an index-only scan (about 0.1 s for a million ratings); the enrollments
    LEFT JOINed to their ratings (Enrollment.objects.with_tally) took 8 s on the
    benchmark city (docs/benchmarks.md)."""
    if not campaign.rates_visible:
        raise RatesNotAvailable(campaign.rates_refusal())
    enrollments = (
        Enrollment.objects.filter(campaign=campaign)
        .select_related("community__district", "community__street", "company")
        .order_by("community__district__code", "community__name", "pk")
    )
    if districts is not None:
        enrollments = enrollments.filter(community__district__in=districts)
    return _results_rows(campaign, enrollments)


def _results_rows(campaign: Campaign, enrollments) -> Iterator[ResultRow]:
    tally = campaign_tally(campaign)
    on_list = list_status_by_enrollment(campaign)
    published = bool(on_list)  # a list is never published empty
    review_labels = {value: str(label) for value, label in ReviewStatus.choices}
    # Plain tuples, not five model instances a row: a city's 10,000 rows in well under
    # a second of Python.
    for (
        pk,
        status,
        district_code,
        district_name,
        street,
        community,
        company,
    ) in enrollments.values_list(
        "pk",
        "review_status",
        "community__district__code",
        "community__district__name",
        "community__street__name",
        "community__name",
        "company__name",
    ).iterator(chunk_size=2000):
        list_status, list_revision = on_list.get(pk) or _off_list(status, published=published)
        yield ResultRow(
            district_code=district_code,
            district_name=district_name,
            street=street or "",
            community=community,
            company=company,
            tally=tally[pk],
            review_status=review_labels.get(status, status),
            list_status=list_status,
            list_revision=list_revision,
        )


def list_status_by_enrollment(campaign: Campaign) -> dict[int, tuple[str, str]]:
    """Where each enrollment stands on the campaign's latest published list (the final
    list's latest revision, else the preliminary list): (status, revision) for those
    on it — listed, or withdrawn with the date and the reason. The review status
    alone would still say 市审核通过 after a withdrawal."""
    latest = (
        Publication.objects.filter(campaign=campaign)
        .order_by(
            Case(When(kind=Publication.Kind.FINAL, then=0), default=1),
            "-revision",
        )
        .first()
    )
    if latest is None:
        return {}
    withdrawn_at = dict(
        PublicationEntry.objects.filter(
            publication__campaign=campaign,
            publication__kind=Publication.Kind.FINAL,
            status=PublicationEntry.Status.WITHDRAWN,
        )
        .values("enrollment_id")
        .annotate(first=Min("publication__published_at"))
        .values_list("enrollment_id", "first")
    )
    revision = _("%(list)s, revision %(n)d") % {
        "list": latest.get_kind_display(),
        "n": latest.revision,
    }
    statuses = {}
    for enrollment_id, status, reason in latest.entries.values_list(
        "enrollment_id", "status", "withdrawal_reason"
    ):
        if status == PublicationEntry.Status.WITHDRAWN:
            when = withdrawn_at.get(enrollment_id)
            text = _("Withdrawn %(date)s: %(reason)s") % {
                "date": localtime(when).strftime("%Y-%m-%d") if when else "",
                "reason": reason,
            }
        else:
            text = _("On the list")
        statuses[enrollment_id] = (text, revision)
    return statuses


def _off_list(review_status: str, *, published: bool) -> tuple[str, str]:
    if review_status == ReviewStatus.DROPPED:
        return _("Not listed: objection upheld"), ""
    if review_status == ReviewStatus.REJECTED:
        return _("Not recommended"), ""
    return (_("Not listed") if published else ""), ""


def _safe_text(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def results_csv(
    campaign: Campaign, districts: QuerySet[District] | Iterable[District] | None = None
) -> bytes:
    """Every row in one file, UTF-8 with a BOM so that Excel reads the Chinese right."""
    return b"".join(results_csv_stream(campaign, districts))


CSV_CHUNK_ROWS = 500


def results_csv_stream(
    campaign: Campaign, districts: QuerySet[District] | Iterable[District] | None = None
) -> Iterator[bytes]:
    """results_csv in pieces, for a streamed download: the BOM and the header row
    first — before any query — then the rows, CSV_CHUNK_ROWS at a time. Refused
    (RatesNotAvailable) at the call, before the first piece."""
    rows = iter_results_rows(campaign, districts)
    return _csv_pieces(rows)


def _csv_pieces(rows: Iterator[ResultRow]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(HEADERS)
    yield "\ufeff".encode() + out.getvalue().encode()
    out.seek(0)
    out.truncate()
    for n, row in enumerate(rows, start=1):
        writer.writerow(row.cells())
        if n % CSV_CHUNK_ROWS == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    if out.tell():
        yield out.getvalue().encode()


@dataclass
class _DistrictTotal:
    code: str
    name: str
    enrollments: int = 0
    households: int = 0
    responses: int = 0
    satisfied: int = 0
    eligible: int = 0

    def add(self, row: ResultRow) -> None:
        self.enrollments += 1
        self.households += row.tally.households
        self.responses += row.tally.responses
        self.satisfied += row.tally.satisfied
        self.eligible += row.eligible

    def cells(self) -> list:
        rate = percent_floor(Fraction(self.satisfied, self.responses)) if self.responses else None
        coverage = (
            percent_floor(Fraction(self.responses, self.households)) if self.households else None
        )
        return [
            self.name,
            self.code,
            self.enrollments,
            self.households,
            self.responses,
            self.satisfied,
            "" if rate is None else str(rate),
            "" if coverage is None else str(coverage),
            self.eligible,
        ]


def results_xlsx(
    campaign: Campaign, districts: QuerySet[District] | Iterable[District] | None = None
) -> bytes:
    """A summary sheet, then one sheet per district; frozen headers, sized columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    rows = campaign_results_rows(campaign, districts)
    by_district: dict[str, list[ResultRow]] = {}
    totals: dict[str, _DistrictTotal] = {}
    grand = _DistrictTotal(code="", name=SUMMARY_TOTAL)
    for row in rows:
        by_district.setdefault(row.district_code, []).append(row)
        totals.setdefault(row.district_code, _DistrictTotal(row.district_code, row.district_name))
        totals[row.district_code].add(row)
        grand.add(row)

    workbook = Workbook()
    workbook.properties.title = campaign.name
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    _write_sheet(
        summary,
        SUMMARY_HEADERS,
        [t.cells() for t in totals.values()] + ([grand.cells()] if totals else []),
    )
    if totals:
        for cell in summary[summary.max_row]:
            cell.font = Font(bold=True)
    used_titles = {SUMMARY_SHEET}
    for code, district_rows in by_district.items():
        title = _sheet_title(totals[code].name or code, used_titles)
        _write_sheet(workbook.create_sheet(title), HEADERS, [r.cells() for r in district_rows])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(name: str, used: set[str]) -> str:
    title = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = title, 2
    while candidate in used:
        suffix = f" ({n})"
        candidate, n = title[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def _write_sheet(sheet, headers: list[str], rows: list[list]) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F4E3E1")
    widths = [_display_width(h) for h in headers]
    # The line counted here: sheet.max_row scans every cell written so far (quadratic:
    # 4 of the 15 s of a city's 10,000 rows, issue 12).
    for line, values in enumerate(rows, start=2):
        for index, (header, value) in enumerate(zip(headers, values, strict=True), start=1):
            cell = sheet.cell(row=line, column=index)
            if header in _RATE_COLUMNS and value != "":
                cell.value = Decimal(value)
                cell.number_format = "0.0"
            elif isinstance(value, str):
                cell.value = value
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell.value = value
            widths[index - 1] = max(widths[index - 1], _display_width(str(value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions


def _display_width(text: str) -> int:
    # Chinese characters take two columns in a spreadsheet's default font.
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
