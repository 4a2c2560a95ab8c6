"""Tests that see rows, not only status codes (issue 11, item 8): two districts and
two companies with data in each; which rows each staff export and page shows, which
audit entry an audited step writes, and what the open data leaves out."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from communities.models import Community, PropertyCompany, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import AuditEntry, Rating
from evaluations.ratings import rating_submit
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import (
    entry_withdraw,
    objection_answer,
    objection_confirm_uphold,
    objection_file,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db

SLUG = "rows"
COMMENT = "居民留言：电梯常坏，"


@pytest.fixture
def two_districts(qiaokou, jiangan, company, city_officer, qiaokou_reviewer, jiangan_reviewer):
    """硚口 汉口春天 (惠之美) and 江岸 江滩花园 (另一家物业), both approved and on
    the preliminary list, each with an objection."""
    other_company = PropertyCompany.objects.create(name="江岸另一家物业有限公司")
    campaign = make_campaign(slug=SLUG, min_responses=5)
    communities = [
        Community.objects.create(
            district=qiaokou,
            street=Street.objects.create(district=qiaokou, name="古田街道"),
            name="汉口春天",
            households=100,
            company=company,
        ),
        Community.objects.create(
            district=jiangan,
            street=Street.objects.create(district=jiangan, name="江滩街道"),
            name="江滩花园",
            households=100,
            company=other_company,
        ),
    ]
    enrollments = [enrollment_create(campaign, c) for c in communities]
    criteria = list(campaign.criteria.order_by("order"))
    for enrollment in enrollments:
        add_ratings(enrollment, satisfied=30)
        # Three households rate through the resident's path, with comments (never public).
        for i, code in enumerate(codes_issue(enrollment, 3)):
            answers = {c.pk: "satisfied" for c in criteria}
            answers[criteria[i].pk] = "unsatisfied"
            rating_submit(
                code,
                overall="basically_satisfied",
                answers=answers,
                comment=f"{COMMENT}{enrollment.community.name}{i}",
            )
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for enrollment, reviewer in zip(enrollments, [qiaokou_reviewer, jiangan_reviewer], strict=True):
        for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
            review_check_record(enrollment, rule, actor=reviewer, met=True)
        enrollment_recommend(enrollment, actor=reviewer)
        enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    objections = [
        objection_file(
            entry, contact_name="王", contact="138", text=f"异议：{entry.community_name}"
        )
        for entry in preliminary.entries.order_by("district_code")
    ]
    return campaign, enrollments, preliminary, objections


def _audit_rows(client, user):
    client.force_login(user)
    response = client.get(reverse("console:audit_csv", args=[SLUG]))
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))[1:]


def test_a_district_reviewers_audit_csv_shows_only_their_district(
    client, two_districts, qiaokou_reviewer, city_officer
):
    text = "\n".join(",".join(r) for r in _audit_rows(client, qiaokou_reviewer))
    assert "汉口春天" in text and "江滩花园" not in text
    everything = "\n".join(",".join(r) for r in _audit_rows(client, city_officer))
    assert "汉口春天" in everything and "江滩花园" in everything


def test_a_district_reviewers_objection_list_shows_only_their_district(
    client, two_districts, qiaokou_reviewer, jiangan_reviewer
):
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:objections", args=[SLUG])).content.decode()
    assert "异议：汉口春天" in page and "异议：江滩花园" not in page
    client.force_login(jiangan_reviewer)
    page = client.get(reverse("console:objections", args=[SLUG])).content.decode()
    assert "异议：江滩花园" in page and "异议：汉口春天" not in page


def test_upholding_an_objection_audits_the_removal(
    client, two_districts, qiaokou_reviewer, city_officer
):
    campaign, enrollments, preliminary, objections = two_districts
    [mine] = [o for o in objections if o.entry.community_name == "汉口春天"]
    objection_answer(mine, actor=qiaokou_reviewer, answer="经核实属实", upheld=True)
    proposed = AuditEntry.objects.get(action="objection_uphold_proposed")
    assert proposed.actor_name == "qiaokou" and proposed.reason == "经核实属实"
    assert not AuditEntry.objects.filter(action="dropped").exists()
    objection_confirm_uphold(mine, actor=city_officer, confirm=True)
    assert AuditEntry.objects.filter(
        action="dropped", enrollment=enrollments[0], reason="经核实属实"
    ).exists()
    upheld = AuditEntry.objects.get(action="objection_upheld")
    assert upheld.actor_name == "city" and upheld.enrollment == enrollments[0]
    assert AuditEntry.objects.get(action="objection_uphold_confirmed").actor_name == "city"


@pytest.fixture
def final_with_withdrawal(two_districts, city_officer, qiaokou_reviewer):
    campaign, enrollments, preliminary, objections = two_districts
    for objection in objections:
        objection_answer(objection, actor=city_officer, answer="不属实", upheld=False)
    final = publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )
    revision = entry_withdraw(
        final.entries.get(community_name="江滩花园"), actor=city_officer, reason="经查实"
    )
    return campaign, revision


def _district_counts(page: str) -> dict[str, str]:
    return dict(
        re.findall(
            r'<span class="district-name">(.+?)</span>\s*<span class="district-count">(.+?)</span>',
            page,
        )
    )


def test_a_withdrawn_entry_is_not_counted_on_the_home_page(client, final_with_withdrawal):
    page = client.get("/").content.decode()
    assert "1个区共1个“群众满意小区”" in page
    counts = _district_counts(page)
    assert counts["硚口区"].startswith("1") and counts["江岸区"].startswith("0")
    assert "江滩花园" not in page
    campaign_page = client.get(reverse("campaign_list", args=[SLUG])).content.decode()
    assert _district_counts(campaign_page) == {} or "江滩花园" in campaign_page


def test_before_the_withdrawal_the_home_page_counts_both(client, two_districts, city_officer):
    campaign, enrollments, preliminary, objections = two_districts
    for objection in objections:
        objection_answer(objection, actor=city_officer, answer="不属实", upheld=False)
    publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )
    page = client.get("/").content.decode()
    assert "2个区共2个“群众满意小区”" in page
    counts = _district_counts(page)
    assert counts["硚口区"].startswith("1") and counts["江岸区"].startswith("1")


def test_open_data_holds_nothing_unpublished(client, final_with_withdrawal, two_districts):
    campaign, _ = final_with_withdrawal
    texts = [
        client.get(f"/open-data/{SLUG}.json").content.decode(),
        client.get(f"/open-data/{SLUG}.csv").content.decode("utf-8-sig"),
        b"".join(client.get(f"/open-data/{SLUG}-ballots.csv").streaming_content).decode(
            "utf-8-sig"
        ),
        b"".join(client.get(f"/open-data/{SLUG}-receipts.csv").streaming_content).decode(),
        client.get("/open-data/").content.decode(),
    ]
    receipts = set(Rating.objects.values_list("receipt", flat=True))
    for text in texts:
        assert "异议：" not in text and "王" not in text
        assert "household_code" not in text and "comment" not in text
        assert COMMENT not in text and "电梯" not in text
        assert not any(receipt in text for receipt in receipts)
    assert (
        set(texts[3].split()[1:])
        <= {  # only hex digests in the receipts file
            line for line in texts[3].split()[1:] if len(line) == 64
        }
    )


def test_the_open_data_index_lists_no_campaign_with_only_a_preliminary_list(client, two_districts):
    campaign, *_ = two_districts
    index = client.get("/open-data/").content.decode()
    assert SLUG not in index and campaign.name not in index
    assert client.get(f"/open-data/{SLUG}.json").status_code == 404
    assert client.get(f"/open-data/{SLUG}-ballots.csv").status_code == 404


def test_the_open_data_index_lists_the_campaign_once_its_final_list_is_out(
    client, final_with_withdrawal
):
    campaign, _ = final_with_withdrawal
    index = client.get("/open-data/").content.decode()
    assert f"/open-data/{SLUG}.json" in index and campaign.name in index


def test_the_ballots_file_has_exactly_the_published_header(client, final_with_withdrawal):
    body = b"".join(client.get(f"/open-data/{SLUG}-ballots.csv").streaming_content)
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "district_code,community_name,overall,answers"
    assert not any(line.startswith("#") for line in lines)
    assert len(lines) == 1 + 66  # 33 ballots per entry, withdrawn entries included
    document = json.loads(client.get(f"/open-data/{SLUG}.json").content)
    assert {e["status"] for e in document["entries"]} == {"listed", "withdrawn"}


def _expected_ballots() -> list[list[str]]:
    """Every counted rating as a ballot row, computed here from the ratings (not by the
    code under test): district code, community, overall, the answers in the order of
    the criteria's codes (docs/verification.md)."""
    rows = []
    for rating in Rating.objects.filter(is_current=True).select_related(
        "enrollment__community__district"
    ):
        answers = dict(rating.answers.values_list("criterion__code", "answer"))
        rows.append(
            [
                rating.enrollment.community.district.code,
                rating.enrollment.community.name,
                rating.overall,
                ";".join(answers[code] for code in sorted(answers)),
            ]
        )
    return sorted(rows)


def test_the_ballots_file_holds_exactly_the_counted_ballots_and_nothing_else(
    client, final_with_withdrawal
):
    body = b"".join(client.get(f"/open-data/{SLUG}-ballots.csv").streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["district_code", "community_name", "overall", "answers"]
    assert rows[1:] == _expected_ballots()  # in canonical order, cell for cell
    assert len(rows) == 1 + 66
