"""Every phone: the rating page and the public pages fit a 320, 360 and 390 px wide
screen in Chinese and in English, with no sideways scroll, and no answer button breaks
its label inside a word ("基本满/意", "Unsatis-fied"). And a screen reader can recover
from a failed submit: focus on an error summary whose items lead to the questions,
each question with its error tied to it."""

import re

import pytest
from playwright.sync_api import expect

from evaluations.households import codes_issue
from tests.browser import test_public
from tests.browser.conftest import _page

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.media_urlconf")]

published = test_public.published  # the fixture: 汉口春天 on the 2020 list, with a photo


@pytest.fixture(autouse=True)
def wuhan(settings):
    """The demo's identity, as `make run` sets it: the footer's longest lines."""
    settings.SITE_ISSUER = "武汉市住房保障和房屋管理局"
    settings.SITE_ISSUER_EN = "Wuhan Housing Security and Management Bureau"
    settings.SITE_CITY, settings.SITE_CITY_EN = "武汉市", "Wuhan"
    settings.SITE_ICP = "鄂ICP备00000000号（演示）"
    settings.SITE_PSB = "鄂公网安备00000000000000号（演示）"
    settings.SITE_DEMO = True


WIDTHS = [320, 360, 390]
LANGUAGES = ["zh-hans", "en"]
LONG_QUERY = "汉口春天小区" * 70  # 420 characters pasted into the search box


@pytest.fixture
def code(enrollment) -> str:
    return codes_issue(enrollment, 1)[0]


def _narrow_page(browser, site, width: int, language: str):
    context, page = _page(
        browser,
        viewport={"width": width, "height": 740},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    host = site.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [{"name": "django_language", "value": language, "domain": host, "path": "/"}]
    )
    return context, page


def _overflow(page) -> dict:
    """How much wider than the screen the page is, and which elements stick out."""
    return page.evaluate(
        """() => {
          // A phone's browser widens its layout viewport (innerWidth) to a page that
          // overflows and zooms out: the screen's width is what the resident has.
          const width = Math.min(window.innerWidth, screen.width);
          const wide = [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .slice(0, 5)
            .map(el => el.tagName + '.' + el.className + ': ' + el.textContent.slice(0, 30));
          return {scroll: document.documentElement.scrollWidth, inner: width, wide};
        }"""
    )


def _labels_broken_inside_a_word(page) -> list[str]:
    """Answer labels whose text runs over more than one line. Each label is short
    (满意, 基本满意, Basically satisfied): two lines means a word was cut."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.choice span')].filter(span => {
             const range = document.createRange();
             range.selectNodeContents(span);
             const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
             return tops.size > 1;
           }).map(span => span.textContent)"""
    )


PAGES = {
    "home": lambda pk, code: "/",
    "code entry": lambda pk, code: "/r/",
    "code entry, mistyped": lambda pk, code: "/r/?code=K7QM-X2PA",
    "rating": lambda pk, code: f"/r/{code}",
    "search": lambda pk, code: "/search/?q=hkct",
    "search, nothing found": lambda pk, code: "/search/?q=不存在的小区",
    "search, a pasted page of text": lambda pk, code: f"/search/?q={LONG_QUERY}",
    "list": lambda pk, code: "/lists/2020/",
    "district": lambda pk, code: "/lists/2020/420104/",
    "community": lambda pk, code: f"/communities/{pk}/",
    "notice": lambda pk, code: "/notice/2020/",
    "receipt check": lambda pk, code: "/receipts/check/",
    "open data": lambda pk, code: "/open-data/",
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_page_fits_a_narrow_phone(
    browser,
    site,
    published,
    community,
    code,
    width,
    language,
):
    context, page = _narrow_page(browser, site, width, language)
    try:
        problems = {}
        for name, address in PAGES.items():
            page.goto(site + address(community.pk, code))
            found = _overflow(page)
            if found["scroll"] > found["inner"]:
                problems[name] = found
            if name == "rating":
                broken = _labels_broken_inside_a_word(page)
                assert page.locator(".choice span").count() == 18
                assert broken == [], f"answer labels wrap at {width}px ({language}): {broken}"
        assert problems == {}, f"pages wider than {width}px ({language}): {problems}"
    finally:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_rating_page_with_errors_fits_320_px(browser, site, code, language):
    context, page = _narrow_page(browser, site, 320, language)
    try:
        page.goto(f"{site}/r/{code}")
        page.locator("button.button-large").tap()
        expect(page.locator("#error-summary")).to_be_visible()
        found = _overflow(page)
        assert found["scroll"] <= found["inner"], found
        assert _labels_broken_inside_a_word(page) == []
    finally:
        context.close()


def test_the_width_check_catches_a_page_that_scrolls_sideways(desktop_page):
    """The check itself: an answer label forced onto two lines and a wide block."""
    desktop_page.set_viewport_size({"width": 320, "height": 600})
    desktop_page.set_content(
        '<html><body style="margin:0"><div style="width:400px">wide</div>'
        '<label class="choice"><span style="display:block;width:2.5em">基本满意</span></label>'
        "</body></html>"
    )
    assert _overflow(desktop_page)["scroll"] > 320
    assert _labels_broken_inside_a_word(desktop_page) == ["基本满意"]


# --- a screen reader can recover ------------------------------------------------------


def test_after_a_failed_submit_focus_is_on_an_error_summary_that_leads_to_each_question(
    phone_page, site, code, axe
):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    groups = page.get_by_role("radiogroup")
    expect(groups).to_have_count(6)
    groups.nth(0).get_by_role("radio", name="满意", exact=True).tap()  # the rest missing
    page.get_by_role("button", name="提交评议").tap()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    links = summary.get_by_role("link")
    expect(links).to_have_count(5)  # the five criteria; the overall answer was given
    expect(links.first).to_contain_text("基本服务到位")

    # Each question with an error says so, and names its message.
    for i in range(1, 6):
        group = groups.nth(i)
        expect(group).to_have_attribute("aria-invalid", "true")
        described = group.get_attribute("aria-describedby").split()
        error = page.locator(f"#{described[0]}")
        expect(error).to_have_text("请回答此项。")
        expect(group).to_have_accessible_description(re.compile("^请回答此项。"))
    expect(groups.nth(0)).not_to_have_attribute("aria-invalid", "true")
    # The overall answer given is kept.
    expect(groups.nth(0).get_by_role("radio", name="满意", exact=True)).to_be_checked()

    # Following an item of the summary lands on that question's first answer.
    links.nth(2).click()
    expect(groups.nth(3).get_by_role("radio").first).to_be_focused()
    assert axe(page) == []


def test_the_comment_hint_is_the_comment_boxs_description(phone_page, site, code):
    page = phone_page
    page.goto(f"{site}/r/{code}")
    comment = page.get_by_role("textbox")
    described = comment.get_attribute("aria-describedby")
    hint = page.locator(f"#{described}")
    expect(hint).to_contain_text("请勿填写姓名或门牌号")
    expect(comment).to_have_accessible_description(hint.inner_text())
