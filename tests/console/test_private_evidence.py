"""Evidence photos of review checks and photos of objections are for staff only:
kept outside the public media, re-encoded without EXIF/GPS, and served through a
view that checks role and district (the permission table covers every persona;
tests/console/test_console_permissions.py)."""

import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Objection, ReviewCheck
from reviews.publishing import publication_publish_preliminary
from tests.conftest import add_ratings, make_campaign
from uploads.private_media import move_public_photos_to_private

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825


def gps_jpeg(size=(900, 700)) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (30.0, 34.0, 51.0), 3: "E", 4: (114.0, 14.0, 31.0)})
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 60)).save(buffer, "JPEG", exif=exif.tobytes())
    data = buffer.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # really there
    return data


def upload(data: bytes, name="evidence.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def files_under(root) -> list[Path]:
    root = Path(root)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def without_metadata(data: bytes) -> bool:
    image = Image.open(io.BytesIO(data))
    return (
        dict(image.getexif()) == {}
        and b"Exif" not in data
        and b"PhoneMaker" not in data
        and "exif" not in image.info
    )


@pytest.fixture
def closed(community, city_officer):
    campaign = make_campaign(slug="evidence", min_responses=1)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=3)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    return enrollment


def test_a_reviewers_evidence_photo_is_private_stripped_and_served_to_staff_only(
    client, closed, settings, qiaokou_reviewer, jiangan_reviewer, company_staffer, city_officer
):
    rule = closed.campaign.prerequisites.first()
    client.force_login(qiaokou_reviewer)
    response = client.post(
        reverse("console:enrollment_checks", args=[closed.pk]),
        {
            f"p{rule.pk}-met": "yes",
            f"p{rule.pk}-note": "现场查看",
            f"p{rule.pk}-evidence": upload(gps_jpeg()),
        },
    )
    assert response.status_code == 302
    check = ReviewCheck.objects.get(enrollment=closed, prerequisite=rule)
    assert check.evidence.name.startswith("evidence/")
    # Nothing under the public media; one re-encoded file in the private directory.
    assert files_under(settings.MEDIA_ROOT) == []
    [stored] = files_under(settings.PRIVATE_MEDIA_ROOT)
    assert without_metadata(stored.read_bytes())
    with pytest.raises(ValueError):
        check.evidence.url  # noqa: B018 — a private file has no public address

    url = reverse("console:check_evidence", args=[check.pk])
    page = client.get(reverse("console:enrollment", args=[closed.pk])).content.decode()
    assert url in page and "/media/" not in page

    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    served = b"".join(response.streaming_content)
    assert served == stored.read_bytes() and without_metadata(served)

    client.force_login(city_officer)  # approves: sees the evidence too
    assert client.get(url).status_code == 200
    page = client.get(reverse("console:enrollment", args=[closed.pk])).content.decode()
    assert url in page
    client.force_login(jiangan_reviewer)  # another district: as if it did not exist
    assert client.get(url).status_code == 404
    client.force_login(company_staffer)  # the company being reviewed: not its business
    assert client.get(url).status_code == 403
    page = client.get(reverse("console:enrollment", args=[closed.pk])).content.decode()
    assert url not in page
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_check_without_evidence_has_no_photo_to_serve(client, closed, qiaokou_reviewer):
    rule = closed.campaign.prerequisites.first()
    check = review_check_record(closed, rule, actor=qiaokou_reviewer, met=True)
    client.force_login(qiaokou_reviewer)
    assert client.get(reverse("console:check_evidence", args=[check.pk])).status_code == 404


def test_an_evidence_file_that_is_not_a_photo_is_refused_with_the_reason(
    client, closed, settings, qiaokou_reviewer
):
    rule = closed.campaign.prerequisites.first()
    client.force_login(qiaokou_reviewer)
    response = client.post(
        reverse("console:enrollment_checks", args=[closed.pk]),
        {f"p{rule.pk}-met": "yes", f"p{rule.pk}-evidence": upload(b"<html>x</html>", "x.jpg")},
        follow=True,
    )
    assert response.status_code == 200
    assert "JPEG、PNG 或 WebP" in response.content.decode()
    assert not ReviewCheck.objects.exists()
    assert files_under(settings.PRIVATE_MEDIA_ROOT) == []


@pytest.fixture
def notice(closed, city_officer, qiaokou_reviewer):
    for rule in [*closed.campaign.prerequisites.all(), *closed.campaign.criteria.all()]:
        review_check_record(closed, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(closed, actor=qiaokou_reviewer)
    enrollment_approve(closed, actor=city_officer)
    publication = publication_publish_preliminary(closed.campaign, actor=city_officer)
    return publication


def test_an_objection_photo_from_the_public_is_private_and_stripped(
    client, notice, settings, qiaokou_reviewer, jiangan_reviewer
):
    entry = notice.entries.get()
    url = reverse("notice_objection", args=[notice.campaign.slug, entry.pk])
    response = client.post(
        url,
        {
            "contact_name": "王先生",
            "contact": "13800000000",
            "text": "电梯常坏",
            "photo": upload(gps_jpeg()),
        },
    )
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.photo.name.startswith("objections/")
    assert files_under(settings.MEDIA_ROOT) == []
    [stored] = files_under(settings.PRIVATE_MEDIA_ROOT)
    assert without_metadata(stored.read_bytes())

    photo_url = reverse("console:objection_photo", args=[objection.pk])
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:objections", args=[notice.campaign.slug]))
    assert photo_url in page.content.decode()
    response = client.get(photo_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert without_metadata(b"".join(response.streaming_content))
    client.force_login(jiangan_reviewer)
    assert client.get(photo_url).status_code == 404


def test_an_objection_with_a_file_that_is_not_a_photo_gets_the_reason(client, notice, settings):
    entry = notice.entries.get()
    url = reverse("notice_objection", args=[notice.campaign.slug, entry.pk])
    response = client.post(
        url,
        {
            "contact_name": "王",
            "contact": "138",
            "text": "异议",
            "photo": upload(b"GIF89a..", "a.jpg"),
        },
    )
    assert response.status_code == 400
    assert "JPEG、PNG 或 WebP" in response.content.decode()
    assert not Objection.objects.exists()


def _apps_at_migration_0009():
    """The models as migration 0009 saw them (review checks and objections were in
    `evaluations` then)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    return loader.project_state(("evaluations", "0009_private_evidence_photos")).apps


def test_the_migration_moves_photos_stored_publicly_to_the_private_storage(
    closed, notice, settings, qiaokou_reviewer
):
    public = storages["default"]
    old_evidence = public.save("evidence/2025/old.jpg", ContentFile(gps_jpeg()))
    old_objection = public.save("objections/2025/old.jpg", ContentFile(gps_jpeg((400, 400))))
    tiny = public.save("evidence/2025/tiny.png", ContentFile(b"not decodable"))
    checks = list(closed.checks.all()[:2])
    ReviewCheck.objects.filter(pk=checks[0].pk).update(evidence=old_evidence)
    ReviewCheck.objects.filter(pk=checks[1].pk).update(evidence=tiny)
    objection = Objection.objects.create(
        entry=notice.entries.get(), contact_name="王", contact="138", text="x", photo=old_objection
    )

    move_public_photos_to_private(_apps_at_migration_0009(), None)

    assert files_under(settings.MEDIA_ROOT) == []
    private = storages["private"]
    moved = ReviewCheck.objects.get(pk=checks[0].pk).evidence.name
    assert moved.startswith("evidence/2025/") and moved.endswith(".jpg") and moved != old_evidence
    with private.open(moved) as f:
        assert without_metadata(f.read())
    # A file that cannot be decoded is moved as it is: no longer public, at least.
    assert ReviewCheck.objects.get(pk=checks[1].pk).evidence.name == tiny
    assert private.exists(tiny)
    objection.refresh_from_db()
    assert private.exists(objection.photo.name)
    # Running it again changes nothing.
    move_public_photos_to_private(_apps_at_migration_0009(), None)
    assert ReviewCheck.objects.get(pk=checks[0].pk).evidence.name == moved


def test_the_admin_shows_an_objection_photo_only_as_a_link_to_the_staff_view(client, notice):
    from django.contrib.auth import get_user_model

    from reviews.publishing import objection_file
    from uploads.private_media import private_photo

    objection = objection_file(
        notice.entries.get(),
        contact_name="王",
        contact="138",
        text="异议",
        photo=private_photo(upload(gps_jpeg())),
    )
    superuser = get_user_model().objects.create_superuser("root", "r@example.org", "x-long-pw-1")
    client.force_login(superuser)
    page = client.get(reverse("admin:reviews_objection_change", args=[objection.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("console:objection_photo", args=[objection.pk]) in html
    assert "/media/" not in html and objection.photo.name not in html
