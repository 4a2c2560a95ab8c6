"""Bulk review decisions (issue 13): a district reviewer ticks many communities and
decides once; each enrollment is still one audited decision through its own service,
refused ones are listed with why, and the scope holds even against forged ids."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry, Campaign, Enrollment, ReviewStatus
from monitoring.holds import monitoring_finalise
from reviews.bulk import enrollments_decide
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


def make_district_campaign(qiaokou, jiangan, company, city_officer, *, n=4, rated=True):
    """n communities in 硚口区 (the last one without ratings) and one in 江岸区."""
    campaign = make_campaign(slug="bulk", min_responses=5, status=Campaign.Status.OPEN)
    street = Street.objects.create(district=qiaokou, name="汉中街道")
    for i in range(n):
        community = Community.objects.create(
            district=qiaokou, street=street, name=f"硚口小区{i:03d}", households=50, company=company
        )
        enrollment = enrollment_create(campaign, community)
        if rated and i < n - 1:
            add_ratings(enrollment, satisfied=10)
    other = Community.objects.create(
        district=jiangan, name="江岸花园", households=50, company=company
    )
    add_ratings(enrollment_create(campaign, other), satisfied=10)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    return campaign


@pytest.fixture
def campaign(qiaokou, jiangan, company, city_officer):
    return make_district_campaign(qiaokou, jiangan, company, city_officer)


def qiaokou_rows(campaign):
    return campaign.enrollments.filter(community__district__code="420104").order_by("pk")


def test_all_checks_met_then_recommend_lists_the_unrated_community_with_why(
    campaign, qiaokou_reviewer
):
    rows = list(qiaokou_rows(campaign))
    outcome = enrollments_decide(rows, "checks_met", actor=qiaokou_reviewer)
    assert len(outcome.done) == 4 and outcome.refused == []
    assert AuditEntry.objects.filter(action="check_recorded").count() == 4 * 7

    outcome = enrollments_decide(rows, "recommend", actor=qiaokou_reviewer, reason="核查通过")
    assert [e.community.name for e in outcome.done] == ["硚口小区000", "硚口小区001", "硚口小区002"]
    [(refused, why)] = outcome.refused
    assert refused.community.name == "硚口小区003" and "没有有效评议" in why
    statuses = dict(qiaokou_rows(campaign).values_list("community__name", "review_status"))
    assert statuses == {
        "硚口小区000": ReviewStatus.RECOMMENDED,
        "硚口小区001": ReviewStatus.RECOMMENDED,
        "硚口小区002": ReviewStatus.RECOMMENDED,
        "硚口小区003": ReviewStatus.PENDING,
    }
    # one audited decision per enrollment, with the one reason
    recommended = AuditEntry.objects.filter(action="recommended")
    assert sorted(recommended.values_list("enrollment__community__name", "reason")) == [
        (f"硚口小区00{i}", "核查通过") for i in range(3)
    ]
    # recording all checks met again changes nothing and writes nothing
    enrollments_decide(rows, "checks_met", actor=qiaokou_reviewer)
    assert AuditEntry.objects.filter(action="check_recorded").count() == 4 * 7


def test_not_recommending_in_bulk_needs_one_reason_for_all(campaign, qiaokou_reviewer):
    from evaluations.errors import DomainError

    rows = list(qiaokou_rows(campaign))
    with pytest.raises(DomainError, match="请填写理由"):
        enrollments_decide(rows, "reject", actor=qiaokou_reviewer, reason=" ")
    assert not AuditEntry.objects.filter(action="rejected").exists()
    enrollments_decide(rows[3:], "reject", actor=qiaokou_reviewer, reason="无居民评议")
    assert Enrollment.objects.get(pk=rows[3].pk).review_reason == "无居民评议"


def _page(response):
    return response.content.decode()


def test_the_bulk_page_decides_the_ticked_rows_and_lists_the_refused(
    client, campaign, qiaokou_reviewer
):
    client.force_login(qiaokou_reviewer)
    url = reverse("console:bulk", args=[campaign.slug])
    page = _page(client.get(url))
    assert "硚口小区000" in page and "江岸花园" not in page  # scoped
    assert "全选符合筛选条件的4个小区" in page

    response = client.post(url, {"select_all": "all", "decision": "checks_met"})
    assert "已决定4个小区" in _page(response)
    ids = [str(e.pk) for e in qiaokou_rows(campaign)]
    response = client.post(url, {"enrollment": ids, "decision": "recommend"})
    page = _page(response)
    assert "已决定3个小区" in page and "1个小区无法执行该决定" in page
    assert re.search(r"硚口小区003</a>: [^<]*没有有效评议", page)


def test_a_forged_id_from_another_district_is_not_touched(
    client, campaign, qiaokou_reviewer, jiangan_reviewer
):
    jiangan_row = campaign.enrollments.get(community__name="江岸花园")
    client.force_login(qiaokou_reviewer)
    url = reverse("console:bulk", args=[campaign.slug])
    response = client.post(url, {"enrollment": [str(jiangan_row.pk)], "decision": "checks_met"})
    assert response.status_code == 400
    assert "请至少勾选一个小区" in _page(response)
    assert not jiangan_row.checks.exists()
    # and "all matching" never reaches beyond the district either
    client.post(url, {"select_all": "all", "decision": "checks_met", "district": "420102"})
    assert not jiangan_row.checks.exists()
    assert not AuditEntry.objects.filter(enrollment=jiangan_row, action="check_recorded").exists()


def test_the_district_cannot_take_the_citys_decisions(client, campaign, qiaokou_reviewer):
    client.force_login(qiaokou_reviewer)
    url = reverse("console:bulk", args=[campaign.slug])
    response = client.post(url, {"select_all": "all", "decision": "approve"})
    assert response.status_code == 400 and "请选择一项决定" in _page(response)
    assert "批准" not in re.search(r'<select name="decision".*?</select>', _page(response), re.S)[0]


def test_filters_by_street_company_and_status(client, campaign, qiaokou_reviewer, company):
    client.force_login(qiaokou_reviewer)
    url = reverse("console:bulk", args=[campaign.slug])
    rows = list(qiaokou_rows(campaign))
    enrollments_decide(rows[:1], "reject", actor=qiaokou_reviewer, reason="测试")
    page = _page(client.get(url, {"status": "rejected"}))
    assert "硚口小区000" in page and "硚口小区001" not in page
    street = Street.objects.get(name="汉中街道")
    page = _page(client.get(url, {"district": "420104", "street": street.pk}))
    assert "硚口小区003" in page and "汉中街道" in page
    page = _page(client.get(url, {"company": company.pk + 1000}))
    assert "硚口小区000" not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_bulk_page_makes_as_many_queries_for_50_rows_as_for_1(
    client, qiaokou, jiangan, company, city_officer, qiaokou_reviewer, method
):
    campaign = make_district_campaign(qiaokou, jiangan, company, city_officer, n=1, rated=False)
    client.force_login(qiaokou_reviewer)
    url = reverse("console:bulk", args=[campaign.slug])
    data = {"decision": "nothing"} if method == "post" else {}

    def count():
        getattr(client, method)(url, data)  # warm the session and permission caches
        with CaptureQueriesContext(connection) as queries:
            getattr(client, method)(url, data)
        return len(queries)

    one = count()
    street = Street.objects.get(name="汉中街道")
    for i in range(49):
        community = Community.objects.create(
            district=qiaokou, street=street, name=f"又一小区{i}", households=50, company=company
        )
        Enrollment.objects.create(
            campaign=campaign, community=community, company=company, households=50
        )
    assert count() == one


def test_rate_bands_and_the_rate_order_only_once_rates_are_visible(
    client, qiaokou, company, city_officer
):
    campaign = make_campaign(slug="bands", min_responses=5, status=Campaign.Status.OPEN)
    for name, satisfied, unsatisfied in [
        ("满分小区", 10, 0),
        ("九成小区", 9, 1),  # exactly 90%: in the top band, as the threshold counts it
        ("八成九小区", 89, 11),  # 89%
        ("七成小区", 7, 3),
        ("无人小区", 0, 0),
    ]:
        community = Community.objects.create(
            district=qiaokou, name=name, households=200, company=company
        )
        add_ratings(
            enrollment_create(campaign, community), satisfied=satisfied, unsatisfied=unsatisfied
        )
    client.force_login(city_officer)
    url = reverse("console:campaign", args=[campaign.slug])

    def names(**params):
        html = _page(client.get(url, params))
        return re.findall(r'<a href="/console/enrollments/\d+/">([^<]+)</a>', html), html

    # While rating is open a band is no filter and no choice: it would reveal rates.
    shown, html = names(band="90", sort="-rate")
    assert len(shown) == 5 and 'name="band"' not in html and "满意度从高到低" not in html

    campaign_transition(campaign, "close", actor=city_officer)

    monitoring_finalise(campaign, actor=city_officer)
    assert names(band="90")[0] == ["九成小区", "满分小区"]
    assert names(band="80")[0] == ["八成九小区"]
    assert names(band="low")[0] == ["七成小区"]
    assert names(band="none")[0] == ["无人小区"]
    assert names(sort="-rate")[0] == ["满分小区", "九成小区", "八成九小区", "七成小区", "无人小区"]
    assert names(sort="rate")[0][:2] == ["七成小区", "八成九小区"]


@pytest.mark.parametrize(
    ("decision", "persona"),
    [("checks_met", "reviewer"), ("recommend", "reviewer"), ("approve", "city")],
)
def test_a_bulk_decision_makes_as_many_queries_for_50_enrollments_as_for_1(
    client, qiaokou, jiangan, company, city_officer, qiaokou_reviewer, decision, persona
):
    """Round trips per chunk, not per enrollment (issue 13: 1,000 in under 10 s): the
    locks, the checks, the decisions and their audit entries are one statement each."""

    campaign = make_district_campaign(qiaokou, jiangan, company, city_officer, n=52)
    rows = list(qiaokou_rows(campaign))[:51]
    if decision in ("recommend", "approve"):
        enrollments_decide(rows, "checks_met", actor=qiaokou_reviewer)
    if decision == "approve":
        enrollments_decide(rows, "recommend", actor=qiaokou_reviewer)
    client.force_login(qiaokou_reviewer if persona == "reviewer" else city_officer)
    url = reverse("console:bulk", args=[campaign.slug])
    client.get(url)  # warm the session and permission caches

    def count(chosen):
        data = {"decision": decision, "enrollment": [e.pk for e in chosen]}
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url, data)
        assert response.status_code == 200
        # One bulk INSERT is one statement on PostgreSQL; SQLite's limit of bound
        # parameters splits it into batches of the same INSERT, counted here as one.
        statements = [q["sql"] for q in queries.captured_queries]
        return len(
            [
                sql
                for i, sql in enumerate(statements)
                if not (sql.startswith("INSERT") and i and statements[i - 1][:60] == sql[:60])
            ]
        )

    assert count(rows[:1]) == count(rows[1:51])
    done = {"checks_met": "check_recorded", "recommend": "recommended", "approve": "approved"}
    assert AuditEntry.objects.filter(action=done[decision], enrollment__in=rows).count() == (
        51 * 7 if decision == "checks_met" else 51
    )


def test_a_bulk_decision_keeps_the_audit_chain_whole(campaign, qiaokou_reviewer, city_officer):
    """The entries of a chunk are chained in memory and written in one INSERT: the chain
    still verifies, one entry per check and per decision, each naming its enrollment."""
    from evaluations.chain_check import check_audit_chain

    rows = list(qiaokou_rows(campaign))
    enrollments_decide(rows, "checks_met", actor=qiaokou_reviewer)
    enrollments_decide(rows[:3], "recommend", actor=qiaokou_reviewer)
    enrollments_decide(rows[:3], "approve", actor=city_officer)
    assert check_audit_chain().ok
    assert sorted(
        AuditEntry.objects.filter(action="approved").values_list("enrollment_id", flat=True)
    ) == [e.pk for e in rows[:3]]
    hashes = list(AuditEntry.objects.order_by("pk").values_list("prev_hash", "entry_hash"))
    assert all(prev == hashes[i - 1][1] for i, (prev, _h) in enumerate(hashes) if i)
