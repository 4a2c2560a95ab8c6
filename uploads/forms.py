"""What a form needs to take a photo: the accepted types for the file picker, and the
check that turns a refused upload into the form's error."""

from django import forms

from .photos import PhotoRejected
from .private_media import private_photo

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


def clean_private_photo(upload):
    """An evidence or objection photo, checked and re-encoded without its metadata
    (uploads.photos) for the private storage; None when none was sent."""
    if not upload:
        return None
    try:
        return private_photo(upload)
    except PhotoRejected as error:
        raise forms.ValidationError(str(error), code="photo_rejected") from None
