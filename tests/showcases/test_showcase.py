"""Showcases (风采展示): a property company sends photos, figures, highlights and
stories for its own communities; the bureau approves or rejects them before
the public sees them; company replies likewise. Photos are accepted only when
they decode as JPEG, PNG or WebP, bounded in bytes and pixels, turned upright
and re-encoded without EXIF (issue 4, item 3)."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image, PngImagePlugin

from accounts.models import StaffProfile
from communities.models import Community, PropertyCompany
from demo import images as demo_images
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry, Campaign
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import publication_publish_preliminary
from showcases import services as showcases
from showcases.models import CompanyReply, ModerationStatus, ShowcaseItem
from tests.conftest import add_ratings, make_campaign, make_staff
from uploads import photos
from uploads.photos import PhotoRejected, process_upload


@pytest.fixture(autouse=True)
def _english(client, settings):
    """These tests read the messages in English (the Chinese are checked by the i18n
    tests): the services' messages and the pages the client fetches."""
    from django.utils import translation

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

CAPTION = "对电梯轿厢进行消毒"
ORIENTATION, GPS_IFD = 0x0112, 0x8825


# --- files -----------------------------------------------------------------------------


def jpeg_bytes(size=(800, 600), colour=(120, 160, 200), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def noisy_jpeg(size=(1200, 900)) -> bytes:
    """A JPEG that does not compress well (random pixels), to reach a byte size."""
    import os

    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bomb(width: int, height: int) -> bytes:
    """A valid one-bit PNG of width × height white pixels: a few kilobytes on the
    wire, `width * height` pixels once decoded."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def per_photo() -> int:
    """Files one photo leaves: three JPEG sizes and the same in each modern format."""
    return 3 * (1 + len(photos.modern_formats()))


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def decoded(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


def gps_exif(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS_IFD).update(
        {1: "N", 2: (30.0, 34.0, 51.0), 3: "E", 4: (114.0, 14.0, 31.0)}  # 汉口, roughly
    )
    return exif


# --- photos: what is accepted, what is refused -------------------------------------------


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name():
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    for name, data in [("photo.jpg", pdf), ("photo.png", b"just some text\n" * 50)]:
        with pytest.raises(PhotoRejected, match="JPEG, PNG or WebP"):
            process_upload(upload(data, name))


def test_a_gif_decodes_but_is_not_an_accepted_format():
    buffer = io.BytesIO()
    Image.new("P", (400, 300)).save(buffer, "GIF")
    with pytest.raises(PhotoRejected, match="JPEG, PNG or WebP"):
        process_upload(upload(buffer.getvalue(), "photo.jpg"))


def test_a_truncated_jpeg_is_refused():
    data = noisy_jpeg((600, 400))
    with pytest.raises(PhotoRejected, match="damaged or incomplete"):
        process_upload(upload(data[: len(data) // 2]))


def test_a_png_with_a_broken_checksum_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF  # flip bits inside the compressed pixels
    with pytest.raises(PhotoRejected, match="damaged or incomplete"):
        process_upload(upload(bytes(data), "photo.png"))


def test_an_oversized_file_is_refused_before_it_is_read(settings):
    settings.PHOTO_MAX_BYTES = 100 * 1024
    data = noisy_jpeg((600, 600))
    assert len(data) > settings.PHOTO_MAX_BYTES
    with pytest.raises(PhotoRejected, match=r"larger than 100\.0\s*KB"):
        process_upload(upload(data))


def test_the_default_byte_limit_is_eight_megabytes():
    assert photos.max_bytes() == 8 * 1024 * 1024
    assert photos.max_pixels() == 24_000_000  # a phone's photo (issue 11)


def test_a_decompression_bomb_is_refused_quickly_without_decoding_it(monkeypatch):
    bomb = png_bomb(20_000, 20_000)  # 400 megapixels
    assert len(bomb) < 200_000

    def decoded(*args, **kwargs):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", decoded)
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "verify", decoded)
    started = time.monotonic()
    with pytest.raises(PhotoRejected, match="more than 24 megapixels"):
        process_upload(upload(bomb, "bomb.png", "image/png"))
    assert time.monotonic() - started < 1


def test_an_image_over_the_pixel_limit_is_refused_with_its_size(monkeypatch, settings):
    settings.PHOTO_MAX_PIXELS = 4_000_000
    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", lambda self: 1 / 0)
    with pytest.raises(PhotoRejected, match="3000 × 3000 pixels, more than 4 megapixels"):
        process_upload(upload(png_bomb(3000, 3000), "big.png", "image/png"))


def test_the_39_megapixel_png_of_the_review_is_refused_anonymously(client, db):
    """Issue 11: a 131 KB PNG of 39.7 megapixels was accepted through the objection
    form (~270 MB to decode)."""
    bomb = png_bomb(7000, 5675)  # 39.7 megapixels
    with pytest.raises(PhotoRejected, match="7000 × 5675 pixels, more than 24 megapixels"):
        process_upload(upload(bomb, "bomb.png", "image/png"))


def test_a_phone_photo_of_24_megapixels_is_accepted(monkeypatch):
    monkeypatch.setattr(photos, "_process", lambda data, **options: "processed")
    # 6000 × 4000 = 24 MP: the header check passes; the decode itself is stubbed out.
    assert photos.max_pixels() >= 6000 * 4000


def test_decodes_are_capped_per_process_with_a_clear_busy_message(settings, monkeypatch):
    settings.PHOTO_CONCURRENT_DECODES = 2
    settings.PHOTO_DECODE_WAIT_SECONDS = 0.1
    monkeypatch.setattr(photos, "_decode_slots", None)
    monkeypatch.setattr(photos, "_process", lambda data, **options: "processed")
    data = jpeg_bytes((400, 300))
    slots = photos._slots()
    assert slots.acquire(timeout=1) and slots.acquire(timeout=1)  # two decodes running
    try:
        with pytest.raises(photos.PhotoBusy, match="busy with other photos"):
            process_upload(upload(data))
    finally:
        slots.release()
    assert process_upload(upload(data)) == "processed"  # a slot is free: it goes through
    slots.release()


def test_a_tiny_image_is_refused():
    with pytest.raises(PhotoRejected, match="too small"):
        process_upload(upload(jpeg_bytes((120, 90))))


def test_gps_exif_is_removed_and_the_photo_turned_upright():
    # Stored landscape, 400 × 300, with a red block in its top left corner;
    # orientation 6 says: turn 90° clockwise to view it.
    original = Image.new("RGB", (400, 300), (200, 200, 200))
    original.paste((220, 0, 0), (0, 0, 60, 60))
    buffer = io.BytesIO()
    original.save(
        buffer,
        "JPEG",
        quality=95,
        exif=gps_exif(6).tobytes(),
        comment=b"taken at home",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><exif:GPSLatitude>30,34N</exif:GPSLatitude>'
        b"</x:xmpmeta>",
    )
    sent = buffer.getvalue()
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the GPS is really there
    assert b"Exif" in sent and b"xmpmeta" in sent

    processed = process_upload(upload(sent))

    assert (processed.width, processed.height) == (300, 400)  # upright: portrait
    for content in (processed.image, processed.small, processed.medium):
        content.seek(0)
        data = content.read()
        for marker in (b"Exif", b"GPS", b"xmpmeta", b"PhoneMaker", b"taken at home"):
            assert marker not in data
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "xmp" not in image.info
    upright = decoded(processed.image).convert("RGB")
    red, green, _blue = upright.getpixel((upright.width - 10, 10))
    assert red > 150 and green < 80  # the top left corner is now the top right one


def test_webp_and_png_are_accepted_and_served_as_jpeg():
    webp = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(webp, "WEBP")
    processed = process_upload(upload(webp.getvalue(), "photo.webp", "image/webp"))
    assert (processed.width, processed.height) == (640, 480)
    assert decoded(processed.image).format == "JPEG"

    # A transparent PNG: the transparency becomes white, not black.
    png = io.BytesIO()
    transparent = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    transparent.paste((0, 0, 200, 255), (0, 0, 100, 100))
    transparent.save(png, "PNG")
    processed = process_upload(upload(png.getvalue(), "photo.png", "image/png"))
    image = decoded(processed.image).convert("RGB")
    assert image.getpixel((400, 300)) >= (245, 245, 245)
    assert image.getpixel((20, 20))[2] > 150


def test_a_jpeg_with_extra_pictures_is_a_jpeg():
    """Phones and cameras add depth maps or HDR gain maps (MPO to Pillow)."""
    buffer = io.BytesIO()
    first, depth = Image.new("RGB", (400, 300), "red"), Image.new("RGB", (400, 300), "blue")
    first.save(buffer, "MPO", save_all=True, append_images=[depth])
    processed = process_upload(upload(buffer.getvalue()))
    image = decoded(processed.image)
    assert image.format == "JPEG" and image.size == (400, 300)
    assert image.convert("RGB").getpixel((200, 150))[0] > 200  # the first picture


def test_the_photo_and_its_narrower_versions_for_srcset():
    processed = process_upload(upload(jpeg_bytes((2400, 1600))))
    assert (processed.width, processed.height) == (1600, 1067)
    assert decoded(processed.image).size == (1600, 1067)
    assert decoded(processed.small).size == (480, 320)
    assert decoded(processed.medium).size == (960, 640)

    narrow = process_upload(upload(jpeg_bytes((600, 400))))  # never enlarged
    assert decoded(narrow.image).size == (600, 400)
    assert decoded(narrow.small).size == (480, 320)
    assert decoded(narrow.medium).size == (600, 400)


def test_save_showcase_photo_uses_random_names_and_srcset_lists_each_size(enrollment, settings):
    item = ShowcaseItem(
        showcase=showcases.showcase_for(enrollment), kind="photo", body=CAPTION, criterion=None
    )
    photos.save_showcase_photo(item, process_upload(upload(jpeg_bytes((2000, 1000)))))
    assert item.pk and item.image_width == 1600 and item.image_height == 800
    assert item.image.name.startswith("showcases/") and "photo" not in item.image.name
    assert len(stored_files(settings)) == per_photo()
    srcset = photos.photo_srcset(item)
    assert srcset == (
        f"{item.image_small.url} 480w, {item.image_medium.url} 960w, {item.image.url} 1600w"
    )


# --- submission by the company ---------------------------------------------------------


@pytest.fixture
def basic(enrollment):
    return enrollment.campaign.criteria.get(code="basic-service")


def add_url(enrollment, kind="photo"):
    return reverse("console:showcase_add", args=[enrollment.pk, kind])


def test_a_company_sends_a_photo_for_its_community(
    client, company_staffer, enrollment, basic, settings
):
    client.force_login(company_staffer)
    page = client.get(reverse("console:showcase", args=[enrollment.pk]))
    assert "汉口春天" in page.content.decode()

    response = client.post(
        add_url(enrollment),
        {"photo": upload(jpeg_bytes((1200, 900))), "criterion": basic.pk, "body": CAPTION},
    )

    assert response.status_code == 302
    item = ShowcaseItem.objects.get()
    assert item.status == ModerationStatus.PENDING
    assert (item.kind, item.criterion, item.body) == ("photo", basic, CAPTION)
    assert item.submitted_by == company_staffer
    assert item.image and item.image_small and item.image_medium
    assert not item.image_is_illustration
    assert len(stored_files(settings)) == per_photo()
    audit = AuditEntry.objects.get(action="showcase_item_submitted")
    assert audit.enrollment == enrollment and CAPTION in audit.new_value
    # Not public until the bureau approves it.
    assert not ShowcaseItem.objects.approved().exists()

    page = client.get(reverse("console:showcase", args=[enrollment.pk])).content.decode()
    assert CAPTION in page and f'alt="{CAPTION}"' in page and "srcset=" in page


def test_a_non_image_upload_is_refused_with_the_message_and_nothing_written(
    client, company_staffer, enrollment, basic, settings
):
    client.force_login(company_staffer)
    response = client.post(
        add_url(enrollment),
        {
            "photo": upload(b"%PDF-1.4 not a photo", "photo.jpg"),
            "criterion": basic.pk,
            "body": CAPTION,
        },
    )
    assert response.status_code == 200
    assert "JPEG, PNG or WebP" in response.content.decode()
    assert not ShowcaseItem.objects.exists()
    assert stored_files(settings) == []
    assert not AuditEntry.objects.filter(action="showcase_item_submitted").exists()


def test_a_truncated_upload_is_refused_through_the_form(
    client, company_staffer, enrollment, basic, settings
):
    client.force_login(company_staffer)
    data = noisy_jpeg((800, 600))
    response = client.post(
        add_url(enrollment),
        {"photo": upload(data[:-4000]), "criterion": basic.pk, "body": CAPTION},
    )
    assert "damaged or incomplete" in response.content.decode()
    assert not ShowcaseItem.objects.exists() and stored_files(settings) == []


def test_figures_highlights_and_stories(client, company_staffer, enrollment):
    client.force_login(company_staffer)
    disinfection = enrollment.campaign.criteria.get(code="disinfection-cleaning")
    client.post(
        add_url(enrollment, "figure"),
        {
            "figure_value": 1800,
            "figure_unit": "户",
            "criterion": disinfection.pk,
            "body": "为居民发放84消毒液和清洁小喷壶，共计送达1800户。",
        },
    )
    client.post(
        add_url(enrollment, "highlight"),
        {"title": "消毒法宝", "body": "自制鞋底消毒池。", "criterion": ""},
    )
    client.post(
        add_url(enrollment, "story"),
        {"title": "寒风中的温暖专车", "body": "2月9日深夜……\n\n经救治，这位居民转危为安。"},
    )
    kinds = dict(ShowcaseItem.objects.values_list("kind", "title"))
    assert kinds == {"figure": "", "highlight": "消毒法宝", "story": "寒风中的温暖专车"}
    figure = ShowcaseItem.objects.get(kind="figure")
    assert (figure.figure_value, figure.figure_unit, figure.criterion) == (1800, "户", disinfection)
    assert list(ShowcaseItem.objects.order_by("order").values_list("order", flat=True)) == [1, 2, 3]

    # A figure without its unit is not saved; the form says what is missing.
    response = client.post(add_url(enrollment, "figure"), {"figure_value": 35, "body": "团购"})
    assert response.status_code == 200 and response.context["form"].errors["figure_unit"]
    assert ShowcaseItem.objects.count() == 3


def test_a_criterion_of_another_campaign_is_refused(company_staffer, enrollment):
    from evaluations.models import Criterion

    other = Criterion.objects.create(code="other-rule", name="别的条件")
    with pytest.raises(showcases.ShowcaseRefused):
        showcases.showcase_item_submit(
            enrollment,
            actor=company_staffer,
            kind="highlight",
            title="t",
            body="b",
            criterion=other,
        )


def test_another_companys_community_is_not_found(client, enrollment, basic, qiaokou):
    other = PropertyCompany.objects.create(name="别家物业有限公司")
    staffer = make_staff("other", StaffProfile.Role.COMPANY, company=other)
    client.force_login(staffer)
    for url in [reverse("console:showcase", args=[enrollment.pk]), add_url(enrollment)]:
        assert client.get(url).status_code == 404
    response = client.post(add_url(enrollment, "highlight"), {"title": "t", "body": "b"})
    assert response.status_code == 404
    assert not ShowcaseItem.objects.exists()


def test_the_company_that_serves_the_community_now_cannot_act_on_an_earlier_campaign(
    client, enrollment, company
):
    """The showcase is about the service during the campaign: the company that
    took over afterwards does not speak for it."""
    newcomer = PropertyCompany.objects.create(name="接管物业有限公司")
    Community.objects.filter(pk=enrollment.community_id).update(company=newcomer)
    staffer = make_staff("newcomer", StaffProfile.Role.COMPANY, company=newcomer)
    client.force_login(staffer)
    assert client.get(reverse("console:showcase", args=[enrollment.pk])).status_code == 404


def test_bureau_staff_cannot_submit(client, qiaokou_reviewer, city_officer, enrollment):
    for user in (qiaokou_reviewer, city_officer):
        client.force_login(user)
        assert client.get(add_url(enrollment, "highlight")).status_code == 403
        response = client.post(add_url(enrollment, "highlight"), {"title": "t", "body": "b"})
        assert response.status_code == 403
    assert not ShowcaseItem.objects.exists()


def test_uploads_are_rate_limited_per_user(
    client, company_staffer, enrollment, basic, settings, monkeypatch
):
    from console import showcase_forms

    settings.PHOTO_UPLOADS_RATE = "2/h"
    decoded = []
    monkeypatch.setattr(
        showcase_forms,
        "process_upload",
        lambda upload: decoded.append(upload.name) or process_upload(upload),
    )
    client.force_login(company_staffer)
    for _ in range(2):
        response = client.post(
            add_url(enrollment),
            {"photo": upload(jpeg_bytes()), "criterion": basic.pk, "body": CAPTION},
        )
        assert response.status_code == 302
    response = client.post(
        add_url(enrollment),
        {"photo": upload(jpeg_bytes()), "criterion": basic.pk, "body": CAPTION},
    )
    assert response.status_code == 200
    assert "too many photos" in response.content.decode()
    assert CAPTION in response.content.decode()  # what was typed is kept
    assert len(decoded) == 2  # the third photo was not even decoded
    assert ShowcaseItem.objects.count() == 2
    assert len(stored_files(settings)) == 2 * per_photo()
    # Text material is not an upload: still accepted.
    response = client.post(add_url(enrollment, "highlight"), {"title": "t", "body": "b"})
    assert response.status_code == 302


def test_an_archived_campaign_takes_no_more_material(client, company_staffer, enrollment):
    Campaign.objects.filter(pk=enrollment.campaign_id).update(status=Campaign.Status.ARCHIVED)
    client.force_login(company_staffer)
    response = client.post(add_url(enrollment, "highlight"), {"title": "t", "body": "b"})
    assert response.status_code == 302
    assert not ShowcaseItem.objects.exists()
    with pytest.raises(showcases.ShowcaseRefused, match="archived"):
        showcases.showcase_item_submit(
            enrollment, actor=company_staffer, kind="highlight", title="t", body="b"
        )


@pytest.mark.parametrize("status", Campaign.Status.values)
def test_submissions_are_open_in_every_status_but_archived(status):
    assert showcases.submissions_open(Campaign(status=status)) is (status != "archived")


def submit_highlight(enrollment, actor, title="宣传法宝", body="通过小喇叭宣传。"):
    return showcases.showcase_item_submit(
        enrollment, actor=actor, kind="highlight", title=title, body=body
    )


def test_a_rejected_item_is_changed_and_goes_back_to_review(
    client, company_staffer, qiaokou_reviewer, enrollment
):
    item = submit_highlight(enrollment, company_staffer)
    showcases.showcase_item_review(
        item, actor=qiaokou_reviewer, approve=False, note="请补充具体做法"
    )
    client.force_login(company_staffer)
    page = client.get(reverse("console:showcase", args=[enrollment.pk])).content.decode()
    assert "请补充具体做法" in page  # the company reads why

    response = client.post(
        reverse("console:showcase_item_edit", args=[item.pk]),
        {"title": "宣传法宝", "body": "通过小喇叭、电子屏、宣传栏、微信群宣传。"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == ModerationStatus.PENDING
    assert item.review_note == "" and item.reviewed_by is None
    assert "电子屏" in item.body
    audit = AuditEntry.objects.get(action="showcase_item_updated")
    assert "小喇叭宣传" in audit.old_value and "电子屏" in audit.new_value


def test_a_photo_is_replaced_and_the_old_files_deleted_after_commit(
    company_staffer, enrollment, basic, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = showcases.showcase_item_submit(
            enrollment,
            actor=company_staffer,
            kind="photo",
            criterion=basic,
            body=CAPTION,
            photo=process_upload(upload(jpeg_bytes())),
        )
    first = set(stored_files(settings))
    with django_capture_on_commit_callbacks(execute=True):
        showcases.showcase_item_update(
            item,
            actor=company_staffer,
            criterion=basic,
            body=CAPTION,
            photo=process_upload(upload(jpeg_bytes(colour=(10, 10, 10)))),
        )
    second = set(stored_files(settings))
    assert len(first) == len(second) == per_photo() and not first & second


def test_approved_material_cannot_be_changed_or_withdrawn_by_the_company(
    client, company_staffer, city_officer, enrollment
):
    item = submit_highlight(enrollment, company_staffer)
    showcases.showcase_item_review(item, actor=city_officer, approve=True)
    client.force_login(company_staffer)
    response = client.post(
        reverse("console:showcase_item_edit", args=[item.pk]), {"title": "改", "body": "改"}
    )
    assert response.status_code == 302
    client.post(reverse("console:showcase_item_withdraw", args=[item.pk]))
    item.refresh_from_db()
    assert (item.status, item.title) == (ModerationStatus.APPROVED, "宣传法宝")


def test_a_pending_photo_is_withdrawn_with_its_files(
    client, company_staffer, enrollment, basic, settings, django_capture_on_commit_callbacks
):
    item = showcases.showcase_item_submit(
        enrollment,
        actor=company_staffer,
        kind="photo",
        criterion=basic,
        body=CAPTION,
        photo=process_upload(upload(jpeg_bytes())),
    )
    client.force_login(company_staffer)
    url = reverse("console:showcase_item_withdraw", args=[item.pk])
    assert CAPTION in client.get(url).content.decode()  # asks first
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert not ShowcaseItem.objects.exists()
    assert stored_files(settings) == []
    assert CAPTION in AuditEntry.objects.get(action="showcase_item_withdrawn").old_value


def headline_actions():
    return list(
        AuditEntry.objects.filter(action__startswith="showcase_headline")
        .order_by("id")
        .values_list("action", "old_value", "new_value")
    )


def test_a_headline_waits_for_the_bureau_and_a_new_one_leaves_the_approved_one_public(
    client, company_staffer, qiaokou_reviewer, enrollment
):
    client.force_login(company_staffer)
    url = reverse("console:showcase_headline", args=[enrollment.pk])
    client.post(url, {"headline": "坚守岗位，守土有责", "subheadline": "战疫路上亮出物业担当"})
    enrollment.showcase.refresh_from_db()
    assert (enrollment.showcase.headline, enrollment.showcase.subheadline) == ("", "")
    page = client.get(reverse("console:showcase", args=[enrollment.pk])).content.decode()
    assert "<dt>Awaiting the bureau's review</dt>" in page
    assert "<dd>坚守岗位，守土有责 / 战疫路上亮出物业担当</dd>" in page
    # Changed while waiting: the waiting proposal changes, nothing is doubled.
    client.post(url, {"headline": "坚守岗位，守土尽责", "subheadline": "战疫路上亮出物业担当"})
    proposal = enrollment.showcase.headline_proposals.get()
    assert proposal.status == ModerationStatus.PENDING and proposal.headline == "坚守岗位，守土尽责"

    client.force_login(qiaokou_reviewer)
    queue = client.get(reverse("console:moderation")).content.decode()
    assert "坚守岗位，守土尽责" in queue and "Headlines awaiting review" in queue
    moderate = reverse("console:moderation_headline", args=[proposal.pk])
    client.post(moderate, {"decision": "reject", "note": ""})  # a rejection needs a reason
    proposal.refresh_from_db()
    assert proposal.status == ModerationStatus.PENDING
    client.post(moderate, {"decision": "approve"})
    enrollment.showcase.refresh_from_db()
    assert enrollment.showcase.headline == "坚守岗位，守土尽责"
    assert client.post(moderate, {"decision": "reject", "note": "晚了"}).status_code == 302
    assert enrollment.showcase.headline_proposals.get().status == ModerationStatus.APPROVED

    client.force_login(company_staffer)
    client.post(url, {"headline": "全市第一", "subheadline": ""})
    enrollment.showcase.refresh_from_db()
    assert enrollment.showcase.headline == "坚守岗位，守土尽责"  # the approved one stays
    # Back to the public text: what was waiting is withdrawn.
    client.post(url, {"headline": "坚守岗位，守土尽责", "subheadline": "战疫路上亮出物业担当"})
    assert not enrollment.showcase.headline_proposals.filter(status="pending").exists()
    # Both lines cleared: the public headline comes down at once.
    client.post(url, {"headline": "", "subheadline": ""})
    enrollment.showcase.refresh_from_db()
    assert enrollment.showcase.headline == ""
    both = "坚守岗位，守土有责 / 战疫路上亮出物业担当"
    changed = "坚守岗位，守土尽责 / 战疫路上亮出物业担当"
    assert headline_actions() == [
        ("showcase_headline_submitted", "", both),
        ("showcase_headline_submitted", both, changed),
        ("showcase_headline_approved", "", changed),
        ("showcase_headline_submitted", changed, "全市第一"),
        ("showcase_headline_withdrawn", "全市第一", ""),
        ("showcase_headline_removed", changed, ""),
    ]


def test_headlines_are_moderated_within_the_moderators_districts(
    client, company_staffer, jiangan_reviewer, qiaokou_reviewer, enrollment
):
    proposal = showcases.showcase_headline_set(enrollment, actor=company_staffer, headline="邻里")
    client.force_login(jiangan_reviewer)
    assert "邻里" not in client.get(reverse("console:moderation")).content.decode()
    url = reverse("console:moderation_headline", args=[proposal.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 404
    assert client.get(url).status_code == 405
    proposal.refresh_from_db()
    assert proposal.status == ModerationStatus.PENDING
    assert not AuditEntry.objects.filter(action="showcase_headline_approved").exists()
    client.force_login(qiaokou_reviewer)
    assert "邻里" in client.get(reverse("console:moderation")).content.decode()
    client.post(url, {"decision": "approve"})
    assert AuditEntry.objects.filter(action="showcase_headline_approved").count() == 1
    with pytest.raises(showcases.ShowcaseRefused, match="already the public headline"):
        showcases.showcase_headline_set(enrollment, actor=company_staffer, headline="邻里")


def test_nothing_to_remove_and_nothing_new_are_refused_plainly(client, company_staffer, enrollment):
    with pytest.raises(showcases.ShowcaseRefused, match="no headline to remove"):
        showcases.showcase_headline_set(enrollment, actor=company_staffer, headline="")
    client.force_login(company_staffer)
    response = client.post(
        reverse("console:showcase_headline", args=[enrollment.pk]),
        {"headline": "", "subheadline": ""},
        follow=True,
    )
    assert "There is no headline to remove." in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="showcase_headline").exists()


def test_the_company_list_shows_its_communities_with_counts(client, company_staffer, enrollment):
    submit_highlight(enrollment, company_staffer)
    client.force_login(company_staffer)
    response = client.get(reverse("console:showcases"))
    page = response.content.decode()
    assert "汉口春天" in page
    row = response.context["page"].object_list[0]
    assert (row.n_pending, row.n_approved, row.n_rejected) == (1, 0, 0)


# --- moderation by the bureau ----------------------------------------------------------


@pytest.fixture
def pending_photo(company_staffer, enrollment, basic):
    return showcases.showcase_item_submit(
        enrollment,
        actor=company_staffer,
        kind="photo",
        criterion=basic,
        body=CAPTION,
        photo=process_upload(upload(jpeg_bytes())),
    )


def moderate(client, item, decision, note=""):
    return client.post(
        reverse("console:moderation_item", args=[item.pk]), {"decision": decision, "note": note}
    )


def test_the_district_reviewer_sees_and_approves_pending_material(
    client, qiaokou_reviewer, pending_photo
):
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:moderation")).content.decode()
    assert CAPTION in page and "汉口春天" in page
    assert pending_photo.image_small.url in page  # the thumbnail
    assert f'alt="{CAPTION}"' in page

    response = moderate(client, pending_photo, "approve")
    assert response.status_code == 302
    pending_photo.refresh_from_db()
    assert pending_photo.status == ModerationStatus.APPROVED
    assert pending_photo.reviewed_by == qiaokou_reviewer
    assert list(ShowcaseItem.objects.approved()) == [pending_photo]
    assert AuditEntry.objects.filter(action="showcase_item_approved").count() == 1
    assert list(client.get(reverse("console:moderation")).context["page"].object_list) == []


def test_a_rejection_needs_a_reason(client, qiaokou_reviewer, pending_photo):
    client.force_login(qiaokou_reviewer)
    moderate(client, pending_photo, "reject")
    pending_photo.refresh_from_db()
    assert pending_photo.status == ModerationStatus.PENDING

    moderate(client, pending_photo, "reject", "照片与说明不符")
    pending_photo.refresh_from_db()
    assert pending_photo.status == ModerationStatus.REJECTED
    assert pending_photo.review_note == "照片与说明不符"
    assert not ShowcaseItem.objects.approved().exists()
    audit = AuditEntry.objects.get(action="showcase_item_rejected")
    assert audit.reason == "照片与说明不符" and audit.actor == qiaokou_reviewer

    # Decided once: a second decision is refused.
    moderate(client, pending_photo, "approve")
    pending_photo.refresh_from_db()
    assert pending_photo.status == ModerationStatus.REJECTED


def test_a_reviewer_of_another_district_neither_sees_nor_decides(
    client, jiangan_reviewer, city_officer, pending_photo
):
    client.force_login(jiangan_reviewer)
    response = client.get(reverse("console:moderation"))
    assert list(response.context["page"].object_list) == []
    assert CAPTION not in response.content.decode()
    assert moderate(client, pending_photo, "approve").status_code == 404
    pending_photo.refresh_from_db()
    assert pending_photo.status == ModerationStatus.PENDING

    client.force_login(city_officer)  # the city sees every district
    page = client.get(reverse("console:moderation"))
    assert list(page.context["page"].object_list) == [pending_photo]


def test_company_staff_cannot_moderate(client, company_staffer, pending_photo):
    client.force_login(company_staffer)
    assert client.get(reverse("console:moderation")).status_code == 403
    assert moderate(client, pending_photo, "approve").status_code == 403


# --- company replies -------------------------------------------------------------------


@pytest.fixture
def published(community, city_officer, qiaokou_reviewer):
    campaign = make_campaign(slug="replies", min_responses=20)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication_publish_preliminary(campaign, actor=city_officer)
    return enrollment


REPLY = "感谢居民的信任，我们将继续做好小区服务。"


def test_a_reply_stands_under_a_published_entry_only(company_staffer, enrollment):
    with pytest.raises(showcases.ShowcaseRefused, match="published list"):
        showcases.reply_submit(enrollment, actor=company_staffer, text=REPLY)


def test_a_company_replies_and_the_bureau_approves(
    client, company_staffer, qiaokou_reviewer, jiangan_reviewer, published
):
    client.force_login(company_staffer)
    url = reverse("console:showcase_reply", args=[published.pk])
    assert client.post(url, {"text": REPLY}).status_code == 302
    reply = CompanyReply.objects.get()
    assert (reply.status, reply.company, reply.text) == ("pending", published.company, REPLY)

    # One reply waits for review at a time.
    response = client.post(url, {"text": "再补充一句"})
    assert "reply is awaiting the bureau's review" in response.content.decode()
    assert CompanyReply.objects.count() == 1

    client.force_login(jiangan_reviewer)
    decide = reverse("console:moderation_reply", args=[reply.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404

    client.force_login(qiaokou_reviewer)
    assert REPLY in client.get(reverse("console:moderation")).content.decode()
    client.post(decide, {"decision": "reject"})
    reply.refresh_from_db()
    assert reply.status == "pending"  # a rejection needs a reason
    client.post(decide, {"decision": "approve"})
    reply.refresh_from_db()
    assert reply.status == "approved" and reply.reviewed_by == qiaokou_reviewer
    assert AuditEntry.objects.filter(action__in=["reply_submitted", "reply_approved"]).count() == 2


def test_a_reply_is_at_most_a_thousand_characters(client, company_staffer, published):
    client.force_login(company_staffer)
    url = reverse("console:showcase_reply", args=[published.pk])
    response = client.post(url, {"text": "好" * 1001})
    assert response.status_code == 200 and response.context["reply_form"].errors["text"]
    assert not CompanyReply.objects.exists()
    assert client.post(url, {"text": "好" * 1000}).status_code == 302


def test_a_rejected_reply_shows_its_reason_to_the_company(
    client, company_staffer, city_officer, published
):
    reply = showcases.reply_submit(published, actor=company_staffer, text=REPLY)
    showcases.reply_review(reply, actor=city_officer, approve=False, note="请删去联系电话")
    client.force_login(company_staffer)
    page = client.get(reverse("console:showcase", args=[published.pk])).content.decode()
    assert "请删去联系电话" in page
    # A new reply may be sent once the last one is decided.
    showcases.reply_submit(published, actor=company_staffer, text=REPLY + "（修改）")
    assert CompanyReply.objects.filter(status="pending").count() == 1


def test_a_district_reviewer_cannot_reply(client, qiaokou_reviewer, published):
    client.force_login(qiaokou_reviewer)
    url = reverse("console:showcase_reply", args=[published.pk])
    assert client.post(url, {"text": REPLY}).status_code == 403
    assert not CompanyReply.objects.exists()


# --- the demo's illustrations ----------------------------------------------------------


def test_the_demo_photos_are_drawn_illustrations(settings):
    call_command("load_demo", stdout=io.StringIO())
    photos_ = ShowcaseItem.objects.filter(kind="photo").select_related(
        "showcase__enrollment__community"
    )
    communities = {item.showcase.enrollment.community.name for item in photos_}
    assert communities == {"汉口春天", "融侨锦江", "汉江湾1号"}
    assert photos_.count() == 28
    for item in photos_:
        assert item.image_is_illustration
        assert item.image and item.image_small and item.image_medium
        assert item.image.storage.exists(item.image.name)
        assert decoded(item.image_small).width == 480
        assert (item.image_width, item.image_height) == (1200, 900)
    assert len(stored_files(settings)) == 28 * per_photo()

    # Idempotent: nothing left to draw, no new file.
    campaign = photos_[0].showcase.enrollment.campaign
    assert demo_images.illustrate_campaign(campaign) == 0
    assert len(stored_files(settings)) == 28 * per_photo()


def test_an_illustration_is_drawn_without_a_cjk_font(monkeypatch):
    monkeypatch.setattr(demo_images, "_cjk_font_source", lambda: None)
    png = demo_images.draw_illustration("垃圾清扫清运", None, "汉口春天")
    image = Image.open(io.BytesIO(png))
    assert image.size == (demo_images.WIDTH, demo_images.HEIGHT)
    process_upload(upload(png, "illustration.png", "image/png"))
