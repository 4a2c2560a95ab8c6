"""Staff-only photos: the evidence of review checks and the photos of objections.

They are kept in the ``private`` storage (config/media_storage.py), never under
the public MEDIA_URL, and reach a browser only through the console's views, which
check the staff member's role and scope first (evaluations/console_views.py).
Like every photo, they are re-encoded from their pixels on upload (photos.py):
no EXIF, GPS or other metadata is stored, let alone served.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.utils.functional import LazyObject, cached_property

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
}


class PrivateFileSystemStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT. They have no public address: `url()` refuses."""

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a staff view.")


class _PrivateStorage(LazyObject):
    """The ``private`` storage, looked up when first used (and again after tests
    change STORAGES), so that model fields can hold it."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = _PrivateStorage()


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        from django.utils.functional import empty

        private_storage._wrapped = empty


def get_private_storage():
    """For the `storage=` argument of the private FileFields (a callable keeps
    the storage's configuration out of the migrations)."""
    return private_storage


def private_photo(upload) -> ContentFile:
    """Check and re-encode an uploaded photo (photos.process_upload: raises
    PhotoRejected with a message for the person), under a random name."""
    from .photos import process_upload  # photos → services → models, which import this

    processed = process_upload(upload, modern=False)  # staff-only: the JPEG alone
    return ContentFile(processed.image.read(), name=f"{secrets.token_hex(12)}.jpg")


def private_file_response(fieldfile) -> HttpResponse:
    """The file of a private FileField for a staff member already allowed to see it.

    On the file system it is streamed by the app; on S3 the browser is sent on to a
    signed URL that expires after PRIVATE_MEDIA_URL_SECONDS. Either way the answer
    must not be kept by any cache.
    """
    storage = fieldfile.storage
    try:
        storage.path(fieldfile.name)
    except NotImplementedError:  # a remote storage (S3): a short-lived signed URL
        response = HttpResponseRedirect(storage.url(fieldfile.name))
    else:
        response = FileResponse(storage.open(fieldfile.name, "rb"))
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


def move_public_photos_to_private(apps, schema_editor) -> None:
    """Data migration: evidence and objection photos stored before they were
    private sit in the public storage (under MEDIA_URL). Copy each into the private
    storage — re-encoded without metadata when it can be decoded, as uploads are
    now — point the row at the copy and delete the public file."""
    import logging

    from django.core.files.storage import storages as all_storages

    from .photos import PhotoRejected, process_upload

    logger = logging.getLogger(__name__)
    public, private = all_storages["default"], all_storages["private"]
    for model_name, field in (("ReviewCheck", "evidence"), ("Objection", "photo")):
        model = apps.get_model("evaluations", model_name)
        for row in model.objects.exclude(**{field: ""}).only("pk", field).iterator():
            name = getattr(row, field).name
            if private.exists(name) or not public.exists(name):
                if not private.exists(name):
                    logger.warning("%s %s: photo %s not found", model_name, row.pk, name)
                continue
            with public.open(name, "rb") as source:
                data = source.read()
            try:
                processed = process_upload(ContentFile(data), modern=False)
            except PhotoRejected:  # kept as it was; it is no longer public at least
                content, new_name = ContentFile(data), name
            else:
                folder = name.rsplit("/", 1)[0] if "/" in name else ""
                content = processed.image
                new_name = f"{folder}/{secrets.token_hex(12)}.jpg".lstrip("/")
            stored = private.save(new_name, content)
            model.objects.filter(pk=row.pk).update(**{field: stored})
            public.delete(name)
