"""Media in an S3-compatible bucket (MEDIA_STORAGE=s3, django-storages + boto3),
tested against moto's S3 server started on a free local port.

Showcase photos sent through the console's real upload pipeline (evaluations/photos.py)
land under the public prefix with a public-read ACL, without EXIF/GPS, and are
readable at their plain URL; evidence photos land under the private prefix with a
private ACL and are reached only through the staff view, which hands out a signed
URL that expires. Needs moto[server] (the dev extra); skipped without it unless
MANYI_REQUIRE_S3=1 (CI), where it must run.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from config.media_storage import media_storages, public_media_origins
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.models import ReviewCheck
from showcases.models import ShowcaseItem
from tests.conftest import add_ratings, make_campaign
from uploads import photos

pytestmark = pytest.mark.django_db

BUCKET = "manyi-media-test"
GPS_IFD = 0x8825
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def _unavailable(reason: str):
    if os.environ.get("MANYI_REQUIRE_S3") == "1":
        pytest.fail(f"{reason} (MANYI_REQUIRE_S3=1: this test may not be skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def s3_endpoint():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        _unavailable(f"moto[server] is not installed ({error}); pip install -e '.[dev]'")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def environment(endpoint: str) -> dict[str, str]:
    """The variables an operations team would set (docs/deploy.md)."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        "AWS_ACCESS_KEY_ID": "manyi-test-key",
        "AWS_SECRET_ACCESS_KEY": "manyi-test-secret",  # noqa: S105
    }


@pytest.fixture
def s3(s3_endpoint, settings):
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="manyi-test-key",
        aws_secret_access_key="manyi-test-secret",  # noqa: S106
    )
    existing = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    if BUCKET in existing:
        for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    else:
        client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **media_storages(environment(s3_endpoint)),
        "staticfiles": django_settings.STORAGES["staticfiles"],
    }
    return client


def gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 34.0, 51.0), 3: "E", 4: (114.0, 14.0, 31.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (60, 140, 90)).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def without_metadata(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return dict(image.getexif()) == {} and b"Exif" not in data and b"PhoneMaker" not in data


def keys(client, prefix: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def public_grant(client, key: str) -> bool:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return any(g["Grantee"].get("URI") == ALL_USERS and g["Permission"] == "READ" for g in grants)


def fetch(url: str) -> bytes:
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 — the local moto server
        return response.read()


def test_a_showcase_photo_goes_to_the_public_prefix_of_the_bucket_without_gps(
    s3, client, company_staffer, enrollment, settings
):
    basic = enrollment.campaign.criteria.get(code="basic-service")
    client.force_login(company_staffer)
    response = client.post(
        reverse("console:showcase_add", args=[enrollment.pk, "photo"]),
        {
            "photo": SimpleUploadedFile("p.jpg", gps_jpeg(), content_type="image/jpeg"),
            "criterion": basic.pk,
            "body": "对电梯轿厢进行消毒",
        },
    )
    assert response.status_code == 302
    item = ShowcaseItem.objects.get()
    stored = keys(s3, "media/showcases/")
    jpegs = [item.image.name, item.image_small.name, item.image_medium.name]
    formats = photos.item_formats(item)
    assert formats == list(photos.modern_formats()) and "webp" in formats
    # The JPEGs and, beside each, its WebP (and AVIF) under the same name.
    assert stored == sorted(
        f"media/{name}"
        for name in jpegs + [photos.modern_name(n, fmt) for fmt in formats for n in jpegs]
    )
    webp_key = f"media/{photos.modern_name(item.image_small.name, 'webp')}"
    webp = Image.open(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=webp_key)["Body"].read()))
    assert webp.format == "WEBP" and webp.width == 480
    for fmt in formats:  # served with their own type, which <source type> names
        head = s3.head_object(Bucket=BUCKET, Key=f"media/{photos.modern_name(jpegs[0], fmt)}")
        assert head["ContentType"] == f"image/{fmt}"
    assert public_grant(s3, webp_key)
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.jpg"))  # nothing on the local disk
    key = f"media/{item.image.name}"
    assert public_grant(s3, key)
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert without_metadata(body)
    # Its address is the bucket's plain one (no signature), and it serves the same bytes.
    url = item.image.url
    assert url.startswith(f"{settings.STORAGES['default']['OPTIONS']['endpoint_url']}/{BUCKET}/")
    assert "Signature" not in url
    assert fetch(url) == body
    page = client.get(reverse("console:showcase", args=[enrollment.pk])).content.decode()
    assert item.image_small.url in page
    webp_url = item.image.storage.url(photos.modern_name(item.image_small.name, "webp"))
    assert f'<source type="image/webp" srcset="{webp_url} 480w' in page
    assert fetch(webp_url)[:4] == b"RIFF"


def test_evidence_goes_to_the_private_prefix_and_is_read_through_a_signed_url(
    s3, client, community, city_officer, qiaokou_reviewer, company_staffer
):
    campaign = make_campaign(slug="s3", min_responses=1)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=2)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    rule = campaign.prerequisites.first()
    client.force_login(qiaokou_reviewer)
    response = client.post(
        reverse("console:enrollment_checks", args=[enrollment.pk]),
        {
            f"p{rule.pk}-met": "yes",
            f"p{rule.pk}-evidence": SimpleUploadedFile("e.jpg", gps_jpeg(), "image/jpeg"),
        },
    )
    assert response.status_code == 302
    check = ReviewCheck.objects.get()
    key = f"private/{check.evidence.name}"
    assert keys(s3, "private/") == [key]
    assert keys(s3, "media/") == []
    assert not public_grant(s3, key)
    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["CacheControl"] == "private, no-store"
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert without_metadata(body)

    view = reverse("console:check_evidence", args=[check.pk])
    response = client.get(view)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    query = parse_qs(urlsplit(signed).query)
    assert query["X-Amz-Expires"] == ["300"] and query["X-Amz-Signature"]
    assert urlsplit(signed).path == f"/{BUCKET}/{key}"
    assert fetch(signed) == body
    # The company under review gets no URL at all.
    client.force_login(company_staffer)
    assert client.get(view).status_code == 403


def test_the_environment_alone_configures_s3_media(s3_endpoint):
    """Start-up as in production: the variables pick the storages and the CSP."""
    script = (
        "import sys, django; sys.path.insert(0, sys.argv[1]); django.setup();"
        "from django.conf import settings; from django.core.files.storage import storages;"
        "d, p = storages['default'], storages['private'];"
        "print(type(d).__name__, d.location, d.default_acl, d.querystring_auth);"
        "print(type(p).__name__, p.location, p.default_acl, p.querystring_auth,"
        " p.querystring_expire);"
        "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIA_STORAGE"))}
    env.update(environment(s3_endpoint), MANYI_NO_DOTENV="1", PRIVATE_MEDIA_URL_SECONDS="120")
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    result = subprocess.run(
        [sys.executable, "-c", script, str(django_settings.BASE_DIR)],
        env=env, cwd="/", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    public, private, img_src = result.stdout.splitlines()
    assert public == "S3Storage media public-read False"
    assert private == "S3Storage private private True 120"
    assert s3_endpoint in img_src.split()

    del env["AWS_STORAGE_BUCKET_NAME"]
    result = subprocess.run(
        [sys.executable, "-c", script, str(django_settings.BASE_DIR)],
        env=env, cwd="/", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE must be 'local' or 's3'"),
        ({"AWS_PRIVATE_MEDIA_LOCATION": "media"}, "must differ"),
        ({"PRIVATE_MEDIA_URL_SECONDS": "86400"}, "between 10 and 3600"),
    ],
)
def test_bad_media_settings_stop_start_up_with_the_reason(overrides, message):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=message):
        media_storages({**environment("http://127.0.0.1:9"), **overrides})


def test_the_csp_allows_images_from_the_public_media_origin():
    base = environment("https://oss.example.gov.cn:9000")
    assert public_media_origins(media_storages(base)) == ["https://oss.example.gov.cn:9000"]
    virtual = {**base, "AWS_S3_ADDRESSING_STYLE": "virtual"}
    assert public_media_origins(media_storages(virtual)) == [
        f"https://{BUCKET}.oss.example.gov.cn:9000"
    ]
    cdn = {**base, "AWS_S3_CUSTOM_DOMAIN": "media.example.gov.cn"}
    assert public_media_origins(media_storages(cdn)) == ["https://media.example.gov.cn"]
    assert public_media_origins(media_storages({})) == []
