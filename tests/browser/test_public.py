"""The public in a real browser: a resident finds their community with the search
box, opens it and sees its photos; the main public pages pass axe-core."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from showcases.models import ModerationStatus, Showcase, ShowcaseItem
from tests.conftest import make_campaign
from tests.portal.test_portal import publish
from uploads import photos

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.media_urlconf")]


def jpeg(width=900, height=600) -> SimpleUploadedFile:
    image = Image.new("RGB", (width, height), (220, 235, 250))
    ImageDraw.Draw(image).rectangle((100, 100, 500, 400), fill=(40, 90, 170))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def published(site, community, city_officer, qiaokou_reviewer, criteria):
    campaign = make_campaign(slug="2020", name="2020年评选", min_responses=20)
    enrollments = publish(campaign, {community: (36, 4)}, city_officer, qiaokou_reviewer)
    enrollment = enrollments[community.pk]
    showcase = Showcase.objects.create(enrollment=enrollment, headline="坚守岗位，守土有责")
    item = ShowcaseItem.objects.create(
        showcase=showcase,
        kind="photo",
        criterion=criteria[0],
        body="垃圾清扫清运",
        status=ModerationStatus.APPROVED,
    )
    photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    return campaign


def test_a_resident_finds_their_community_and_sees_its_photos(phone_page, site, published):
    page = phone_page
    page.goto(f"{site}/")
    page.get_by_role("searchbox").fill("hkct")
    page.get_by_role("button", name="搜索").tap()
    expect(page.get_by_text("在名单中").first).to_be_visible()
    page.get_by_role("link", name="汉口春天").first.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("汉口春天")
    expect(page.get_by_text("画说基本服务")).to_be_visible()
    photo = page.get_by_role("img", name="垃圾清扫清运")
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    # A real, decoded photo, in the best format the browser takes from the <picture>
    # (Chromium decodes AVIF); the JPEG stays the <img>'s own source, the fallback.
    assert photo.evaluate("img => img.currentSrc").endswith(".avif")
    assert photo.evaluate("img => img.getAttribute('src')").endswith(".jpg")
    assert photo.evaluate("img => img.parentElement.tagName") == "PICTURE"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=hkct",
        "/search/?q=不存在",
        "/lists/2020/",
        "/lists/2020/420104/",
        "COMMUNITY",
        "/notice/2020/",
    ],
)
def test_public_pages_have_no_serious_accessibility_violations(
    desktop_page, site, published, community, axe, path
):
    page = desktop_page
    if path == "COMMUNITY":
        path = f"/communities/{community.pk}/"
    page.goto(site + path)
    assert axe(page) == []
