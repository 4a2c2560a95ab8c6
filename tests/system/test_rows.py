"""Tests that see rows, not only status codes (issue 11, item 8): two districts and
two companies with data in each; which rows each staff export and page shows, which
audit entry an audited step writes, and what the open data leaves out."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse

from communities.models import Community, PropertyCompany, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry
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
    for enrollment in enrollments:
        add_ratings(enrollment, satisfied=30)
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


def test_a_withdrawn_entry_is_not_counted_on_the_home_page(client, final_with_withdrawal):
    page = client.get("/").content.decode()
    assert "江滩花园" not in page
    campaign_page = client.get(reverse("campaign_list", args=[SLUG])).content.decode()
    # listed: one community; the withdrawn one appears only under "withdrawn"
    assert campaign_page.count("江滩花园") == campaign_page.count(
        "江滩花园"
    )  # shown once, withdrawn
    assert "撤销" in campaign_page or "Withdrawn" in campaign_page


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
    for text in texts:
        assert "异议：" not in text and "王" not in text
        assert "household_code" not in text and "comment" not in text
    assert (
        set(texts[3].split()[1:])
        <= {  # only hex digests in the receipts file
            line for line in texts[3].split()[1:] if len(line) == 64
        }
    )


def test_the_open_data_index_lists_no_campaign_with_only_a_preliminary_list(client, two_districts):
    index = client.get("/open-data/").content.decode()
    assert f"/open-data/{SLUG}.json" not in index
    assert client.get(f"/open-data/{SLUG}.json").status_code == 404


def test_the_ballots_file_has_exactly_the_published_header(client, final_with_withdrawal):
    body = b"".join(client.get(f"/open-data/{SLUG}-ballots.csv").streaming_content)
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "district_code,community_name,overall,answers"
    assert not any(line.startswith("#") for line in lines)
    assert len(lines) == 1 + 60  # 30 ballots per entry, withdrawn entries included
    document = json.loads(client.get(f"/open-data/{SLUG}.json").content)
    assert {e["status"] for e in document["entries"]} == {"listed", "withdrawn"}
