"""Open data: the final list as CSV and JSON, its revisions, its HTTP caching, and
nothing that was not published."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils.http import http_date

from communities.models import Community
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import Campaign, Rating
from monitoring.holds import monitoring_finalise
from portal.opendata import ENTRY_FIELDS
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Publication, PublicationEntry
from reviews.publishing import (
    entry_withdraw,
    objection_answer,
    objection_file,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, history_guards_off, make_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.opendata_urlconf")]

SLUG = "satisfied-2020"
SECRET_COMMENT = "三楼漏水一直没人管"
OBJECTION_CONTACT = "13800000000"
REVIEW_NOTE = "门岗登记簿已现场核查"


def check_all(enrollment, actor):
    campaign = enrollment.campaign
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=actor, met=True, note=REVIEW_NOTE)


@pytest.fixture
def campaign(db):
    return make_campaign(slug=SLUG, name="疫情防控期间全市物业服务“群众满意小区”", min_responses=20)


@pytest.fixture
def winner(campaign, community):
    """汉口春天: 29 of 30 responses satisfied (96.67%), one with a private comment."""
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=28, basic=1, unsatisfied=1)
    with history_guards_off():  # a comment given with the rating, set afterwards here
        Rating.objects.filter(enrollment=enrollment, overall="unsatisfied").update(
            comment=SECRET_COMMENT
        )
    return enrollment


@pytest.fixture
def loser(campaign, qiaokou, company):
    """洺悦府: rated but far below the threshold; never on any list."""
    community = Community.objects.create(
        district=qiaokou, name="洺悦府", households=60, company=company
    )
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=15, unsatisfied=15)
    codes_issue(enrollment, 3)
    return enrollment


@pytest.fixture
def preliminary(winner, loser, campaign, qiaokou_reviewer, city_officer):
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    check_all(winner, qiaokou_reviewer)
    enrollment_recommend(winner, actor=qiaokou_reviewer, reason="五个到位均已核实")
    enrollment_approve(winner, actor=city_officer)
    return publication_publish_preliminary(campaign, actor=city_officer, leave_out_unreviewed=True)


@pytest.fixture
def final(preliminary, city_officer, qiaokou_reviewer):
    objection = objection_file(
        preliminary.entries.get(),
        contact_name="王女士",
        contact=OBJECTION_CONTACT,
        text="门岗常无人",
    )
    objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实门岗24小时值守")
    return publication_publish_final(
        preliminary.campaign,
        actor=city_officer,
        now=preliminary.notice_ends_at + timedelta(seconds=1),
    )


def get_json(client, slug=SLUG, **params):
    response = client.get(f"/open-data/{slug}.json", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content.decode("utf-8"))


def get_csv_rows(client, slug=SLUG, **params):
    response = client.get(f"/open-data/{slug}.csv", params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())  # the BOM Excel needs
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- content --------------------------------------------------------------------------


def test_the_json_holds_the_final_list_its_revision_and_the_campaigns_rules(client, final):
    document = get_json(client)
    assert document["schema_version"] == 3
    assert document["campaign"] == {
        "slug": SLUG,
        "name": "疫情防控期间全市物业服务“群众满意小区”",
        "name_en": "Test campaign",
        "threshold_percent": "90.00",
        "min_responses": 20,
        "min_coverage_percent": "0.00",
        "satisfied_answers": ["satisfied", "basically_satisfied"],
        "criteria": [
            {"code": "basic-service", "name": "基本服务到位", "name_en": "Basic service in place"},
            {"code": "publicity-guidance", "name": "宣传引导到位", "name_en": "Publicity and guidance in place"},
            {"code": "closed-management", "name": "封闭管理到位", "name_en": "Closed-gate management in place"},
            {"code": "disinfection-cleaning", "name": "消杀保洁到位", "name_en": "Disinfection and cleaning in place"},
            {"code": "cooperation-support", "name": "配合保障到位", "name_en": "Cooperation and supply support in place"},
        ],
    }  # fmt: skip
    published_at = document["publication"]["published_at"]
    assert published_at.endswith("+08:00") and "T" in published_at
    assert document["publication"] == {
        "revision": 1,
        "published_at": published_at,
        "change_note": "",
        "ratings_digest": final.ratings_digest,
        "audit_head": final.audit_head,
    }
    assert (
        len(final.ratings_digest) == 64
    )  # the verifiable tally: tests/reviews/test_verification.py
    assert document["revisions"] == [document["publication"]]
    assert document["entries"] == [
        {
            "campaign_slug": SLUG,
            "revision": 1,
            "published_at": published_at,
            "district_code": "420104",
            "district_name": "硚口区",
            "district_name_en": "Qiaokou District",
            "street_name": "古田街道",
            "community_name": "汉口春天",
            "community_name_en": "",
            "company_name": "武汉惠之美物业服务有限公司",
            "company_credit_code": final.entries.get().company_credit_code,
            "households": 100,
            "responses": 30,
            "satisfied": 29,
            "rate_percent": "96.6",  # 96.67% rounded down, as on the pages
            "status": "listed",
            "withdrawal_reason": "",
        }
    ]
    assert len(document["entries"][0]["company_credit_code"]) == 18


def test_the_csv_has_a_bom_a_header_of_field_names_and_a_row_per_entry(client, final):
    header, *rows = get_csv_rows(client)
    assert header == ENTRY_FIELDS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["community_name"] == "汉口春天"
    assert (row["responses"], row["satisfied"], row["rate_percent"]) == ("30", "29", "96.6")
    assert row["published_at"] == get_json(client)["publication"]["published_at"]
    response = client.get(f"/open-data/{SLUG}.csv")
    assert response["Content-Disposition"] == f'attachment; filename="{SLUG}-r1.csv"'


def test_nothing_unpublished_leaks(client, final, loser):
    bodies = [
        client.get(f"/open-data/{SLUG}.json").content.decode(),
        client.get(f"/open-data/{SLUG}.csv").content.decode("utf-8-sig"),
    ]
    for body in bodies:
        assert "洺悦府" not in body  # a community that is not on the list
        assert "50.0" not in body  # nor its rate
        assert SECRET_COMMENT not in body
        assert OBJECTION_CONTACT not in body and "王女士" not in body and "门岗常无人" not in body
        assert REVIEW_NOTE not in body and "五个到位均已核实" not in body
        assert "household_code" not in body and "receipt" not in body


def test_a_spreadsheet_formula_in_a_name_is_defused_in_the_csv_only(client, final):
    with history_guards_off():  # a published list is frozen: planted as the owner could
        final.entries.update(community_name='=HYPERLINK("http://x")', street_name="-1+2")
    row = dict(zip(*get_csv_rows(client), strict=True))
    assert row["community_name"] == '\'=HYPERLINK("http://x")'
    assert row["street_name"] == "'-1+2"
    assert get_json(client)["entries"][0]["community_name"] == '=HYPERLINK("http://x")'


# --- what has no final list publishes nothing --------------------------------------------


@pytest.mark.parametrize(
    "status", [Campaign.Status.DRAFT, Campaign.Status.OPEN, Campaign.Status.CLOSED]
)
def test_a_campaign_without_a_final_list_publishes_nothing(client, winner, status):
    Campaign.objects.filter(slug=SLUG).update(status=status)
    for extension in ("csv", "json"):
        response = client.get(f"/open-data/{SLUG}.{extension}")
        assert response.status_code == 404
        assert "汉口春天" not in response.content.decode()


def test_the_preliminary_list_in_its_notice_period_is_not_open_data(client, preliminary):
    assert client.get(f"/open-data/{SLUG}.json").status_code == 404
    assert client.get(f"/open-data/{SLUG}.json", {"revision": 1}).status_code == 404
    assert client.get("/open-data/no-such-campaign.csv").status_code == 404


# --- revisions ----------------------------------------------------------------------


def test_a_withdrawal_is_a_new_revision_and_the_earlier_one_stays_readable(
    client, final, city_officer
):
    revision2 = entry_withdraw(
        final.entries.get(), actor=city_officer, reason="经查实存在严重服务问题"
    )
    document = get_json(client)
    assert document["publication"]["revision"] == 2
    assert "经查实存在严重服务问题" in document["publication"]["change_note"]
    assert [r["revision"] for r in document["revisions"]] == [1, 2]
    [entry] = document["entries"]
    assert (entry["revision"], entry["status"], entry["withdrawal_reason"]) == (
        2,
        "withdrawn",
        "经查实存在严重服务问题",
    )

    earlier = get_json(client, revision=1)
    assert earlier["publication"]["revision"] == 1
    assert earlier["revisions"] == document["revisions"]  # the history is the same
    assert [(e["status"], e["revision"]) for e in earlier["entries"]] == [("listed", 1)]
    header, row = get_csv_rows(client, revision=1)
    assert dict(zip(header, row, strict=True))["status"] == "listed"

    current_etag = client.get(f"/open-data/{SLUG}.json")["ETag"]
    assert current_etag != client.get(f"/open-data/{SLUG}.json?revision=1")["ETag"]
    assert revision2.pk != final.pk


@pytest.mark.parametrize("revision", ["0", "-1", "abc", "1.0", ""])
def test_a_malformed_revision_is_refused_with_a_reason(client, final, revision):
    response = client.get(f"/open-data/{SLUG}.json", {"revision": revision})
    assert response.status_code == 400
    assert "revision" in response.content.decode()
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_revision_that_does_not_exist_is_not_found(client, final):
    assert client.get(f"/open-data/{SLUG}.csv", {"revision": 2}).status_code == 404


# --- HTTP -------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_open_data_is_cacheable_and_readable_from_any_origin(client, final, extension):
    url = f"/open-data/{SLUG}.{extension}"
    response = client.get(url)
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Last-Modified"] == http_date(final.published_at.timestamp())
    etag = response["ETag"]
    assert etag == f'"v3-{final.pk}-r1"'

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "public, max-age=300"
    assert again["Access-Control-Allow-Origin"] == "*"
    since = client.get(url, headers={"If-Modified-Since": response["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"v1-0-r1"'})
    assert stale.status_code == 200 and stale.content == response.content

    head = client.head(url)
    assert head.status_code == 200 and head["ETag"] == etag
    assert client.post(url).status_code == 405


def test_the_number_of_queries_does_not_grow_with_the_list(
    client, final, django_assert_max_num_queries
):
    def count_queries():
        with django_assert_max_num_queries(50) as captured:
            client.get(f"/open-data/{SLUG}.json")
            client.get(f"/open-data/{SLUG}.csv")
        return len(captured)

    one = count_queries()
    entry = final.entries.get()
    PublicationEntry.objects.bulk_create(
        [
            PublicationEntry(
                publication=final,
                enrollment=enrollment_create_for_copy(final.campaign, i),
                community_name=f"小区{i}",
                district_code=entry.district_code,
                district_name=entry.district_name,
                company_name=entry.company_name,
                households=50,
                responses=40,
                satisfied=39,
            )
            for i in range(8)
        ]
    )
    assert len(get_json(client)["entries"]) == 9
    assert count_queries() == one


def enrollment_create_for_copy(campaign, i):
    """An enrollment row for a bulk-made entry (the list's entries reference one)."""
    from evaluations.models import Enrollment

    first = Enrollment.objects.filter(campaign=campaign).first()
    community = Community.objects.create(
        district=first.community.district, name=f"小区{i}", households=50, company=first.company
    )
    return Enrollment.objects.create(
        campaign=campaign, community=community, company=first.company, households=50
    )


# --- the index page -----------------------------------------------------------------------


def test_the_index_lists_published_campaigns_with_their_files(client, final, city_officer):
    make_campaign(slug="still-open", name="正在评议的活动")
    entry_withdraw(final.entries.get(), actor=city_officer, reason="经查实存在严重服务问题")
    response = client.get("/open-data/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Open data</h1>" in page
    assert "Test campaign" in page  # the English name, in English
    assert f'href="/open-data/{SLUG}.csv"' in page
    assert f'href="/open-data/{SLUG}.json"' in page
    assert f"/open-data/{SLUG}.csv?revision=1" in page  # the earlier revision
    assert "正在评议的活动" not in page and "still-open" not in page


def test_the_index_says_so_when_nothing_is_published(client, db):
    make_campaign(slug="still-open", name="正在评议的活动")
    page = client.get("/open-data/", headers={"Accept-Language": "en"}).content.decode()
    assert "No final list has been published yet." in page
    assert "正在评议的活动" not in page


def test_the_index_makes_one_query_whatever_the_number_of_campaigns(
    client, final, django_assert_num_queries
):
    Publication.objects.create(campaign=make_campaign(slug="another"), kind="final", revision=1)
    with django_assert_num_queries(1):
        client.get("/open-data/")
