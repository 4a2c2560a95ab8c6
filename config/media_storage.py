"""Where uploaded files go: the STORAGES entries for media, from the environment.

Two storages hold uploads:

- ``default``: public media (showcase photos), served to anybody at MEDIA_URL or,
  on S3, at the bucket's (or CDN's) plain address;
- ``private``: evidence photos of review checks and objections, for staff only.
  Never under MEDIA_URL: on the file system a directory of its own
  (PRIVATE_MEDIA_ROOT) that the web server does not serve; on S3 a prefix of its
  own with a private ACL, read through short-lived signed URLs handed out by a
  view that checks the staff member's role and scope.

``MEDIA_STORAGE=local`` (the default) keeps both on the file system;
``MEDIA_STORAGE=s3`` puts both in an S3-compatible bucket through django-storages
(boto3). See docs/deploy.md for the variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

S3_BACKEND = "storages.backends.s3.S3Storage"
LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"
PRIVATE_LOCAL_BACKEND = "uploads.private_media.PrivateFileSystemStorage"
DEFAULT_PRIVATE_URL_SECONDS = 300


def _get(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(name, "")
    value = value.strip() if isinstance(value, str) else value
    return value if value else default


def media_storages(environ: Mapping[str, str]) -> dict[str, dict]:
    """The ``default`` and ``private`` STORAGES entries for these variables."""
    kind = (_get(environ, "MEDIA_STORAGE", "local") or "local").lower()
    if kind == "local":
        return {
            "default": {"BACKEND": LOCAL_BACKEND},
            "private": {"BACKEND": PRIVATE_LOCAL_BACKEND},
        }
    if kind != "s3":
        raise ImproperlyConfigured(f"MEDIA_STORAGE must be 'local' or 's3', not {kind!r}.")
    bucket = _get(environ, "AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME (and, for a service other "
            "than Amazon S3, AWS_S3_ENDPOINT_URL)."
        )
    try:
        seconds = int(_get(environ, "PRIVATE_MEDIA_URL_SECONDS", str(DEFAULT_PRIVATE_URL_SECONDS)))
    except ValueError:
        raise ImproperlyConfigured(
            "PRIVATE_MEDIA_URL_SECONDS must be a number of seconds."
        ) from None
    if not 10 <= seconds <= 3600:
        raise ImproperlyConfigured("PRIVATE_MEDIA_URL_SECONDS must be between 10 and 3600.")
    common = {
        "endpoint_url": _get(environ, "AWS_S3_ENDPOINT_URL"),
        "region_name": _get(environ, "AWS_S3_REGION_NAME"),
        "access_key": _get(environ, "AWS_ACCESS_KEY_ID"),
        "secret_key": _get(environ, "AWS_SECRET_ACCESS_KEY"),
        "addressing_style": _get(environ, "AWS_S3_ADDRESSING_STYLE"),
        "signature_version": "s3v4",
        # Names are random already; never overwrite an existing object silently.
        "file_overwrite": False,
        "object_parameters": {"CacheControl": "max-age=604800"},
    }
    public_acl = _get(environ, "AWS_PUBLIC_MEDIA_ACL", "public-read")
    public = {
        **common,
        "bucket_name": bucket,
        "location": _get(environ, "AWS_PUBLIC_MEDIA_LOCATION", "media"),
        # "none": the bucket policy (or the CDN) makes the public prefix readable.
        "default_acl": None if public_acl.lower() == "none" else public_acl,
        "querystring_auth": False,
        "custom_domain": _get(environ, "AWS_S3_CUSTOM_DOMAIN"),
    }
    private = {
        **common,
        "bucket_name": _get(environ, "AWS_PRIVATE_STORAGE_BUCKET_NAME", bucket),
        "location": _get(environ, "AWS_PRIVATE_MEDIA_LOCATION", "private"),
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": seconds,
        "custom_domain": None,
        "object_parameters": {"CacheControl": "private, no-store"},
    }
    if public["location"].strip("/") == private["location"].strip("/") and (
        public["bucket_name"] == private["bucket_name"]
    ):
        raise ImproperlyConfigured(
            "AWS_PUBLIC_MEDIA_LOCATION and AWS_PRIVATE_MEDIA_LOCATION must differ: "
            "private evidence must not share the public prefix."
        )
    return {
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": public},
        "private": {"BACKEND": S3_BACKEND, "OPTIONS": private},
    }


def public_media_origins(storages: Mapping[str, dict]) -> list[str]:
    """The origins public media is served from, for the CSP's img-src."""
    options = storages["default"].get("OPTIONS", {})
    if storages["default"]["BACKEND"] != S3_BACKEND:
        return []
    if options.get("custom_domain"):
        return [f"https://{options['custom_domain']}"]
    bucket = options["bucket_name"]
    endpoint = options.get("endpoint_url")
    if endpoint:
        parts = urlsplit(endpoint)
        if options.get("addressing_style") == "virtual":
            return [f"{parts.scheme}://{bucket}.{parts.netloc}"]
        return [f"{parts.scheme}://{parts.netloc}"]
    region = options.get("region_name")
    origins = [f"https://{bucket}.s3.amazonaws.com"]
    if region:
        origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
    return origins
