"""The elder mode (适老化) in a real browser: switched on from the page, its type,
line spacing and targets as docs/accessibility.md says, nothing wider than a 320 px
phone, and axe-core finds nothing serious in either language — as in the normal mode."""

import pytest
from playwright.sync_api import expect

from evaluations.households import codes_issue
from tests.browser import test_public
from tests.browser.test_narrow_phones import (
    _labels_broken_inside_a_word,
    _narrow_page,
    _overflow,
    wuhan,  # noqa: F401 (an autouse fixture: the demo's identity in the footer)
)

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.media_urlconf")]

published = test_public.published


@pytest.fixture
def code(enrollment) -> str:
    return codes_issue(enrollment, 1)[0]


def test_the_switch_turns_the_rating_page_into_the_elder_mode(phone_page, site, code):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    page.get_by_role("button", name="长辈版（大字）").tap()
    expect(page.locator("html")).to_have_class("elder")
    expect(page.get_by_role("heading", level=1)).to_have_text("汉口春天")  # the same page
    sizes = page.evaluate(
        """() => {
          const px = (el, prop) => parseFloat(getComputedStyle(el)[prop]);
          const p = document.querySelector('main p');
          const choice = document.querySelector('.choice span').getBoundingClientRect();
          const button = document.querySelector('button.button-large').getBoundingClientRect();
          return {text: px(p, 'fontSize'), line: px(document.body, 'lineHeight') / px(document.body, 'fontSize'),
                  choice: choice.height, button: button.height};
        }"""
    )
    assert sizes["text"] >= 18  # main text at least 18 px (APP 规范 1.1: 18 dp/pt)
    assert sizes["line"] >= 1.3 * 1.3  # line spacing (APP 规范 1.2)
    assert sizes["choice"] >= 60 and sizes["button"] >= 60  # targets (APP 规范 2.1: 60×60)
    page.get_by_role("button", name="标准版").tap()
    expect(page.locator("html")).not_to_have_class("elder")


PAGES = ["/", "RATING", "RATING-ERRORS", "/search/?q=hkct", "COMMUNITY", "/lists/2020/420104/"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_elder_mode_fits_320_px_and_passes_axe(
    browser, site, published, community, code, axe, language
):
    context, page = _narrow_page(browser, site, 320, language)
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "manyi_elder", "value": "1", "domain": host, "path": "/"}])
    try:
        problems = {}
        for name in PAGES:
            address = {
                "RATING": f"/r/{code}",
                "RATING-ERRORS": f"/r/{code}",
                "COMMUNITY": f"/communities/{community.pk}/",
            }.get(name, name)
            page.goto(site + address)
            if name == "RATING-ERRORS":
                page.locator("button.button-large").tap()
                expect(page.locator("#error-summary")).to_be_focused()
            expect(page.locator("html")).to_have_class("elder")
            found = _overflow(page)
            if found["scroll"] > found["inner"]:
                problems[name] = found
            assert _labels_broken_inside_a_word(page) == [], name
            violations = axe(page)
            if violations:
                problems[name + " axe"] = violations
        assert problems == {}
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_normal_mode_passes_axe_in_both_languages_on_a_phone(
    browser, site, published, community, code, axe, language
):
    context, page = _narrow_page(browser, site, 360, language)
    try:
        problems = {}
        for name in PAGES:
            address = {
                "RATING": f"/r/{code}",
                "RATING-ERRORS": f"/r/{code}",
                "COMMUNITY": f"/communities/{community.pk}/",
            }.get(name, name)
            page.goto(site + address)
            if name == "RATING-ERRORS":
                page.locator("button.button-large").tap()
                expect(page.locator("#error-summary")).to_be_focused()
            violations = axe(page)
            if violations:
                problems[name] = violations
        assert problems == {}
    finally:
        context.close()
