"""A campaign's results for staff, as CSV and XLSX (issue 3, item 5).

Rates are rounded down (66.67% shows as 66.6), reasons say why a community is
not eligible, a district reviewer gets their own district only, and nothing is
exportable while residents can still rate.
"""

import csv
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import role_group
from communities.models import Community, Street
from evaluations.campaigns import enrollment_create
from evaluations.codes import generate_code, generate_receipt, hash_code
from evaluations.models import Campaign, HouseholdCode, Rating
from evaluations.tally import RatesNotAvailable
from reviews.exports import HEADERS, campaign_results_rows, results_csv, results_xlsx
from tests.conftest import make_campaign

pytestmark = pytest.mark.django_db

SLUG = "closed-2026"


def _staff(username, role, districts=()):
    user = get_user_model().objects.create_user(username, password="a-long-test-password-1")
    profile = StaffProfile.objects.create(user=user, role=role)
    profile.districts.set(districts)
    user.groups.add(role_group(role))
    return user


def _rate(enrollment, satisfied=0, unsatisfied=0):
    answers = ["satisfied"] * satisfied + ["unsatisfied"] * unsatisfied
    codes = HouseholdCode.objects.bulk_create(
        [
            HouseholdCode(enrollment=enrollment, code_hash=hash_code(generate_code()))
            for _ in answers
        ]
    )
    Rating.objects.bulk_create(
        [
            Rating(household_code=c, enrollment=enrollment, overall=a, receipt=generate_receipt())
            for c, a in zip(codes, answers, strict=True)
        ]
    )


@pytest.fixture
def closed_campaign(qiaokou, jiangan, company):
    """Three communities rated, then rating closed.

    汉口春天 (硚口区): 9 of 10 satisfied, 100 households → 90.0%, eligible.
    古田小区 (硚口区): 2 of 3 satisfied, 30 households → 66.6% (not 66.7), too few responses.
    江岸花园 (江岸区): no ratings.
    """
    campaign = make_campaign(slug=SLUG, min_responses=5, min_coverage_percent=10)
    gutian = Street.objects.create(district=qiaokou, name="古田街道")
    communities = [
        Community.objects.create(
            district=qiaokou, street=gutian, name="汉口春天", households=100, company=company
        ),
        Community.objects.create(district=qiaokou, name="古田小区", households=30, company=company),
        Community.objects.create(district=jiangan, name="江岸花园", households=50, company=company),
    ]
    chuntian, gutian_xq, _jiangan = (enrollment_create(campaign, c) for c in communities)
    _rate(chuntian, satisfied=9, unsatisfied=1)
    _rate(gutian_xq, satisfied=2, unsatisfied=1)
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.CLOSED, monitoring_finalised_at=timezone.now()
    )
    campaign.refresh_from_db()
    return campaign


EXPECTED = [
    # In the order of the division codes: 420102 (江岸区) before 420104 (硚口区).
    [
        "江岸区",
        "420102",
        "",
        "江岸花园",
        "武汉惠之美物业服务有限公司",
        "50",
        "0",
        "0",
        "",
        "0.0",
        "否",
        "没有有效评议。",
        "待区审核",
        "",
        "",
    ],
    [
        "硚口区",
        "420104",
        "",
        "古田小区",
        "武汉惠之美物业服务有限公司",
        "30",
        "3",
        "2",
        "66.6",
        "10.0",
        "否",
        "评议数不足：3份，规则要求至少5份。；满意率66.6%，低于90.00%的门槛。",
        "待区审核",
        "",
        "",
    ],
    [
        "硚口区",
        "420104",
        "古田街道",
        "汉口春天",
        "武汉惠之美物业服务有限公司",
        "100",
        "10",
        "9",
        "90.0",
        "10.0",
        "是",
        "",
        "待区审核",
        "",
        "",
    ],
]


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_of_a_closed_campaign(closed_campaign):
    rows = _csv_rows(results_csv(closed_campaign))

    assert rows[0] == HEADERS
    assert rows[0][:6] == ["区", "区划代码", "街道", "小区", "物业服务企业", "户数"]
    assert rows[1:] == EXPECTED


def test_the_company_is_the_one_serving_during_the_campaign(closed_campaign):
    from communities.models import PropertyCompany

    successor = PropertyCompany.objects.create(name="后来的物业公司")
    Community.objects.filter(name="汉口春天").update(company=successor)

    rows = _csv_rows(results_csv(closed_campaign))

    assert rows[-1][3:5] == ["汉口春天", "武汉惠之美物业服务有限公司"]


def test_xlsx_of_a_closed_campaign(closed_campaign):
    workbook = openpyxl.load_workbook(io.BytesIO(results_xlsx(closed_campaign)))

    assert workbook.sheetnames == ["汇总", "江岸区", "硚口区"]
    summary = workbook["汇总"]
    assert summary.freeze_panes == "A2"
    assert [[c.value for c in row] for row in summary.iter_rows()] == [
        [
            "区",
            "区划代码",
            "参评小区数",
            "户数",
            "评议数",
            "满意数",
            "满意率(%)",
            "参评率(%)",
            "达标小区数",
        ],
        ["江岸区", "420102", 1, 50, 0, 0, None, 0.0, 0],
        # 11 of 13 is 84.615…%: shown as 84.6; 13 of 130 households is 10.0%.
        ["硚口区", "420104", 2, 130, 13, 11, 84.6, 10.0, 1],
        ["合计", None, 3, 180, 13, 11, 84.6, 7.2, 1],
    ]
    qiaokou = workbook["硚口区"]
    assert qiaokou.freeze_panes == "A2"
    assert [c.value for c in qiaokou[1]] == HEADERS
    gutian = [c.value for c in qiaokou[2]]
    assert gutian[3] == "古田小区"
    assert gutian[8] == 66.6  # rounded down, never up to 66.7
    assert qiaokou.cell(row=2, column=9).number_format == "0.0"
    assert gutian[10:12] == [
        "否",
        "评议数不足：3份，规则要求至少5份。；满意率66.6%，低于90.00%的门槛。",
    ]
    assert [c.value for c in qiaokou[3]][8:11] == [90.0, 10.0, "是"]
    assert qiaokou.column_dimensions["E"].width > 20  # the company's long name fits


def test_a_rate_just_below_the_threshold_is_not_rounded_up(qiaokou, company):
    campaign = make_campaign(slug="edge", min_responses=1)
    community = Community.objects.create(
        district=qiaokou, name="边界小区", households=3000, company=company
    )
    enrollment = enrollment_create(campaign, community)
    _rate(enrollment, satisfied=2249, unsatisfied=251)  # 89.96%
    Campaign.objects.filter(pk=campaign.pk).update(
        status=Campaign.Status.CLOSED, monitoring_finalised_at=timezone.now()
    )
    campaign.refresh_from_db()

    [row] = campaign_results_rows(campaign)

    assert row.cells()[8:11] == ["89.9", "83.3", "否"]


def test_text_that_looks_like_a_formula_stays_text(closed_campaign):
    Community.objects.filter(name="汉口春天").update(name='=HYPERLINK("http://x","点我")')

    rows = _csv_rows(results_csv(closed_campaign))
    workbook = openpyxl.load_workbook(io.BytesIO(results_xlsx(closed_campaign)))

    assert [row[3] for row in rows if "HYPERLINK" in row[3]] == ['\'=HYPERLINK("http://x","点我")']
    cell = next(
        c for row in workbook["硚口区"].iter_rows() for c in row if "HYPERLINK" in str(c.value)
    )
    assert cell.data_type == "s"


@pytest.mark.parametrize("status", [Campaign.Status.DRAFT, Campaign.Status.OPEN])
def test_no_rates_while_residents_can_rate(closed_campaign, status):
    Campaign.objects.filter(pk=closed_campaign.pk).update(status=status)
    closed_campaign.refresh_from_db()

    for export in (campaign_results_rows, results_csv, results_xlsx):
        with pytest.raises(RatesNotAvailable):
            export(closed_campaign)


def test_rows_are_counted_in_a_constant_number_of_queries(
    closed_campaign, django_assert_max_num_queries
):
    # the rows and the latest list (with its entries when there is one), however many
    with django_assert_max_num_queries(2):
        rows = campaign_results_rows(closed_campaign)
        [row.cells() for row in rows]
    assert len(rows) == 3


# --- the views -----------------------------------------------------------------------


@pytest.fixture
def qiaokou_reviewer_client(client, qiaokou):
    client.force_login(_staff("qk-exports", StaffProfile.Role.DISTRICT, [qiaokou]))
    return client


@pytest.fixture
def city_client(client):
    client.force_login(_staff("city-exports", StaffProfile.Role.CITY))
    return client


def test_the_city_downloads_every_district(city_client, closed_campaign):
    response = city_client.get(f"/console/campaigns/{SLUG}/results.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="results-{SLUG}.csv"' in response["Content-Disposition"]
    assert _csv_rows(response.content)[1:] == EXPECTED

    response = city_client.get(f"/console/campaigns/{SLUG}/results.xlsx")
    assert f'filename="results-{SLUG}.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "江岸区", "硚口区"]


def test_a_district_reviewer_gets_their_district_only(qiaokou_reviewer_client, closed_campaign):
    response = qiaokou_reviewer_client.get(f"/console/campaigns/{SLUG}/results.csv")
    rows = _csv_rows(response.content)
    assert [row[3] for row in rows[1:]] == ["古田小区", "汉口春天"]
    assert "江岸花园" not in response.content.decode("utf-8-sig")

    response = qiaokou_reviewer_client.get(f"/console/campaigns/{SLUG}/results.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "硚口区"]
    assert [row[0].value for row in workbook["汇总"].iter_rows(min_row=2)] == ["硚口区", "合计"]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_refused_while_the_campaign_is_open(city_client, closed_campaign, extension):
    Campaign.objects.filter(pk=closed_campaign.pk).update(status=Campaign.Status.OPEN)

    response = city_client.get(f"/console/campaigns/{SLUG}/results.{extension}")

    assert response.status_code == 409
    page = response.content.decode()
    assert "评议期间不显示满意率，只显示参评情况。" in page
    assert "Content-Disposition" not in response
    assert "汉口春天" not in page


def test_an_unknown_campaign_is_404(city_client, db):
    assert city_client.get("/console/campaigns/no-such/results.csv").status_code == 404


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "persona, expected",
    [
        ("anonymous", 302),
        ("outsider", 403),
        ("company_staff", 403),
        ("district_reviewer", 200),
        ("city", 200),
    ],
)
def test_who_may_export(client, closed_campaign, qiaokou, extension, persona, expected):
    users = {
        "outsider": lambda: get_user_model().objects.create_user("nobody"),
        "company_staff": lambda: _staff("staffer", StaffProfile.Role.COMPANY),
        "district_reviewer": lambda: _staff("qk", StaffProfile.Role.DISTRICT, [qiaokou]),
        "city": lambda: _staff("city", StaffProfile.Role.CITY),
    }
    if persona in users:
        client.force_login(users[persona]())

    response = client.get(f"/console/campaigns/{SLUG}/results.{extension}")

    assert response.status_code == expected
    if persona == "anonymous":
        assert response["Location"].startswith("/console/login/")


def test_after_a_withdrawal_the_export_says_withdrawn_with_date_reason_and_revision(
    closed_campaign, qiaokou
):
    # Bug: results.csv/.xlsx still said 市审核通过 after a withdrawal, with no column
    # for the published list.
    from datetime import timedelta

    from django.utils import timezone

    from evaluations.models import ReviewStatus
    from reviews.publishing import (
        entry_withdraw,
        publication_publish_final,
        publication_publish_preliminary,
    )

    city = _staff("city-withdraws", StaffProfile.Role.CITY)
    closed_campaign.enrollments.filter(community__name="汉口春天").update(
        review_status=ReviewStatus.APPROVED
    )
    closed_campaign.enrollments.filter(community__name="古田小区").update(
        review_status=ReviewStatus.REJECTED
    )
    publication_publish_preliminary(closed_campaign, actor=city, leave_out_unreviewed=True)
    later = timezone.now() + timedelta(days=30)
    final = publication_publish_final(closed_campaign, actor=city, now=later)
    entry = final.entries.get()
    entry_withdraw(entry, actor=city, reason="核实存在违规收费", now=later)
    when = timezone.localtime(later).strftime("%Y-%m-%d")

    rows = {row[3]: row for row in _csv_rows(results_csv(closed_campaign))[1:]}
    assert rows["汉口春天"][-3:] == [
        "市审核通过",
        f"已撤销（{when}）：核实存在违规收费",
        "正式名单 第2版",
    ]
    assert rows["古田小区"][-2:] == ["不予推荐", ""]
    assert rows["江岸花园"][-2:] == ["未列入名单", ""]
    workbook = openpyxl.load_workbook(io.BytesIO(results_xlsx(closed_campaign)))
    sheet = [[c.value for c in row] for row in workbook["硚口区"].iter_rows()]
    assert sheet[2][-2:] == [f"已撤销（{when}）：核实存在违规收费", "正式名单 第2版"]
