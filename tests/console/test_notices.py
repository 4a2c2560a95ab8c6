"""Household notices from the console (issue 12): households imported with a
preview, notices printed by a background job with a progress page and private
files, delivery marked per building, a lost notice reissued."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from evaluations.codes import hash_code
from evaluations.models import AuditEntry, HouseholdCode
from notices.models import NoticeJob

pytestmark = pytest.mark.django_db

CODE = re.compile(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")

HOUSEHOLDS_CSV = "楼栋,单元,房号\n12,1,101\n3,2,201\n3,1,102\n3,1,101\n3,1,101\n,,\n5,1,\n".encode()


def pdf_texts(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def import_households(client, enrollment, data=HOUSEHOLDS_CSV, name="households.csv"):
    url = reverse("console:households_import", args=[enrollment.pk])
    preview = client.post(url, {"file": SimpleUploadedFile(name, data)})
    return url, preview


def test_households_are_imported_after_a_preview_that_names_each_bad_row(
    client, city_officer, enrollment
):
    client.force_login(city_officer)
    url, preview = import_households(client, enrollment)
    page = preview.content.decode()
    assert "4 行可以导入" in page
    assert "与第 5 行是同一户" in page
    assert "缺少房号" in page
    assert not enrollment.dwellings.exists()  # a preview writes nothing
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    done = client.post(url, {"token": token}, follow=True)
    assert "已导入 4 户" in done.content.decode()
    doors = list(enrollment.dwellings.order_by("order").values_list("building", "unit", "room"))
    assert doors == [("3", "1", "101"), ("3", "1", "102"), ("3", "2", "201"), ("12", "1", "101")]
    enrollment.refresh_from_db()
    assert enrollment.households == 4
    assert AuditEntry.objects.filter(action="households_imported", new_value="4").exists()


def test_a_file_that_is_not_a_table_gets_a_message_and_nothing_changes(
    client, city_officer, enrollment
):
    client.force_login(city_officer)
    _url, response = import_households(client, enrollment, b"\x89PNG\r\n\x1a\nxxxx", "a.csv")
    assert response.status_code == 200
    assert "CSV" in response.content.decode() and "errorlist" in response.content.decode()
    assert not enrollment.dwellings.exists()


def test_the_walk_through_import_print_deliver_reissue(
    client, city_officer, enrollment, criteria, django_capture_on_commit_callbacks
):
    client.force_login(city_officer)
    url, preview = import_households(client, enrollment)
    token = re.search(r'name="token" value="([^"]+)"', preview.content.decode()).group(1)
    client.post(url, {"token": token})

    households_url = reverse("console:enrollment_households", args=[enrollment.pk])
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued after commit
        started = client.post(households_url, {"action": "print"})
    job = NoticeJob.objects.get()
    assert started["Location"] == reverse("console:notice_job", args=[job.pk])
    page = client.get(started["Location"])
    assert "Refresh" not in page  # done already: tasks run eagerly in the tests
    assert 'value="100"' in page.content.decode()
    download = client.get(reverse("console:notice_job_file", args=[job.pk, 0]))
    assert download["Cache-Control"] == "private, no-store"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        (name,) = archive.namelist()
        texts = pdf_texts(archive.read(name))
    # building 3: a cover sheet and one page of three notices; building 12: the same
    assert len(texts) == 4
    assert "3栋" in texts[0] and "3 份" in texts[0]
    assert "12栋" in texts[2]
    printed = CODE.findall(" ".join(texts))
    assert len(printed) == 4
    active = set(HouseholdCode.objects.active().values_list("code_hash", flat=True))
    assert {hash_code(c.replace("-", "")) for c in printed} == active

    # Delivery of building 3 marked.
    client.post(households_url, {"action": "delivered", "building": "3"})
    assert enrollment.dwellings.filter(delivered_at__isnull=False).count() == 3

    # A lost notice reissued: a one-notice PDF with the new code; the old one refused.
    household = enrollment.dwellings.get(building="12")
    old_code = next(
        c for c in printed if hash_code(c.replace("-", "")) == household.codes.get().code_hash
    )
    reissued = client.post(
        households_url, {"action": "reissue", "household": household.pk, "reason": "遗失"}
    )
    assert reissued["Content-Type"] == "application/pdf"
    (new_code,) = CODE.findall(" ".join(pdf_texts(reissued.content)))
    assert new_code != old_code
    assert household.codes.active().get().code_hash == hash_code(new_code.replace("-", ""))
    client.logout()
    assert client.get(f"/r/{old_code.replace('-', '')}").status_code == 410
    assert client.get(f"/r/{new_code.replace('-', '')}").status_code == 200


def test_the_progress_page_reloads_itself_while_the_job_runs(client, city_officer, enrollment):
    from notices.jobs import notice_job_create

    job = notice_job_create(
        enrollment.campaign,
        scope="community",
        scope_id=enrollment.pk,
        scope_label="x",
        actor=city_officer,
    )
    client.force_login(city_officer)
    page = client.get(reverse("console:notice_job", args=[job.pk]))
    assert page["Refresh"] == "3"
    assert "排队中" in page.content.decode()
    assert 'value="0"' in page.content.decode()


def test_the_whole_campaign_is_printed_from_the_campaign_page(
    client, city_officer, enrollment, django_capture_on_commit_callbacks
):
    client.force_login(city_officer)
    url = reverse("console:campaign_notices", args=[enrollment.campaign.slug])
    page = client.get(url)
    assert "硚口区" in page.content.decode() and "古田街道" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"scope": "campaign"})
    job = NoticeJob.objects.get()
    assert response["Location"] == reverse("console:notice_job", args=[job.pk])
    assert job.status == "done" and job.notices == enrollment.households
    assert HouseholdCode.objects.active().count() == enrollment.households


def test_a_job_whose_worker_died_is_started_again_from_its_page(
    client, city_officer, enrollment, django_capture_on_commit_callbacks
):
    from notices.jobs import notice_job_create

    job = notice_job_create(
        enrollment.campaign,
        scope="community",
        scope_id=enrollment.pk,
        scope_label="x",
        actor=city_officer,
    )
    NoticeJob.objects.filter(pk=job.pk).update(status=NoticeJob.Status.RUNNING)
    client.force_login(city_officer)
    page = client.get(reverse("console:notice_job", args=[job.pk])).content.decode()
    assert "从中断处继续" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:notice_job_resume", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == NoticeJob.Status.DONE and job.notices == enrollment.households
    assert HouseholdCode.objects.active().count() == enrollment.households


def test_the_notice_qr_code_draws_exactly_the_dark_modules_of_the_symbol():
    """Issue 12: the QR code is written as runs of dark modules (faster); they are
    the symbol's dark modules, quiet zone included, nothing more or less."""
    import segno

    from notices.rendering import QR_BORDER, QR_MASK, qr_runs

    url = "http://127.0.0.1:8802/r/ABCD2345EFGH"
    width, runs = qr_runs(url)
    symbol = segno.make(url, error="m", boost_error=False, micro=False, mask=QR_MASK)
    expected = [list(row) for row in symbol.matrix_iter(scale=1, border=QR_BORDER)]
    drawn = [[0] * width for _ in range(width)]
    for row, start, length in runs:
        for column in range(start, start + length):
            assert not drawn[row][column]  # no module drawn twice
            drawn[row][column] = 1
    assert width == len(expected) and drawn == [[int(bool(m)) for m in r] for r in expected]
    assert symbol.mask == QR_MASK


def test_a_notice_pdf_holds_the_qr_code_as_one_filled_path(enrollment):
    from notices.rendering import household_notices_pdf

    data = household_notices_pdf(enrollment, ["ABCD2345EFGH"])
    page = PdfReader(io.BytesIO(data)).pages[0]
    stream = page.get_contents().get_data().decode("latin-1")
    assert stream.count(" re\n") > 100 and "cm\n" in stream
    assert "ABCD-2345-EFGH" in page.extract_text()
