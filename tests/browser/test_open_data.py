"""The open-data index and the district chart in a real browser: accessible, and the
chart as wide as a phone's screen with its text still legible."""

from decimal import Decimal

import pytest
from django.utils import translation
from playwright.sync_api import expect

from portal.charts import DistrictRate, district_rates_svg
from reviews.models import Publication, PublicationEntry
from tests.conftest import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.opendata_urlconf")]


@pytest.fixture
def published(enrollment):
    campaign = make_campaign(slug="published-2020", name="2020年群众满意小区", status="published")
    publication = Publication.objects.create(campaign=campaign, kind="final", revision=1)
    PublicationEntry.objects.create(
        publication=publication,
        enrollment=enrollment,
        community_name="汉口春天",
        district_code="420104",
        district_name="硚口区",
        company_name="武汉惠之美物业服务有限公司",
        households=100,
        responses=30,
        satisfied=29,
    )
    return publication


def test_the_open_data_index_has_no_serious_accessibility_violations(
    phone_page, site, published, axe
):
    phone_page.goto(f"{site}/open-data/")
    expect(phone_page.get_by_role("heading", name="2020年群众满意小区")).to_be_visible()
    with phone_page.expect_download() as download:
        phone_page.locator('a[href="/open-data/published-2020.csv"]').tap()
    assert download.value.suggested_filename == "published-2020-r1.csv"
    assert axe(phone_page) == []


def test_the_district_chart_fits_a_phone_and_has_no_serious_accessibility_violations(
    phone_page, axe
):
    rows = [
        DistrictRate("硚口区", 23, Decimal("94.6")),
        DistrictRate("东西湖区", 3, Decimal("93.4")),
        DistrictRate("汉南区", 0, None),
    ]
    with translation.override("zh-hans"):
        svg = district_rates_svg(rows, title="各区满意率", threshold_percent=Decimal("90.00"))
    phone_page.set_content(
        '<!DOCTYPE html><html lang="zh-Hans"><head><title>chart</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body style="margin:0;padding:16px"><main><h1>各区满意率</h1>{svg}</main></body></html>'
    )
    chart = phone_page.get_by_role("img", name="各区满意率")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] == 390 - 2 * 16
    name = phone_page.locator("svg text", has_text="硚口区")
    size = name.evaluate("t => getComputedStyle(t).fontSize")
    assert size == "16px"  # not scaled down to the phone's width
    assert axe(phone_page) == []
