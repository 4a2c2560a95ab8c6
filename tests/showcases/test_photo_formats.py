"""Showcase photos in WebP and AVIF through <picture>, the JPEG as fallback (issue 14,
item 7): written when a photo is saved, given to older photos by a command, deleted
with the photo, and on the public community page with width and height."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from showcases import services as showcases
from showcases.models import ModerationStatus, Showcase, ShowcaseItem
from tests.portal import test_portal
from uploads import photos

pytestmark = pytest.mark.django_db

world = test_portal.world


def jpeg(size=(2000, 1000)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 160, 200)).save(buffer, "JPEG", quality=90)
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


def stored(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def opened(settings, name: str) -> Image.Image:
    return Image.open(Path(settings.MEDIA_ROOT) / name)


def new_item(enrollment, body="垃圾清扫清运") -> ShowcaseItem:
    return ShowcaseItem(
        showcase=showcases.showcase_for(enrollment),
        kind="photo",
        body=body,
        status=ModerationStatus.APPROVED,
    )


def test_this_pillow_writes_webp_and_avif():
    # The lock pins a Pillow whose wheels carry libwebp and libavif: if a build lacks
    # AVIF the pages still work (WebP and JPEG), but this says so.
    assert photos.modern_formats() == ("avif", "webp")


def test_a_saved_photo_has_each_size_in_webp_and_avif_beside_its_jpeg(enrollment, settings):
    item = new_item(enrollment)
    photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    item.refresh_from_db()
    assert item.image_formats == "avif webp"
    assert photos.item_formats(item) == ["avif", "webp"]
    jpegs = [item.image.name, item.image_small.name, item.image_medium.name]
    expected = set(jpegs)
    for fmt, pil_name in [("avif", "AVIF"), ("webp", "WEBP")]:
        for name, width in zip(jpegs, [1600, 480, 960], strict=True):
            derived = photos.modern_name(name, fmt)
            assert derived == name[: -len(".jpg")] + f".{fmt}"
            image = opened(settings, derived)
            assert image.format == pil_name
            assert image.size == opened(settings, name).size and image.width == width
            assert not image.getexif()  # no EXIF in the new files either
            expected.add(derived)
    assert stored(settings) == expected


def test_only_the_formats_configured_and_none_gives_a_plain_img(enrollment, settings):
    settings.PHOTO_MODERN_FORMATS = ("webp",)
    item = new_item(enrollment)
    photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    assert item.image_formats == "webp"
    assert not [n for n in stored(settings) if n.endswith(".avif")]

    settings.PHOTO_MODERN_FORMATS = ()
    plain = new_item(enrollment, body="绿化")
    photos.save_showcase_photo(plain, photos.process_upload(jpeg()))
    assert plain.image_formats == ""
    from showcases.templatetags.showcase_photos import showcase_img

    markup = showcase_img(plain)
    assert markup.startswith("<img ") and "<picture>" not in markup


def test_replacing_and_deleting_a_photo_removes_its_modern_files(
    enrollment, settings, django_capture_on_commit_callbacks
):
    item = new_item(enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    first = stored(settings)
    assert len(first) == 9
    with django_capture_on_commit_callbacks(execute=True):
        photos.save_showcase_photo(item, photos.process_upload(jpeg((1200, 900))))
    second = stored(settings)
    assert len(second) == 9 and not first & second
    with django_capture_on_commit_callbacks(execute=True):
        photos.delete_showcase_photo(item)
    assert stored(settings) == set()


def test_the_public_page_serves_the_photo_through_picture(client, world, settings):
    campaign, enrollments, *_ = world
    enrollment = next(iter(enrollments.values()))
    item = new_item(enrollment)
    photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    page = client.get(reverse("community", args=[enrollment.community_id])).content.decode()

    picture = re.search(r"<picture>.*?</picture>", page, re.S)
    assert picture, "no <picture> on the community page"
    markup = picture.group(0)
    sources = re.findall(r'<source type="([^"]+)" srcset="([^"]+)" sizes="([^"]+)">', markup)
    assert [t for t, _s, _z in sources] == ["image/avif", "image/webp"]  # best first
    media = settings.MEDIA_URL
    for content_type, srcset, sizes in sources:
        fmt = content_type.split("/")[1]
        assert srcset == ", ".join(
            f"{media}{photos.modern_name(getattr(item, f).name, fmt)} {w}w"
            for f, w in [("image_small", 480), ("image_medium", 960), ("image", 1600)]
        )
        assert sizes == "(min-width: 36rem) 20rem, 100vw"
    img = re.search(r"<img [^>]*>", markup).group(0)  # the JPEG fallback, last
    assert markup.endswith(img + "</picture>")
    assert f'src="{media}{item.image_medium.name}"' in img
    assert 'width="1600" height="800"' in img and 'alt="垃圾清扫清运"' in img


def test_the_command_gives_older_photos_their_formats_once(enrollment, settings):
    settings.PHOTO_MODERN_FORMATS = ()  # as before issue 14: JPEGs only
    old = new_item(enrollment)
    photos.save_showcase_photo(old, photos.process_upload(jpeg()))
    text_only = ShowcaseItem.objects.create(
        showcase=old.showcase, kind="story", body="暖心故事", status=ModerationStatus.APPROVED
    )
    assert len(stored(settings)) == 3
    del settings.PHOTO_MODERN_FORMATS

    out = io.StringIO()
    call_command("showcase_photo_formats", "--dry-run", stdout=out)
    assert "1 photo(s) lack avif, webp" in out.getvalue()
    assert len(stored(settings)) == 3

    out = io.StringIO()
    call_command("showcase_photo_formats", stdout=out)
    assert "1 of 1 photo(s) given avif, webp" in out.getvalue()
    old.refresh_from_db()
    assert old.image_formats == "avif webp"
    assert len(stored(settings)) == 9
    webp = opened(settings, photos.modern_name(old.image_small.name, "webp"))
    assert webp.format == "WEBP" and webp.size == (480, 240)
    text_only.refresh_from_db()
    assert text_only.image_formats == ""

    out = io.StringIO()
    call_command("showcase_photo_formats", stdout=out)  # twice: nothing to do
    assert "0 of 0" in out.getvalue() and len(stored(settings)) == 9


def test_a_leftover_of_an_interrupted_run_is_written_anew(enrollment, settings):
    settings.PHOTO_MODERN_FORMATS = ()
    item = new_item(enrollment)
    photos.save_showcase_photo(item, photos.process_upload(jpeg()))
    del settings.PHOTO_MODERN_FORMATS
    half = Path(settings.MEDIA_ROOT) / photos.modern_name(item.image.name, "webp")
    half.write_bytes(b"cut off")
    assert photos.add_modern_formats(item) == ["avif", "webp"]
    assert opened(settings, photos.modern_name(item.image.name, "webp")).format == "WEBP"
    assert len(stored(settings)) == 9  # no "…_aBc12.webp" beside it
    assert Showcase.objects.count() == 1


def test_staff_only_photos_are_not_given_modern_formats(monkeypatch):
    from uploads.private_media import private_photo

    def never(*args):
        raise AssertionError("a staff-only photo was encoded as WebP or AVIF")

    monkeypatch.setattr(photos, "_encoded", never)
    processed = photos.process_upload(jpeg(), modern=False)
    assert processed.modern == {}
    content = private_photo(jpeg())
    assert Image.open(io.BytesIO(content.read())).format == "JPEG"
