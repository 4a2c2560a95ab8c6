"""`manage.py issue_codes` (SPEC: stable interface): codes on stdout or a PDF sheet."""

import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from communities.models import Community
from evaluations.codes import format_code, hash_code
from evaluations.models import HouseholdCode

pytestmark = pytest.mark.django_db


def issue(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_codes", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_codes_one_per_line_and_stores_their_hashes(enrollment):
    out, _err = issue("--campaign", "test-campaign", "--community", "汉口春天", "--count", "3")
    codes = out.split()
    assert len(codes) == 3 and out.count("\n") == 3
    # With their dashes, as the notices show them.
    assert all(len(c) == 14 and c[4] == c[9] == "-" for c in codes)
    stored = set(HouseholdCode.objects.values_list("code_hash", flat=True))
    assert {hash_code(c.replace("-", "")) for c in codes} == stored


def test_the_community_may_be_given_by_id(enrollment):
    out, _err = issue(
        "--campaign", "test-campaign", "--community", str(enrollment.community_id), "--count", "1"
    )
    assert len(out.split()) == 1


def test_it_writes_a_pdf_sheet_of_notices(enrollment, tmp_path, settings):
    settings.SITE_URL = "https://manyi.example.gov.cn"
    target = tmp_path / "notices.pdf"
    out, err = issue(
        "--campaign",
        "test-campaign",
        "--community",
        "汉口春天",
        "--count",
        "5",
        "--output",
        str(target),
    )
    assert out == ""
    assert "5" in err
    reader = PdfReader(str(target))
    assert len(reader.pages) == 2  # four notices a page
    text = "".join(page.extract_text() for page in reader.pages)
    assert "汉口春天" in text
    assert "住户评议码" in text
    assert "以最后一次提交为准" in text
    assert "https://manyi.example.gov.cn/r/" in text
    assert HouseholdCode.objects.count() == 5
    for code_hash in HouseholdCode.objects.values_list("code_hash", flat=True):
        assert any(
            hash_code(word.replace("-", "")) == code_hash
            for word in text.split()
            if len(word) == 14
        )


def test_an_existing_file_is_never_overwritten(enrollment, tmp_path):
    target = tmp_path / "notices.pdf"
    target.write_bytes(b"earlier codes")
    with pytest.raises(CommandError):
        issue(
            "--campaign",
            "test-campaign",
            "--community",
            "汉口春天",
            "--count",
            "1",
            "--output",
            str(target),
        )
    assert target.read_bytes() == b"earlier codes"
    assert HouseholdCode.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "nope", "--community", "汉口春天", "--count", "1"], "nope"),
        (["--campaign", "test-campaign", "--community", "无此小区", "--count", "1"], "无此小区"),
        (["--campaign", "test-campaign", "--community", "汉口春天", "--count", "101"], "一户一码"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(enrollment, args, message):
    with pytest.raises(CommandError) as error:
        issue(*args)
    assert message in str(error.value)
    assert HouseholdCode.objects.count() == 0


def test_a_community_not_enrolled_is_refused(enrollment, qiaokou, company):
    Community.objects.create(district=qiaokou, name="未参评小区", households=10, company=company)
    with pytest.raises(CommandError) as error:
        issue("--campaign", "test-campaign", "--community", "未参评小区", "--count", "1")
    assert "not enrolled" in str(error.value)


def test_format_of_printed_codes_round_trips(enrollment, client):
    out, _err = issue("--campaign", "test-campaign", "--community", "汉口春天", "--count", "1")
    code = out.strip()
    assert client.get(f"/r/{format_code(code)}").status_code == 200


def test_the_notice_names_its_issuer_and_hotline_and_carries_the_seal(
    enrollment, tmp_path, settings
):
    settings.SITE_ISSUER = "武汉市住房保障和房屋管理局"
    settings.SITE_HOTLINE = "12345"
    target = tmp_path / "notices.pdf"
    issue("--campaign", "test-campaign", "--community", "汉口春天", "--count", "4",
          "--output", str(target))  # fmt: skip
    page = PdfReader(str(target)).pages[0]
    text = page.extract_text()
    assert text.count("发布单位：武汉市住房保障和房屋管理局") == 4
    assert text.count("咨询电话：12345") == 4
    assert len(page.images) == 1  # the seal: one image, drawn on each of the four notices
    # The notice still fits its A6 cell with the issuer's line.
    from notices.rendering import _draw_notice, _NullCanvas

    assert _draw_notice(_NullCanvas(), 0, 0, _fields_for(enrollment), "K7QMX2PA9RTD") >= 0


def _fields_for(enrollment) -> dict:
    from notices import rendering as notices

    captured = {}
    original = notices._draw_notice

    def spy(canvas, left, bottom, fields, code, **kwargs):
        captured.update(fields)
        return original(canvas, left, bottom, fields, code, **kwargs)

    notices._draw_notice = spy
    try:
        notices.household_notices_pdf(enrollment, ["K7QMX2PA9RTD"])
    finally:
        notices._draw_notice = original
    return captured
