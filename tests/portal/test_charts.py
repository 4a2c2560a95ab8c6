"""The chart of satisfaction rates per district: server-drawn SVG that parses, says
its numbers in words, escapes every name, and copes with an empty list."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from communities.models import District
from evaluations.models import Enrollment
from portal.charts import DistrictRate, district_chart_rows, district_rates_svg
from reviews.models import Publication, PublicationEntry
from tests.conftest import make_campaign

SVG = "{http://www.w3.org/2000/svg}"
WUHAN = [
    ("420102", "江岸区"),
    ("420103", "江汉区"),
    ("420104", "硚口区"),
    ("420105", "汉阳区"),
    ("420106", "武昌区"),
    ("420107", "青山区"),
    ("420111", "洪山区"),
    ("420112", "东西湖区"),
    ("420113", "汉南区"),
    ("420114", "蔡甸区"),
    ("420115", "江夏区"),
    ("420116", "黄陂区"),
    ("420117", "新洲区"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 — our own output, parsed to check it


def texts(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


# --- drawing --------------------------------------------------------------------------


def test_the_chart_is_accessible_svg_with_every_district_and_its_numbers():
    rows = [
        DistrictRate("硚口区", 23, Decimal("96.2")),
        DistrictRate("江岸区", 5, Decimal("91.0")),
        DistrictRate("汉南区", 0, None),
    ]
    with translation.override("zh-hans"):
        svg = district_rates_svg(rows, title="各区满意率", threshold_percent=Decimal("90"))
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    # As wide as its container, as tall as its rows: text keeps its size on a phone.
    assert root.get("width") == "100%" and int(root.get("height")) > 3 * 40
    assert "Noto Sans CJK SC" in root.get("font-family")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "各区满意率"
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    shown = texts(root)
    for name, number in [("硚口区", "96.2%"), ("江岸区", "91.0%")]:
        assert name in shown and number in shown and number in desc.text
    assert "汉南区" in shown
    # The axis does not start at 0, and says so where it is drawn and in the description.
    assert "85%" in shown and "100%" in shown
    assert "85%" in desc.text
    assert "90%" in desc.text and "90%" in shown  # the threshold, in words
    # Two bars: none for the district without a listed community.
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 2
    widths = [float(bar.get("width").rstrip("%")) for bar in bars]
    assert widths == [74.67, 40.0]  # (96.2 − 85) / 15 and (91 − 85) / 15 of the width


def test_the_chart_in_english_counts_communities_in_words():
    rows = [("Qiaokou District", 1, Decimal("100.0")), ("Hannan District", 0, None)]
    with translation.override("en"):
        svg = district_rates_svg(rows, title="Rates by district")
    shown = texts(parse(svg))
    assert "100.0%" in shown and "1 community" in shown
    assert "no community on the list" in shown
    assert "The axis starts at 85%, not at 0." in parse(svg).find(f"{SVG}desc").text


def test_every_string_is_escaped():
    evil = '<script>alert("x")</script>&"\''
    svg = district_rates_svg([(evil, 1, Decimal("95.0"))], title=evil, id_prefix='a"b')
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == evil
    assert evil in texts(root)
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))


def test_an_empty_chart_still_parses_and_says_there_is_nothing():
    with translation.override("en"):
        root = parse(district_rates_svg([], title="Nothing yet"))
    assert "No district to show." in root.find(f"{SVG}desc").text
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_a_rate_below_85_percent_moves_the_axis_down():
    with translation.override("en"):
        root = parse(district_rates_svg([("江夏区", 2, Decimal("78.3"))], title="t"))
    assert "75%" in texts(root)
    assert "The axis starts at 75%" in root.find(f"{SVG}desc").text


# --- rows from a published list ---------------------------------------------------------


@pytest.fixture
def districts(db):
    return [District.objects.create(code=code, name=name) for code, name in WUHAN]


@pytest.fixture
def publication(districts, company):
    from communities.models import Community

    campaign = make_campaign(slug="chart", status="published")
    publication = Publication.objects.create(campaign=campaign, kind="final", revision=1)
    qiaokou, jiangan = districts[2], districts[0]

    def entry(district, name, responses, satisfied, status="listed"):
        community = Community.objects.create(
            district=district, name=name, households=responses * 2, company=company
        )
        enrollment = Enrollment.objects.create(
            campaign=campaign, community=community, company=company, households=responses * 2
        )
        return PublicationEntry(
            publication=publication,
            enrollment=enrollment,
            community_name=name,
            district_code=district.code,
            district_name=district.name,
            district_name_en="Qiaokou District" if district == qiaokou else "",
            company_name=company.name,
            households=responses * 2,
            responses=responses,
            satisfied=satisfied,
            status=status,
        )

    PublicationEntry.objects.bulk_create(
        [
            entry(qiaokou, "汉口春天", 100, 97),
            entry(qiaokou, "宝丰花园", 50, 46),  # pooled: 143/150 = 95.33%
            entry(qiaokou, "已撤销小区", 40, 40, status="withdrawn"),
            entry(jiangan, "江岸小区", 3, 3),
        ]
    )
    return publication


def test_the_rows_cover_every_district_with_pooled_rates_of_listed_entries(
    publication, django_assert_num_queries
):
    with translation.override("zh-hans"), django_assert_num_queries(2):
        rows = district_chart_rows(publication)
    assert [r.district_name for r in rows] == [name for _, name in WUHAN]
    by_name = {r.district_name: r for r in rows}
    assert by_name["硚口区"] == ("硚口区", 2, Decimal("95.3"))  # 143/150, not the mean
    assert by_name["江岸区"] == ("江岸区", 1, Decimal("100.0"))
    assert by_name["新洲区"] == ("新洲区", 0, None)
    root = parse(district_rates_svg(rows, title="t"))
    assert all(name in texts(root) for _, name in WUHAN)


def test_the_rows_take_the_districts_the_page_has_already_loaded(
    publication, districts, django_assert_num_queries
):
    with translation.override("en"), django_assert_num_queries(1):
        rows = district_chart_rows(publication, districts=districts)
    assert len(rows) == 13
    assert rows[2] == ("Qiaokou District", 2, Decimal("95.3"))  # the frozen English name


def test_the_rows_of_an_empty_list_are_all_zero(districts, db):
    campaign = make_campaign(slug="empty", status="published")
    publication = Publication.objects.create(campaign=campaign, kind="final", revision=1)
    rows = district_chart_rows(publication)
    assert [(r.count, r.rate_percent) for r in rows] == [(0, None)] * 13
    parse(district_rates_svg(rows, title="t"))
