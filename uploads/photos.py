"""Uploaded photos: checked by decoding them, bounded, turned upright, re-encoded.

SPEC, “Qualities”: uploads are checked by decoding them, re-encoded, stripped
of EXIF (GPS) and bounded in bytes and pixels. What a person sends is never
served as sent: a file is accepted only if Pillow decodes it as JPEG, PNG or
WebP (whatever its name or content type says); its size is read from the
header and refused before decoding when it is too large (a decompression
bomb costs nothing to refuse); it is decoded completely, so a truncated or
corrupt file is refused; it is turned upright from its EXIF orientation and
written anew as a JPEG built from its pixels alone — no EXIF, GPS, XMP or
comments survive. Three sizes are kept for `srcset`: the photo (long edge at
most 1600 px) and versions 480 and 960 px wide (never enlarged).

Each size is also kept as WebP and, where this Pillow has an AVIF encoder, as AVIF
(issue 14): smaller files for a resident's phone, served through `<picture>` with
the JPEG as the fallback. Their names are the JPEG's with another suffix
(`…-480w.jpg` → `…-480w.webp`), so no column holds them; the item records which
formats it has (`image_formats`), so a page never asks the storage (S3) whether a
file exists. Photos stored before are given theirs by `manage.py
showcase_photo_formats` (showcases), which `add_modern_formats` does one at a time.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import secrets
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError, features

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
# Pillow names a JPEG with extra pictures "MPO" (cameras' depth maps, phones' HDR
# gain maps): it is a JPEG, and its first picture is the photo.
JPEG_FORMATS = {"JPEG", "MPO"}
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
# 24 megapixels: any phone's photo at its default setting (12–24 MP), while a PNG
# bomb's decode stays under about 100 MB (issue 11: 39.7 MP took ~270 MB).
DEFAULT_MAX_PIXELS = 24_000_000
# Decodes at once in one process, and how long an upload waits for its turn: four
# bombs in parallel took a server past 1 GB.
DEFAULT_CONCURRENT_DECODES = 2
DEFAULT_DECODE_WAIT_SECONDS = 10
MAIN_LONG_EDGE = 1600
SMALL_WIDTH = 480
MEDIUM_WIDTH = 960
MIN_EDGE = 200  # smaller than this is a thumbnail sent by mistake, not a photo
JPEG_QUALITY = 85
# The modern formats, best first (the order of the <source> elements): the browser
# takes the first it understands. Qualities chosen to look like the JPEG at 85.
MODERN_FORMATS = ("avif", "webp")
MODERN_CONTENT_TYPES = {"avif": "image/avif", "webp": "image/webp"}
WEBP_QUALITY = 80
AVIF_QUALITY = 60
AVIF_SPEED = 8  # libavif's 0 (slowest, smallest) to 10: 8 keeps an upload under a second
# The storages name a file's type from its suffix (S3's Content-Type, the static and
# media views): Python knows these two only where the system's mime.types does.
for _type, _suffix in (("image/avif", ".avif"), ("image/webp", ".webp")):
    mimetypes.add_type(_type, _suffix)

_SRGB = None

logger = logging.getLogger(__name__)


class PhotoRejected(ValueError):
    """The upload is not a photo we accept; str(error) says why, for the person."""


@dataclass(frozen=True)
class ProcessedPhoto:
    """A re-encoded photo and its two narrower versions, as JPEG files, and the same
    three in each modern format this server can write: {"webp": (image, small,
    medium), "avif": (…)}."""

    image: ContentFile
    small: ContentFile
    medium: ContentFile
    width: int
    height: int
    modern: dict = field(default_factory=dict)


def modern_formats() -> tuple[str, ...]:
    """The modern formats written here: PHOTO_MODERN_FORMATS (default: AVIF and WebP)
    that this Pillow can encode (AVIF needs Pillow built with libavif)."""
    wanted = getattr(settings, "PHOTO_MODERN_FORMATS", MODERN_FORMATS)
    return tuple(f for f in MODERN_FORMATS if f in wanted and features.check(f))


def max_bytes() -> int:
    return int(getattr(settings, "PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def derivative_widths(width: int) -> tuple[int, int]:
    """The widths of the small and medium versions of a photo `width` pixels wide."""
    return min(SMALL_WIDTH, width), min(MEDIUM_WIDTH, width)


def _too_large() -> PhotoRejected:
    return PhotoRejected(
        _("The file is larger than %(size)s; send a smaller photo.")
        % {"size": filesizeformat(max_bytes())}
    )


def _damaged() -> PhotoRejected:
    return PhotoRejected(
        _("The photo is damaged or incomplete (perhaps the upload was cut off); send it again.")
    )


def _too_many_pixels(width: int, height: int) -> PhotoRejected:
    return PhotoRejected(
        _(
            "The image is too large: %(width)d × %(height)d pixels, more than "
            "%(megapixels)d megapixels. Send a smaller one."
        )
        % {"width": width, "height": height, "megapixels": max(1, max_pixels() // 1_000_000)}
    )


def _read_bounded(upload) -> bytes:
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_large()
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        data = bytearray()
        for chunk in upload.chunks():
            data += chunk
            if len(data) > limit:
                raise _too_large()
        data = bytes(data)
    else:
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise _too_large()
    if not data:
        raise PhotoRejected(_("The file is empty; choose a photo."))
    return data


def _open(data: bytes) -> Image.Image:
    """Open (reading the header only) and check the format and the pixel count
    before anything is decoded."""
    try:
        image = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit, reached while reading the header: a bomb. Its size is
        # in the message only, so say it in general terms.
        raise PhotoRejected(
            _("The image has more than %(megapixels)d megapixels; send a smaller one.")
            % {"megapixels": max(1, max_pixels() // 1_000_000)}
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRejected(
            _("This file is not a photo we can read: send a JPEG, PNG or WebP image.")
        ) from None
    if image.format not in ACCEPTED_FORMATS | JPEG_FORMATS:
        raise PhotoRejected(
            _("This file is not a photo we can read: send a JPEG, PNG or WebP image.")
        )
    width, height = image.size
    if width * height > max_pixels():
        raise _too_many_pixels(width, height)
    if min(width, height) < MIN_EDGE:
        raise PhotoRejected(
            _(
                "The photo is too small (%(width)d × %(height)d pixels); send one at least "
                "%(min)d pixels on each side."
            )
            % {"width": width, "height": height, "min": MIN_EDGE}
        )
    return image


def _decode(data: bytes) -> Image.Image:
    """Verify the file's structure, then decode it completely (a truncated file
    fails here: Pillow refuses truncated images unless told otherwise)."""
    try:
        _open(data).verify()
        image = _open(data)
        if image.format in JPEG_FORMATS:
            # Decode at a reduced scale when the photo is much larger than what is
            # kept: faster, and never smaller than MAIN_LONG_EDGE on either side.
            image.draft(None, (MAIN_LONG_EDGE, MAIN_LONG_EDGE))
        image.load()
    except PhotoRejected:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise _damaged() from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the pixels as they are
        return image


def _srgb_profile():
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.createProfile("sRGB")
    return _SRGB


def _to_rgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """RGB in sRGB, transparency flattened onto white (JPEG has no alpha)."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v * (1 / 256)).convert("L")
    elif image.mode == "F":
        image = image.convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            image = ImageCms.profileToProfile(
                image if image.mode in ("RGB", "CMYK", "L") else image.convert("RGB"),
                source,
                _srgb_profile(),
                outputMode="RGB",
            )
        except Exception:  # an unusable profile: use the values as they are
            logger.info("photo colour profile ignored", exc_info=True)
    return image.convert("RGB")


def _clean_copy(image: Image.Image) -> Image.Image:
    """The pixels only: a new image carries no info dict, EXIF, XMP or ICC."""
    return Image.frombytes("RGB", image.size, image.tobytes())


def _resized(image: Image.Image, width: int) -> Image.Image:
    if image.width <= width:
        return image
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _encoded(image: Image.Image, fmt: str) -> ContentFile:
    buffer = io.BytesIO()
    clean = _clean_copy(image)
    if fmt == "webp":
        clean.save(buffer, "WEBP", quality=WEBP_QUALITY, method=4, exif=b"")
    elif fmt == "avif":
        clean.save(buffer, "AVIF", quality=AVIF_QUALITY, speed=AVIF_SPEED, exif=b"")
    else:  # pragma: no cover - MODERN_FORMATS lists the two above
        raise ValueError(fmt)
    return ContentFile(buffer.getvalue())


def _jpeg(image: Image.Image) -> ContentFile:
    buffer = io.BytesIO()
    _clean_copy(image).save(
        buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, exif=b""
    )
    return ContentFile(buffer.getvalue())


_decode_slots: threading.BoundedSemaphore | None = None
_decode_slots_lock = threading.Lock()


def _slots() -> threading.BoundedSemaphore:
    global _decode_slots
    with _decode_slots_lock:
        if _decode_slots is None:
            n = int(getattr(settings, "PHOTO_CONCURRENT_DECODES", DEFAULT_CONCURRENT_DECODES))
            _decode_slots = threading.BoundedSemaphore(max(1, n))
        return _decode_slots


class PhotoBusy(PhotoRejected):
    """Every decode slot of this process is taken: try again shortly."""


@contextmanager
def decode_slot():
    """At most PHOTO_CONCURRENT_DECODES photos are decoded at once per process; an
    upload waits up to PHOTO_DECODE_WAIT_SECONDS for its turn, then is told plainly
    that the server is busy (nothing was saved)."""
    slots = _slots()
    wait = float(getattr(settings, "PHOTO_DECODE_WAIT_SECONDS", DEFAULT_DECODE_WAIT_SECONDS))
    if not slots.acquire(timeout=wait):
        raise PhotoBusy(
            _(
                "The server is busy with other photos right now. Please try again in a "
                "minute; nothing was saved."
            )
        )
    try:
        yield
    finally:
        slots.release()


def process_upload(upload, *, modern: bool = True) -> ProcessedPhoto:
    """Check, bound, turn upright and re-encode an uploaded photo.

    `upload` is an UploadedFile (or any file-like object). Raises PhotoRejected
    with a message for the person; nothing is written anywhere. `modern=False`: no
    WebP or AVIF (staff-only photos, which no public page serves).
    """
    data = _read_bounded(upload)
    with decode_slot():
        return _process(data, modern=modern)


def _process(data: bytes, *, modern: bool = True) -> ProcessedPhoto:
    image = _decode(data)
    icc_profile = image.info.get("icc_profile")
    image = _upright(image)
    image = _to_rgb(image, icc_profile)
    image.thumbnail((MAIN_LONG_EDGE, MAIN_LONG_EDGE), Image.Resampling.LANCZOS)
    small_width, medium_width = derivative_widths(image.width)
    sizes = (image, _resized(image, small_width), _resized(image, medium_width))
    return ProcessedPhoto(
        image=_jpeg(sizes[0]),
        small=_jpeg(sizes[1]),
        medium=_jpeg(sizes[2]),
        width=image.width,
        height=image.height,
        modern={
            fmt: tuple(_encoded(size, fmt) for size in sizes)
            for fmt in (modern_formats() if modern else ())
        },
    )


def modern_name(jpeg_name: str, fmt: str) -> str:
    """The name of a stored JPEG's version in `fmt`: the same name, another suffix."""
    stem = jpeg_name[: -len(".jpg")] if jpeg_name.lower().endswith(".jpg") else jpeg_name
    return f"{stem}.{fmt}"


def item_formats(item) -> list[str]:
    """The modern formats an item's photo is stored in, best first."""
    recorded = set((getattr(item, "image_formats", "") or "").split())
    return [fmt for fmt in MODERN_FORMATS if fmt in recorded]


def _store_modern(storage, names: list[str], files, fmt: str) -> bool:
    """Save one format's three files next to their JPEGs under the expected names.
    False (and nothing left behind) when the storage gave any of them another name:
    the page derives the names, so a renamed file would never be found."""
    saved = []
    for name, content in zip(names, files, strict=True):
        target = modern_name(name, fmt)
        got = storage.save(target, content)
        saved.append(got)
        if got != target:
            logger.warning("photo %s stored as %s: %s not recorded", target, got, fmt)
            _delete_files(storage, saved)
            return False
    return True


PHOTO_FIELDS = ("image", "image_small", "image_medium")


def stored_names(item) -> list[str]:
    """Every file of an item's photo: the three JPEGs and their modern versions."""
    jpegs = [getattr(item, name).name for name in PHOTO_FIELDS if getattr(item, name)]
    return jpegs + [modern_name(n, fmt) for fmt in item_formats(item) for n in jpegs]


def _delete_files(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # already gone, or the storage (disk, S3) unreachable: not fatal
            logger.warning("could not delete replaced photo %s", name, exc_info=True)


def save_showcase_photo(item, processed: ProcessedPhoto, *, save: bool = True) -> None:
    """Store a processed photo on a ShowcaseItem under random names.

    The files replaced, if any, are deleted once the transaction commits (a
    rollback keeps the item pointing at files that still exist).
    """
    token = secrets.token_hex(12)
    old_names = stored_names(item)
    storage = item.image.storage
    item.image.save(f"{token}.jpg", processed.image, save=False)
    item.image_small.save(f"{token}-{SMALL_WIDTH}w.jpg", processed.small, save=False)
    item.image_medium.save(f"{token}-{MEDIUM_WIDTH}w.jpg", processed.medium, save=False)
    item.image_width = processed.width
    item.image_height = processed.height
    names = [getattr(item, f).name for f in PHOTO_FIELDS]
    item.image_formats = " ".join(
        fmt for fmt, files in processed.modern.items() if _store_modern(storage, names, files, fmt)
    )
    if save:
        item.save()
    if old_names:
        transaction.on_commit(lambda: _delete_files(storage, old_names))


def delete_showcase_photo(item) -> None:
    """Delete an item's photo files once the transaction commits."""
    names = stored_names(item)
    if names:
        storage = item.image.storage
        transaction.on_commit(lambda: _delete_files(storage, names))


def add_modern_formats(item) -> list[str]:
    """Give a stored photo the modern formats it lacks (photos stored before issue 14):
    its own JPEGs are read back, each size encoded, stored next to it, and the item's
    `image_formats` saved. Safe to run twice. Returns the formats added."""
    missing = [fmt for fmt in modern_formats() if fmt not in item_formats(item)]
    if not item.image or not missing:
        return []
    storage = item.image.storage
    names, sizes = [], []
    for name in PHOTO_FIELDS:
        field_file = getattr(item, name)
        if not field_file:
            return []  # an incomplete photo: left to its JPEG
        with storage.open(field_file.name, "rb") as handle:
            data = handle.read()
        with decode_slot():
            try:
                image = Image.open(io.BytesIO(data))
                image.load()
            except (OSError, SyntaxError, ValueError):
                logger.warning("photo %s unreadable: no modern formats", field_file.name)
                return []
            sizes.append(image.convert("RGB"))
        names.append(field_file.name)
    added = []
    for fmt in missing:
        for name in names:  # left over from an interrupted run: written anew
            if storage.exists(modern_name(name, fmt)):
                storage.delete(modern_name(name, fmt))
        files = [_encoded(size, fmt) for size in sizes]
        if _store_modern(storage, names, files, fmt):
            added.append(fmt)
    if added:
        item.image_formats = " ".join(
            f for f in MODERN_FORMATS if f in {*item_formats(item), *added}
        )
        item.save(update_fields=["image_formats"])
    return added


def _candidates(item, fmt: str | None = None) -> list[tuple[int, str]]:
    small_width, medium_width = derivative_widths(item.image_width)
    storage = item.image.storage
    candidates: dict[int, str] = {}

    def url(field_file) -> str:
        return field_file.url if fmt is None else storage.url(modern_name(field_file.name, fmt))

    if item.image_small:
        candidates.setdefault(small_width, url(item.image_small))
    if item.image_medium:
        candidates.setdefault(medium_width, url(item.image_medium))
    candidates.setdefault(item.image_width, url(item.image))
    return sorted(candidates.items())


def photo_srcset(item, fmt: str | None = None) -> str:
    """`srcset` for a ShowcaseItem's photo: each stored size once, with its width; in
    a modern format (`fmt`, one the item has) or, by default, the JPEGs."""
    if not item.image or not item.image_width:
        return ""
    return ", ".join(f"{url} {width}w" for width, url in _candidates(item, fmt))
