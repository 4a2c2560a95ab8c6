"""A resident in a real browser: rates through the address on their notice on a
phone, switches the page to English and back; and the pages they meet pass an
automated accessibility check (axe-core, WCAG 2.1 A/AA, nothing serious)."""

import re

import pytest
from playwright.sync_api import expect

from evaluations.households import codes_issue
from evaluations.models import Rating

pytestmark = pytest.mark.browser

SATISFIED, BASIC = "满意", "基本满意"


@pytest.fixture
def code(enrollment) -> str:
    """The household code on a resident's notice (汉口春天, open campaign)."""
    return codes_issue(enrollment, 1)[0]


def test_a_resident_rates_on_a_phone_by_tapping_and_gets_a_receipt(phone_page, site, code):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    expect(page.get_by_role("heading", level=1)).to_have_text("汉口春天")

    questions = page.get_by_role("radiogroup")
    expect(questions).to_have_count(6)  # overall and the five criteria
    questions.nth(0).get_by_role("radio", name=BASIC, exact=True).tap()
    for i in range(1, 6):
        questions.nth(i).get_by_role("radio", name=SATISFIED, exact=True).tap()
    expect(questions.nth(0).get_by_role("radio", name=BASIC, exact=True)).to_be_checked()
    page.get_by_role("button", name="提交评议").tap()

    expect(page.get_by_role("heading", level=1)).to_have_text("评议已提交，谢谢您！")
    receipt = page.locator(".receipt-number").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4})+", receipt)
    rating = Rating.objects.get()
    assert rating.receipt_display == receipt
    assert rating.overall == "basically_satisfied"
    assert sorted(rating.answers.values_list("answer", flat=True)) == ["satisfied"] * 5


def test_the_receipt_page_has_no_serious_accessibility_violations(phone_page, site, code, axe):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    for question in page.get_by_role("radiogroup").all():
        question.get_by_role("radio", name=SATISFIED, exact=True).tap()
    page.get_by_role("button", name="提交评议").tap()
    expect(page.locator(".receipt-number")).to_be_visible()
    assert axe(page) == []


def test_the_english_switch_turns_the_rating_page_english_and_back(phone_page, site, code):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")

    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Submit my rating")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/r/{code}$"))  # the same household's page

    page.get_by_role("button", name="中文").tap()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("button", name="提交评议")).to_be_visible()


def _page_address(name: str, code: str) -> str:
    return {
        "home": "/",
        "code entry": "/r/",
        "code entry, mistyped": "/r/?code=K7QM-X2PA",
        "rating": f"/r/{code}",
    }[name]


@pytest.mark.parametrize("name", ["home", "code entry", "code entry, mistyped", "rating"])
def test_the_residents_pages_have_no_serious_accessibility_violations(
    phone_page, site, code, axe, name
):
    phone_page.goto(site + _page_address(name, code))
    assert axe(phone_page) == []


def test_the_rating_page_with_missing_answers_has_no_serious_accessibility_violations(
    phone_page, site, code, axe
):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    page.get_by_role("button", name="提交评议").tap()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert axe(page) == []


def test_the_accessibility_check_reports_a_serious_violation(desktop_page, axe):
    """The check itself: an image without a text alternative and a field without a
    label are what it must catch."""
    desktop_page.set_content(
        '<html lang="zh-Hans"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        '<input type="text"></main></body></html>'
    )
    assert {v["id"] for v in axe(desktop_page)} >= {"image-alt", "label"}
