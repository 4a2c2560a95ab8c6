"""Importing companies and communities from a spreadsheet (issue 3, item 4).

The city bureau uploads a CSV or XLSX file, sees a dry run row by row, and
confirms. Every bad row names its line (the header is line 1) and its column;
nothing is written while any row is invalid unless the officer chooses to import
only the valid rows; importing the same file again changes nothing.

Messages are asserted in English (the msgids); the pages are Chinese by default.
"""

import ast
import csv
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from PIL import Image

from accounts.models import StaffProfile
from accounts.roles import role_group
from communities import importing
from communities.models import Community, PropertyCompany, Street
from communities.validators import make_uscc
from evaluations.campaigns import CampaignEnrolment, enrollment_create, import_audit
from evaluations.models import AuditEntry, Campaign, Enrollment
from tests.conftest import make_campaign

pytestmark = pytest.mark.django_db

COMMUNITY_HEADER = ["区划代码", "区", "街道", "小区名称", "地址", "户数", "物业服务企业"]
COMPANY_HEADER = ["企业名称", "统一社会信用代码", "上级公司"]
HUIZHIMEI = "武汉惠之美物业服务有限公司"
HUIZHIMEI_CODE = make_uscc("91420104MA4K00001")
ZHONGDIAN = "中电建物业管理有限公司"
ZHONGDIAN_CODE = make_uscc("91110000MA00AAA01")
ZHONGDIAN_WUHAN = "中电建物业管理有限公司武汉分公司"
ZHONGDIAN_WUHAN_CODE = make_uscc("91420100MA4K00002")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --- personas and places -------------------------------------------------------------


def _staff(username, role, districts=()):
    user = get_user_model().objects.create_user(username, password="a-long-test-password-1")
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.districts.set(districts)
    user.groups.add(role_group(role))
    return user


@pytest.fixture
def city(db):
    """An officer of the city bureau (市房管局)."""
    return _staff("city-importer", StaffProfile.Role.CITY)


@pytest.fixture
def qiaokou_staff(qiaokou):
    """A district reviewer for 硚口区: may not import."""
    return _staff("qiaokou-importer", StaffProfile.Role.DISTRICT, [qiaokou])


@pytest.fixture
def places(qiaokou, jiangan, company):
    """Qiaokou with one street, Jiang'an, and one company on record (惠之美)."""
    Street.objects.create(district=qiaokou, name="古田街道")
    return {"qiaokou": qiaokou, "jiangan": jiangan, "company": company}


@pytest.fixture
def city_client(client, city):
    client.force_login(city)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- building files ------------------------------------------------------------------


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def good_community_rows():
    return [
        COMMUNITY_HEADER,
        ["420104", "硚口区", "古田街道", "汉口春天", "古田二路1号", "1200", HUIZHIMEI],
        ["420104", "硚口区", "宗关街道", "宗关小区", "", "300", HUIZHIMEI],
        ["420102", "江岸区", "", "江岸花园", "", "800", HUIZHIMEI],
    ]


def run(kind, data, *, filename="file.csv", apply=False, campaign=None, actor=None, **kwargs):
    """Import as the console does: the campaign side and the audit entry come from
    evaluations (communities know neither)."""
    return importing.import_file(
        kind,
        data,
        filename,
        apply=apply,
        enrolment=CampaignEnrolment(campaign, actor) if campaign is not None else None,
        on_applied=lambda plan: import_audit(plan, actor=actor, campaign=campaign),
        **kwargs,
    )


def all_errors(plan):
    return plan.file_errors + [e for row in plan.rows for e in row.errors]


# --- good files ----------------------------------------------------------------------


def test_a_good_csv_of_communities_is_imported(places):
    plan = run("communities", csv_bytes(good_community_rows()), apply=True)

    assert all_errors(plan) == []
    assert plan.applied
    assert [(r.line, r.action) for r in plan.rows] == [
        (2, "created"),
        (3, "created"),
        (4, "created"),
    ]
    chuntian = Community.objects.get(name="汉口春天")
    assert (chuntian.district.code, chuntian.street.name) == ("420104", "古田街道")
    assert (chuntian.address, chuntian.households) == ("古田二路1号", 1200)
    assert chuntian.company == places["company"]
    # A street not on record is created in the row's district.
    zongguan = Community.objects.get(name="宗关小区")
    assert zongguan.street.district == places["qiaokou"]
    assert Street.objects.filter(name="宗关街道").count() == 1
    assert Community.objects.get(name="江岸花园").street is None
    entry = AuditEntry.objects.get(action="import_communities")
    assert (entry.subject, entry.new_value) == (
        "communities: file.csv",
        "created 3, updated 0, unchanged 0, skipped 0",
    )


def test_a_good_xlsx_is_imported_with_numbers_typed_as_numbers(places):
    rows = [
        ["区划代码", "小区名称", "户数", "统一社会信用代码"],
        [420104, "汉口春天", 1200, HUIZHIMEI_CODE],  # Excel keeps codes and counts as numbers
        [420102, "江岸花园", 800.0, HUIZHIMEI_CODE.lower()],
    ]
    plan = run("communities", xlsx_bytes(rows), filename="小区.xlsx", apply=True)

    assert all_errors(plan) == []
    assert sorted(Community.objects.values_list("district__code", "name", "households")) == [
        ("420102", "江岸花园", 800),
        ("420104", "汉口春天", 1200),
    ]
    assert {c.company_id for c in Community.objects.all()} == {places["company"].pk}


def test_a_good_xlsx_of_companies_with_a_branch_before_its_parent(db):
    rows = [
        COMPANY_HEADER,
        [ZHONGDIAN_WUHAN, ZHONGDIAN_WUHAN_CODE, ZHONGDIAN],
        [ZHONGDIAN, ZHONGDIAN_CODE, None],
        [HUIZHIMEI, None, None],
    ]
    plan = run("companies", xlsx_bytes(rows), filename="企业.xlsx", apply=True)

    assert all_errors(plan) == []
    branch = PropertyCompany.objects.get(name=ZHONGDIAN_WUHAN)
    assert branch.credit_code == ZHONGDIAN_WUHAN_CODE
    assert branch.parent.name == ZHONGDIAN
    assert PropertyCompany.objects.get(name=HUIZHIMEI).credit_code == ""
    assert PropertyCompany.objects.count() == 3


def test_a_csv_saved_by_excel_in_china_gb18030_is_read(places):
    data = csv_bytes(good_community_rows(), encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    plan = run("communities", data, apply=True)

    assert all_errors(plan) == []
    assert set(Community.objects.values_list("name", flat=True)) == {
        "汉口春天",
        "宗关小区",
        "江岸花园",
    }


def test_english_headers_utf8_without_bom_and_tabs_are_accepted(places):
    text = "district\tcommunity\thouseholds\tcompany\n硚口区\t汉口春天\t1,200\t" + HUIZHIMEI + "\n"
    plan = run("communities", text.encode("utf-8"), apply=True)

    assert all_errors(plan) == []
    assert Community.objects.get(name="汉口春天").households == 1200


# --- idempotent re-import ------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(places):
    data = csv_bytes(good_community_rows())
    run("communities", data, apply=True)
    before = list(Community.objects.order_by("pk").values())

    again = run("communities", data, apply=True)

    assert [r.action for r in again.rows] == ["unchanged"] * 3
    assert list(Community.objects.order_by("pk").values()) == before
    assert Street.objects.filter(name="宗关街道").count() == 1


def test_a_changed_households_value_updates_that_community_only(places):
    run("communities", csv_bytes(good_community_rows()), apply=True)
    rows = good_community_rows()
    rows[1][5] = "1250"

    plan = run("communities", csv_bytes(rows), apply=True)

    assert [r.action for r in plan.rows] == ["updated", "unchanged", "unchanged"]
    assert plan.rows[0].changes == ["户数"]
    assert Community.objects.get(name="汉口春天").households == 1250
    assert Community.objects.count() == 3


def test_an_empty_cell_leaves_the_value_on_record(places):
    run("communities", csv_bytes(good_community_rows()), apply=True)
    rows = good_community_rows()
    rows[1][2] = ""  # street
    rows[1][4] = ""  # address

    plan = run("communities", csv_bytes(rows), apply=True)

    assert plan.rows[0].action == "unchanged"
    chuntian = Community.objects.get(name="汉口春天")
    assert (chuntian.street.name, chuntian.address) == ("古田街道", "古田二路1号")


def test_companies_reimport_by_credit_code_renames_and_by_name_adds_a_code(company):
    rows = [COMPANY_HEADER, [ZHONGDIAN, ZHONGDIAN_CODE, ""]]
    run("companies", csv_bytes(rows), apply=True)
    assert [r.action for r in run("companies", csv_bytes(rows)).rows] == ["unchanged"]
    PropertyCompany.objects.filter(pk=company.pk).update(credit_code="")

    plan = run(
        "companies",
        csv_bytes(
            [
                COMPANY_HEADER,
                ["中电建物业管理有限公司（更名）", ZHONGDIAN_CODE, ""],  # same code: a rename
                [HUIZHIMEI, HUIZHIMEI_CODE, ""],  # same name, code on record empty: adds it
            ]
        ),
        apply=True,
    )

    assert [(r.action, r.changes) for r in plan.rows] == [
        ("updated", ["企业名称"]),
        ("updated", ["统一社会信用代码"]),
    ]
    assert PropertyCompany.objects.count() == 2
    assert PropertyCompany.objects.get(credit_code=ZHONGDIAN_CODE).name.endswith("（更名）")
    assert PropertyCompany.objects.get(pk=company.pk).credit_code == HUIZHIMEI_CODE


# --- bad rows: every kind names its line and its column -------------------------------

GOOD = ["420104", "硚口区", "古田街道", "汉口春天", "古田二路1号", "1200", HUIZHIMEI]


def _with(**changes):
    row = list(GOOD)
    row[3] = "另一小区"
    for column, value in changes.items():
        row[COMMUNITY_HEADER.index(column)] = value
    return row


@pytest.mark.parametrize(
    "bad_row, message",
    [
        (_with(户数="abc"), "Line 3, column “户数”: must be a positive whole number."),
        (_with(户数="0"), "Line 3, column “户数”: must be a positive whole number."),
        (_with(户数="-5"), "Line 3, column “户数”: must be a positive whole number."),
        (_with(户数="12.5"), "Line 3, column “户数”: must be a positive whole number."),
        (_with(户数=""), "Line 3, column “户数”: required; this cell is empty."),
        (
            _with(区划代码="429999", 区=""),
            "Line 3, column “区划代码”: no district has the division code 429999.",
        ),
        (_with(区划代码="", 区="火星区"), "Line 3, column “区”: no district is named “火星区”."),
        (
            _with(区="江岸区"),
            "Line 3, column “区”: 江岸区 does not have the division code 420104.",
        ),
        (
            _with(区划代码="420102", 区="江岸区"),
            "Line 3, column “街道”: the street “古田街道” is in 硚口区, not in 江岸区.",
        ),
        (_with(小区名称=""), "Line 3, column “小区名称”: required; this cell is empty."),
        (_with(小区名称="汉口春天"), "Line 3, column “小区名称”: the same community as on line 2."),
        (
            _with(小区名称="长" * 101),
            "Line 3, column “小区名称”: at most 100 characters (this one has 101).",
        ),
        (
            _with(地址="路" * 201),
            "Line 3, column “地址”: at most 200 characters (this one has 201).",
        ),
        (
            _with(街道="街" * 51),
            "Line 3, column “街道”: at most 50 characters (this one has 51).",
        ),
        (
            _with(物业服务企业="不存在物业有限公司"),
            "Line 3, column “物业服务企业”: no company “不存在物业有限公司” is on record; "
            "import the companies first.",
        ),
        (_with(物业服务企业=""), "Line 3, column “物业服务企业”: required; this cell is empty."),
    ],
)
def test_a_bad_community_row_is_named_by_line_and_column(places, bad_row, message):
    plan = run("communities", csv_bytes([COMMUNITY_HEADER, GOOD, bad_row]))

    assert plan.rows[0].action == "created"
    assert plan.rows[1].action == "error"
    assert message in plan.rows[1].errors
    assert plan.file_errors == []


@pytest.mark.parametrize(
    "code, message",
    [
        (
            "91420",
            "Line 3, column “统一社会信用代码”: A unified social credit code has 18 "
            "characters; this one has 5.",
        ),
        (
            HUIZHIMEI_CODE[:17] + ("0" if HUIZHIMEI_CODE[17] != "0" else "1"),
            "Line 3, column “统一社会信用代码”: The check character (the 18th) does not "
            "match: the code has a typo.",
        ),
        (
            ZHONGDIAN_CODE,
            f"Line 3, column “统一社会信用代码”: no company with the credit code {ZHONGDIAN_CODE} "
            "is on record; import the companies first.",
        ),
    ],
)
def test_a_bad_company_credit_code_in_a_community_row(places, code, message):
    header = [*COMMUNITY_HEADER[:-1], "统一社会信用代码"]
    good = [*GOOD[:-1], HUIZHIMEI_CODE]
    bad = [*_with()[:-1], code]

    plan = run("communities", csv_bytes([header, good, bad]))

    assert plan.rows[0].ok
    assert message in plan.rows[1].errors


def test_a_name_and_a_code_of_two_different_companies(places):
    other = PropertyCompany.objects.create(name=ZHONGDIAN, credit_code=ZHONGDIAN_CODE)
    header = [*COMMUNITY_HEADER, "统一社会信用代码"]
    plan = run("communities", csv_bytes([header, [*GOOD, other.credit_code]]))

    assert plan.rows[0].errors == [
        f"Line 2, column “物业服务企业”: this name and the credit code {ZHONGDIAN_CODE} "
        "belong to two different companies."
    ]


@pytest.mark.parametrize(
    "rows, line, message",
    [
        (
            [[ZHONGDIAN, ZHONGDIAN_CODE, ""], ["中电建（重复）", ZHONGDIAN_CODE, ""]],
            3,
            "Line 3, column “统一社会信用代码”: the same as on line 2.",
        ),
        (
            [[ZHONGDIAN, "", ""], [ZHONGDIAN, "", ""]],
            3,
            "Line 3, column “企业名称”: the same as on line 2.",
        ),
        (
            [[ZHONGDIAN, "", ""], [ZHONGDIAN_WUHAN, "", "没有这家公司"]],
            3,
            "Line 3, column “上级公司”: no company “没有这家公司” on record or in this file.",
        ),
        (
            [[ZHONGDIAN, "", ZHONGDIAN]],
            2,
            "Line 2, column “上级公司”: a company cannot be its own parent.",
        ),
        (
            [[ZHONGDIAN, ZHONGDIAN_CODE, ZHONGDIAN_WUHAN], [ZHONGDIAN_WUHAN, "", ZHONGDIAN]],
            2,
            "Line 2, column “上级公司”: this parent would make a loop of companies.",
        ),
        (
            [[HUIZHIMEI, ZHONGDIAN_CODE, ""]],
            2,
            f"Line 2, column “统一社会信用代码”: “{HUIZHIMEI}” is on record with the credit "
            f"code {HUIZHIMEI_CODE}.",
        ),
        (
            [["", ZHONGDIAN_CODE, ""]],
            2,
            "Line 2, column “企业名称”: required; this cell is empty.",
        ),
        (
            [["公" * 201, "", ""]],
            2,
            "Line 2, column “企业名称”: at most 200 characters (this one has 201).",
        ),
        (
            [[ZHONGDIAN_WUHAN, "", ZHONGDIAN], [ZHONGDIAN, "bad", ""]],
            2,
            "Line 2, column “上级公司”: the parent company on line 3 has errors.",
        ),
    ],
)
def test_a_bad_company_row_is_named_by_line_and_column(company, rows, line, message):
    plan = run("companies", csv_bytes([COMPANY_HEADER, *rows]))

    row = next(r for r in plan.rows if r.line == line)
    assert message in row.errors


def test_a_branch_may_name_a_parent_on_record_by_its_credit_code(company):
    plan = run(
        "companies",
        csv_bytes([COMPANY_HEADER, ["武汉惠之美物业服务有限公司硚口分公司", "", HUIZHIMEI_CODE]]),
        apply=True,
    )

    assert all_errors(plan) == []
    assert PropertyCompany.objects.get(name__endswith="硚口分公司").parent == company


# --- all or nothing, or only the valid rows ------------------------------------------


def test_one_bad_row_and_nothing_is_written(places):
    rows = good_community_rows() + [_with(户数="很多")]

    plan = run("communities", csv_bytes(rows), apply=True)

    assert not plan.applied
    assert plan.counts == {"created": 3, "updated": 0, "unchanged": 0, "error": 1}
    assert Community.objects.count() == 0
    assert not Street.objects.filter(name="宗关街道").exists()
    assert not AuditEntry.objects.exists()


def test_import_only_the_valid_rows_when_chosen(places):
    rows = good_community_rows() + [_with(户数="很多")]

    plan = run("communities", csv_bytes(rows), apply=True, valid_only=True)

    assert plan.applied
    assert set(Community.objects.values_list("name", flat=True)) == {
        "汉口春天",
        "宗关小区",
        "江岸花园",
    }


# --- files that cannot be imported ---------------------------------------------------


def test_a_corrupt_xlsx_is_refused_with_a_message():
    good = xlsx_bytes([COMMUNITY_HEADER, GOOD])
    truncated = good[: len(good) // 2]
    garbage = b"PK\x03\x04" + b"\x00garbage" * 100

    for data in (truncated, garbage, b"not a workbook at all"):
        plan = run("communities", data, filename="小区.xlsx")
        assert plan.file_errors == [
            "This file is damaged or is not an Excel workbook (.xlsx): it cannot be read."
        ]


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")

    plan = run("communities", out.getvalue(), filename="小区.xlsx")

    assert plan.file_errors == [
        "This file is damaged or is not an Excel workbook (.xlsx): it cannot be read."
    ]


def test_a_png_renamed_csv_is_refused():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "PNG")
    png = out.getvalue()

    assert run("communities", png, filename="小区.csv").file_errors == [
        "This is not a CSV or XLSX file. Upload the filled-in template."
    ]
    # The same bytes without the PNG signature: binary, not text.
    assert run("communities", png[8:], filename="小区.csv").file_errors == [
        "This is not a CSV or XLSX file. Upload the filled-in template."
    ]


def test_an_old_xls_file_is_refused_with_advice():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512

    [message] = run("communities", ole2, filename="小区.xls").file_errors
    assert message.startswith("This is an old-style Excel file (.xls).")


def test_an_oversized_file_is_refused():
    data = csv_bytes([COMMUNITY_HEADER]) + b"x" * importing.MAX_BYTES

    assert run("communities", data).file_errors == [
        "The file is larger than 5 MB: split it into several files."
    ]


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr(importing.tables, "MAX_ROWS", 3)
    rows = [COMMUNITY_HEADER] + [GOOD] * 4

    assert run("communities", csv_bytes(rows)).file_errors == [
        "The file has more than 3 rows: split it into several files."
    ]


@pytest.mark.parametrize(
    "header, message",
    [
        (
            ["区划代码", "小区名称", "物业服务企业"],
            "The header row (line 1) has no column “户数”.",
        ),
        (
            ["街道", "小区名称", "户数", "物业服务企业"],
            "The header row (line 1) needs a column “区划代码” or “区”.",
        ),
        (
            ["区", "小区名称", "户数", "户数"],
            "The column “户数” appears twice in the header row.",
        ),
    ],
)
def test_a_missing_or_doubled_header_is_a_file_error(places, header, message):
    plan = run("communities", csv_bytes([header, ["硚口区"] * len(header)]))

    assert message in plan.file_errors
    assert plan.rows == []


def test_empty_files_are_refused():
    assert run("communities", b"").file_errors == ["The file is empty."]
    assert run("communities", csv_bytes([COMMUNITY_HEADER])).file_errors == [
        "The file has a header row but no rows of data."
    ]


def test_line_numbers_count_empty_lines_as_the_spreadsheet_does(places):
    rows = [COMMUNITY_HEADER, GOOD, ["", "", ""], _with(户数="x")]

    plan = run("communities", csv_bytes(rows))

    assert plan.rows[1].errors == ["Line 4, column “户数”: must be a positive whole number."]


# --- enrolling into a campaign -------------------------------------------------------


def test_imported_communities_are_enrolled_into_a_draft_campaign(places, city):
    campaign = make_campaign(slug="draft-2026", status=Campaign.Status.DRAFT)

    plan = run(
        "communities", csv_bytes(good_community_rows()), apply=True, campaign=campaign, actor=city
    )

    assert [r.enroll for r in plan.rows] == ["new"] * 3
    enrollment = Enrollment.objects.get(campaign=campaign, community__name="汉口春天")
    assert (enrollment.company, enrollment.households) == (places["company"], 1200)
    assert AuditEntry.objects.filter(action="enrollment_created", campaign=campaign).count() == 3
    again = run("communities", csv_bytes(good_community_rows()), campaign=campaign)
    assert [r.enroll for r in again.rows] == ["existing"] * 3


def test_a_closed_campaign_cannot_take_enrollments(places):
    campaign = make_campaign(slug="closed", status=Campaign.Status.CLOSED)

    plan = run("communities", csv_bytes(good_community_rows()), apply=True, campaign=campaign)

    assert plan.file_errors == ["Communities can only be enrolled before a campaign closes."]
    assert Community.objects.count() == 0


def _refuse_one(monkeypatch, name):
    from evaluations import campaigns

    real = campaigns.enrollment_create

    def refusing(campaign, community, **kwargs):
        if community.name == name:
            raise campaigns.EnrollmentRefused("Refused for the test.")
        return real(campaign, community, **kwargs)

    monkeypatch.setattr(campaigns, "enrollment_create", refusing)


def test_a_refused_enrollment_is_a_row_error_and_rolls_everything_back(places, monkeypatch):
    campaign = make_campaign(slug="draft-2026", status=Campaign.Status.DRAFT)
    _refuse_one(monkeypatch, "宗关小区")

    plan = run("communities", csv_bytes(good_community_rows()), apply=True, campaign=campaign)

    assert not plan.applied
    assert plan.rows[1].errors == ["Line 3: Refused for the test."]
    assert Community.objects.count() == 0
    assert Enrollment.objects.count() == 0


def test_a_refused_enrollment_skips_only_its_row_when_importing_valid_rows(places, monkeypatch):
    campaign = make_campaign(slug="draft-2026", status=Campaign.Status.DRAFT)
    _refuse_one(monkeypatch, "宗关小区")

    plan = run(
        "communities",
        csv_bytes(good_community_rows()),
        apply=True,
        campaign=campaign,
        valid_only=True,
    )

    assert plan.applied
    assert plan.counts["error"] == 1
    assert set(Community.objects.values_list("name", flat=True)) == {"汉口春天", "江岸花园"}
    assert Enrollment.objects.filter(campaign=campaign).count() == 2


def test_the_import_audits_through_audit_record_with_the_actor(city_client, places, city):
    from evaluations import campaigns

    recorded = []
    real = campaigns.audit_record

    def spy(action, **kwargs):
        recorded.append(action)
        return real(action, **kwargs)

    campaign = make_campaign(slug="draft-2026", status=Campaign.Status.DRAFT)
    Community.objects.create(
        district=places["qiaokou"], name="汉口春天", households=1000, company=places["company"]
    )
    enrolled_before = Enrollment.objects.create(
        campaign=campaign,
        community=Community.objects.get(name="汉口春天"),
        company=places["company"],
        households=1000,
    )
    token = token_of(upload(city_client, csv_bytes(good_community_rows()), campaign=campaign.pk))
    assert AuditEntry.objects.count() == 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(campaigns, "audit_record", spy)
        response = city_client.post("/console/import/confirm/", {"token": token})

    assert "Imported: 2 new, 1 updated, 0 unchanged, 0 skipped." in response.content.decode()
    new_enrollments = Enrollment.objects.filter(campaign=campaign).exclude(pk=enrolled_before.pk)
    assert new_enrollments.count() == 2
    assert sorted(recorded) == ["enrollment_created", "enrollment_created", "import_communities"]
    entries = AuditEntry.objects.all()
    assert sorted(e.action for e in entries) == sorted(recorded)
    assert {e.enrollment for e in entries if e.action == "enrollment_created"} == set(
        new_enrollments
    )
    [summary] = [e for e in entries if e.action == "import_communities"]
    # written in the language of the person who imported (English here)
    assert (summary.campaign, summary.subject) == (campaign, "communities: 小区.csv")
    assert summary.new_value == "created 2, updated 1, unchanged 0, skipped 0"
    assert {(e.actor, e.actor_name) for e in entries} == {(city, "city-importer")}
    assert {e.campaign for e in entries} == {campaign}


def test_communities_import_no_other_app_of_the_project():
    root = Path(__file__).resolve().parents[2]
    others = {
        path.parent.name for path in root.glob("*/__init__.py") if path.parent.name != "config"
    } - {"communities"}
    assert {"evaluations", "console", "reviews"} <= others
    checked, found = 0, []
    for path in sorted((root / "communities").rglob("*.py")):
        if "migrations" in path.relative_to(root).parts:
            continue
        checked += 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                if name.split(".")[0] in others:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    assert checked >= 8  # the importing package included
    assert found == []


# --- templates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, headers",
    [
        (
            "communities",
            [
                "区划代码",
                "区",
                "街道",
                "小区名称",
                "地址",
                "户数",
                "物业服务企业",
                "统一社会信用代码",
            ],
        ),
        ("companies", ["企业名称", "统一社会信用代码", "上级公司"]),
    ],
)
def test_the_templates_download_with_chinese_headers_and_an_example(city_client, kind, headers):
    response = city_client.get(f"/console/import/template/{kind}.xlsx")
    assert response.status_code == 200
    assert f"manyi-{kind}-template.xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == headers
    assert sheet[2][0].value  # the example row
    assert sheet.freeze_panes == "A2"

    response = city_client.get(f"/console/import/template/{kind}.csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == headers
    assert len(lines) == 2


def test_an_unknown_template_is_404(city_client):
    assert city_client.get("/console/import/template/people.xlsx").status_code == 404


def test_the_templates_as_downloaded_import_cleanly(qiaokou):
    companies = run("companies", importing.template_xlsx("companies"), apply=True)
    communities = run("communities", importing.template_csv("communities"), apply=True)

    assert all_errors(companies) + all_errors(communities) == []
    community = Community.objects.get()
    assert community.company.credit_code == importing.EXAMPLE_CREDIT_CODE


# --- the pages: upload, preview, confirm ---------------------------------------------


def upload(client, data, name="小区.csv", **fields):
    file = io.BytesIO(data)
    file.name = name
    return client.post(
        "/console/import/", {"kind": "communities", "file": file, **fields}, follow=False
    )


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


def test_upload_previews_every_row_and_writes_nothing(city_client, places):
    response = upload(city_client, csv_bytes(good_community_rows()))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Check before importing" in page
    for name in ("汉口春天", "宗关小区", "江岸花园"):
        assert name in page
    assert "New street “宗关街道” in 硚口区." in page
    assert "Import 3 rows" in page
    assert Community.objects.count() == 0


def test_confirm_applies_the_stored_file(city_client, places, city):
    token = token_of(upload(city_client, csv_bytes(good_community_rows())))

    response = city_client.post("/console/import/confirm/", {"token": token})

    page = response.content.decode()
    assert "Imported: 3 new, 0 updated, 0 unchanged, 0 skipped." in page
    assert "Import result" in page
    assert Community.objects.count() == 3
    assert AuditEntry.objects.get(action="import_communities").actor == city
    # The token is spent: confirming again imports nothing more and says so.
    again = city_client.post("/console/import/confirm/", {"token": token}, follow=True)
    assert "This upload has expired or is not yours" in again.content.decode()


def test_a_preview_with_errors_offers_to_import_only_the_valid_rows(city_client, places):
    rows = good_community_rows() + [_with(户数="很多")]
    response = upload(city_client, csv_bytes(rows))
    page = response.content.decode()
    assert "Line 5, column “户数”: must be a positive whole number." in page
    assert "Nothing is written while any row has an error" in page
    assert "Import only the 3 valid rows" in page
    token = token_of(response)

    refused = city_client.post("/console/import/confirm/", {"token": token})
    assert "Nothing was imported." in refused.content.decode()
    assert Community.objects.count() == 0

    city_client.post("/console/import/confirm/", {"token": token, "valid_only": "1"})
    assert Community.objects.count() == 3


def test_choosing_valid_rows_only_at_upload_says_what_will_be_skipped(city_client, places):
    rows = good_community_rows() + [_with(户数="很多")]

    response = upload(city_client, csv_bytes(rows), valid_only="on")

    page = response.content.decode()
    assert "1 row has errors and will be skipped; the 3 valid rows will be imported." in page
    assert "Import the 3 valid rows" in page
    city_client.post("/console/import/confirm/", {"token": token_of(response), "valid_only": "1"})
    assert Community.objects.count() == 3


def test_a_long_preview_lists_every_error_and_counts_the_rest(city_client, places, monkeypatch):
    from console.views import imports as console_views

    monkeypatch.setattr(console_views, "PREVIEW_ROWS", 1)
    rows = [*good_community_rows(), _with(户数="很多")]

    page = upload(city_client, csv_bytes(rows)).content.decode()

    assert "汉口春天" in page
    assert "江岸花园" not in page
    assert "Line 5, column “户数”: must be a positive whole number." in page
    assert "2 more valid rows are not listed here." in page


def test_the_file_is_validated_again_on_confirm(city_client, places):
    token = token_of(upload(city_client, csv_bytes(good_community_rows())))
    PropertyCompany.objects.filter(pk=places["company"].pk).update(name="改名了")

    response = city_client.post("/console/import/confirm/", {"token": token})

    assert "no company “武汉惠之美物业服务有限公司” is on record" in response.content.decode()
    assert Community.objects.count() == 0


@pytest.mark.parametrize("token", ["", "forged-token-forged-token-forged", "x" * 200])
def test_a_forged_token_is_refused(city_client, places, token):
    upload(city_client, csv_bytes(good_community_rows()))

    response = city_client.post("/console/import/confirm/", {"token": token}, follow=True)

    assert response.redirect_chain[-1][0] == "/console/import/"
    assert "This upload has expired or is not yours" in response.content.decode()
    assert Community.objects.count() == 0


def test_an_expired_upload_is_refused(city_client, places):
    token = token_of(upload(city_client, csv_bytes(good_community_rows())))
    cache.clear()  # what an hour does

    response = city_client.post("/console/import/confirm/", {"token": token}, follow=True)

    assert "This upload has expired or is not yours" in response.content.decode()
    assert Community.objects.count() == 0


def test_another_officers_token_is_refused(city_client, client, places):
    token = token_of(upload(city_client, csv_bytes(good_community_rows())))
    other = _staff("city-2", StaffProfile.Role.CITY)
    client.force_login(other)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post("/console/import/confirm/", {"token": token}, follow=True)

    assert "This upload has expired or is not yours" in response.content.decode()
    assert Community.objects.count() == 0


def test_an_unreadable_upload_is_shown_on_the_form(city_client, places):
    response = upload(city_client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="小区.csv")

    page = response.content.decode()
    assert response.status_code == 200
    assert "This is not a CSV or XLSX file." in page
    assert 'name="token"' not in page


def test_an_oversized_upload_is_refused_by_the_form(city_client, places):
    response = upload(city_client, b"a," * (importing.MAX_BYTES // 2 + 10))

    assert "The file is larger than 5 MB" in response.content.decode()


def test_the_form_offers_only_draft_and_open_campaigns(city_client, places):
    make_campaign(slug="draft", name="草稿活动", status=Campaign.Status.DRAFT)
    make_campaign(slug="open", name="进行中活动", status=Campaign.Status.OPEN)
    make_campaign(slug="closed", name="已结束活动", status=Campaign.Status.CLOSED)

    page = city_client.get("/console/import/").content.decode()

    assert "草稿活动" in page and "进行中活动" in page
    assert "已结束活动" not in page


def test_companies_cannot_be_enrolled(city_client, places):
    campaign = make_campaign(slug="draft", status=Campaign.Status.DRAFT)
    file = io.BytesIO(csv_bytes([COMPANY_HEADER, [ZHONGDIAN, "", ""]]))
    file.name = "企业.csv"

    response = city_client.post(
        "/console/import/", {"kind": "companies", "file": file, "campaign": campaign.pk}
    )

    assert "Only communities can be enrolled into a campaign." in response.content.decode()
    assert not PropertyCompany.objects.filter(name=ZHONGDIAN).exists()


def test_the_upload_page_is_chinese_by_default(client, city):
    client.force_login(city)

    page = client.get("/console/import/").content.decode()

    assert 'lang="zh-Hans"' in page
    assert "区划代码" in page  # the instructions name the template's columns


# --- who may import ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, method",
    [
        ("/console/import/", "get"),
        ("/console/import/confirm/", "post"),
        ("/console/import/template/communities.xlsx", "get"),
        ("/console/import/template/companies.csv", "get"),
    ],
)
@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", 302),
        ("outsider", 403),
        ("company_staff", 403),
        ("district_reviewer", 403),
        ("city", 200),
    ],
)
def test_only_the_city_bureau_may_import(client, places, url, method, persona, expected):
    users = {
        "outsider": lambda: get_user_model().objects.create_user("nobody"),
        "company_staff": lambda: _staff("staffer", StaffProfile.Role.COMPANY),
        "district_reviewer": lambda: _staff("qk", StaffProfile.Role.DISTRICT, [places["qiaokou"]]),
        "city": lambda: _staff("city", StaffProfile.Role.CITY),
    }
    if persona in users:
        client.force_login(users[persona]())

    response = getattr(client, method)(url)

    if persona == "city" and method == "post":
        expected = 302  # no token: back to the upload form with a message
        assert response["Location"] == "/console/import/"
    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith("/console/login/")


def test_the_preview_makes_as_many_queries_for_50_rows_as_for_1(city_client, places):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for n in (1, 50):
        rows = [COMMUNITY_HEADER] + [
            ["420104", "硚口区", "古田街道", f"预览小区{n}-{i}", "", "100", HUIZHIMEI]
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            response = upload(city_client, csv_bytes(rows))
        assert response.status_code == 200
        assert f"预览小区{n}-{n - 1}" in response.content.decode()
        counts.append(len(queries))
    assert counts[1] <= counts[0], counts


def test_the_communities_template_alone_says_its_row_is_the_example(qiaokou):
    # Bug: the template's own example row failed with "请先导入物业服务企业", as if the
    # person's file were at fault.
    with translation.override("zh-hans"):
        plan = run("communities", importing.template_csv("communities"), apply=True)
        errors = all_errors(plan)

    assert [e for e in errors if "示例行" in e] and not plan.applied
    assert not any("请先导入物业服务企业" in e for e in errors)
    assert Community.objects.count() == 0


def test_the_import_audit_is_written_in_the_importers_language(places):
    # Bug: the summary was English whatever the language of the person importing.
    with translation.override("zh-hans"):
        run("communities", csv_bytes(good_community_rows()), apply=True, filename="小区.csv")
    entry = AuditEntry.objects.get(action="import_communities")
    assert (entry.subject, entry.new_value) == ("小区: 小区.csv", "新增3，更新0，无变化0，跳过0")


def test_the_preview_says_an_unchanged_community_will_be_enrolled(city_client, places):
    # Bug: a community already on record but not yet enrolled showed 无变化 next to
    # 将报名 — it is unchanged as a place, but the import does enroll it.
    campaign = make_campaign(slug="draft-2026", status=Campaign.Status.DRAFT)
    run("communities", csv_bytes(good_community_rows()), apply=True)
    enrollment_create(campaign, Community.objects.get(name="江岸花园"))

    page = upload(city_client, csv_bytes(good_community_rows()), campaign=campaign.pk)
    html = page.content.decode()
    rows = {
        name: re.search(r'class="import-action"[^>]*>\s*(.+?)\s*</td>', row).group(1)
        for row in html.split("<tr")[1:]
        for name in ("汉口春天", "江岸花园")
        if name in row
    }
    assert rows["汉口春天"] == "To be enrolled"
    assert rows["江岸花园"] == "Unchanged"  # already enrolled: nothing happens
