"""The bureau's programme as services: lifecycle, review, approval, public notice,
objections, the final list, withdrawal, and the audit log they all write."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from communities.models import Community, PropertyCompany
from evaluations.campaigns import TransitionRefused, campaign_transition, enrollment_create
from evaluations.errors import DomainError
from evaluations.models import AuditEntry, Campaign, Enrollment, ReviewStatus
from monitoring.holds import monitoring_finalise
from reviews.decisions import (
    ReviewRefused,
    enrollment_approve,
    enrollment_recommend,
    enrollment_reject,
    enrollment_return,
    review_check_record,
)
from reviews.models import Objection, Publication, PublicationEntry
from reviews.publishing import (
    PublicationRefused,
    entry_withdraw,
    objection_answer,
    objection_confirm_uphold,
    objection_file,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db
S = Campaign.Status


def check_all(enrollment, actor, met=True):
    campaign = enrollment.campaign
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=actor, met=met, note="现场核查")


@pytest.fixture
def campaign(db):
    return make_campaign(slug="review", min_responses=20)


@pytest.fixture
def enrolled(campaign, community):
    """汉口春天, enrolled and rated: 30 of 100 households, all satisfied."""
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=30)
    return enrollment


@pytest.fixture
def closed(enrolled, city_officer):
    campaign_transition(enrolled.campaign, "close", actor=city_officer)
    monitoring_finalise(enrolled.campaign, actor=city_officer)
    enrolled.refresh_from_db()
    return enrolled


@pytest.fixture
def approved(closed, qiaokou_reviewer, city_officer):
    check_all(closed, qiaokou_reviewer)
    enrollment_recommend(closed, actor=qiaokou_reviewer)
    return enrollment_approve(closed, actor=city_officer)


@pytest.fixture
def preliminary(approved, city_officer):
    return publication_publish_preliminary(approved.campaign, actor=city_officer)


def after_notice(publication):
    return publication.notice_ends_at + timedelta(seconds=1)


# --- lifecycle --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "result"),
    [
        (S.DRAFT, "open", S.OPEN),
        (S.OPEN, "close", S.CLOSED),
        (S.PUBLISHED, "archive", S.ARCHIVED),
        (S.DRAFT, "close", None),
        (S.OPEN, "open", None),
        (S.CLOSED, "open", None),
        (S.CLOSED, "archive", None),
        (S.PUBLISHED, "close", None),
        (S.ARCHIVED, "open", None),
        (S.DRAFT, "publish", None),  # publishing goes through the notice period only
    ],
)
def test_campaign_transitions(enrolled, city_officer, status, action, result):
    campaign = enrolled.campaign
    Campaign.objects.filter(pk=campaign.pk).update(status=status)
    if result is None:
        with pytest.raises(TransitionRefused):
            campaign_transition(campaign, action, actor=city_officer)
        campaign.refresh_from_db()
        assert campaign.status == status
        assert not AuditEntry.objects.filter(campaign=campaign, enrollment=None).exists()
    else:
        campaign_transition(campaign, action, actor=city_officer, reason="按计划")
        campaign.refresh_from_db()
        assert campaign.status == result
        entry = AuditEntry.objects.get(campaign=campaign, enrollment=None)
        assert (entry.actor, entry.action, entry.old_value, entry.new_value, entry.reason) == (
            city_officer,
            f"campaign_{action}",
            status,
            result,
            "按计划",
        )


def test_a_campaign_without_enrollments_cannot_open(city_officer):
    campaign = make_campaign(slug="empty", status=S.DRAFT)
    with pytest.raises(TransitionRefused, match="至少登记一个小区"):
        campaign_transition(campaign, "open", actor=city_officer)


def test_a_campaign_whose_window_has_passed_cannot_open(enrolled, city_officer):
    campaign = enrolled.campaign
    Campaign.objects.filter(pk=campaign.pk).update(
        status=S.DRAFT,
        opens_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(days=1),
    )
    campaign.refresh_from_db()
    with pytest.raises(TransitionRefused, match="评议时间已过"):
        campaign_transition(campaign, "open", actor=city_officer)


# --- district review --------------------------------------------------------------


def test_no_review_while_rating_is_open(enrolled, qiaokou_reviewer):
    rule = enrolled.campaign.criteria.first()
    with pytest.raises(ReviewRefused, match="评议结束后"):
        review_check_record(enrolled, rule, actor=qiaokou_reviewer, met=True)
    with pytest.raises(ReviewRefused):
        enrollment_recommend(enrolled, actor=qiaokou_reviewer)


def test_recommending_needs_every_check_recorded_and_met(closed, qiaokou_reviewer):
    with pytest.raises(ReviewRefused, match="尚未核查：基本服务到位"):
        enrollment_recommend(closed, actor=qiaokou_reviewer)
    check_all(closed, qiaokou_reviewer)
    rule = closed.campaign.criteria.get(code="closed-management")
    review_check_record(closed, rule, actor=qiaokou_reviewer, met=False, note="夜间无人值守")
    with pytest.raises(ReviewRefused, match="未达到：封闭管理到位"):
        enrollment_recommend(closed, actor=qiaokou_reviewer)
    review_check_record(closed, rule, actor=qiaokou_reviewer, met=True, note="已整改")
    enrollment_recommend(closed, actor=qiaokou_reviewer, reason="五个到位均已核实")
    closed.refresh_from_db()
    assert closed.review_status == ReviewStatus.RECOMMENDED
    changed = AuditEntry.objects.filter(action="check_recorded", subject__contains="封闭管理到位")
    assert [(e.old_value, e.new_value) for e in changed.order_by("id")][-2:] == [
        ("达到", "未达到"),
        ("未达到", "达到"),
    ]


@pytest.mark.parametrize(
    ("satisfied", "unsatisfied", "message"),
    [(26, 4, "低于90.00%的门槛"), (10, 0, "评议数不足")],
)
def test_an_ineligible_enrollment_cannot_be_recommended(
    campaign, community, qiaokou_reviewer, city_officer, satisfied, unsatisfied, message
):
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=satisfied, unsatisfied=unsatisfied)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    check_all(enrollment, qiaokou_reviewer)
    with pytest.raises(ReviewRefused, match=message):
        enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment.refresh_from_db()
    assert enrollment.review_status == ReviewStatus.PENDING


def test_rejecting_and_returning_need_a_reason(closed, qiaokou_reviewer, city_officer):
    with pytest.raises(DomainError, match="请填写理由"):
        enrollment_reject(closed, actor=qiaokou_reviewer, reason="  ")
    enrollment_reject(closed, actor=qiaokou_reviewer, reason="居民投诉未处理")
    closed.refresh_from_db()
    assert (closed.review_status, closed.review_reason) == (ReviewStatus.REJECTED, "居民投诉未处理")
    check_all(closed, qiaokou_reviewer)
    enrollment_recommend(closed, actor=qiaokou_reviewer)
    with pytest.raises(DomainError, match="请填写理由"):
        enrollment_return(closed, actor=city_officer, reason="")
    enrollment_return(closed, actor=city_officer, reason="请补充消杀记录")
    closed.refresh_from_db()
    assert closed.review_status == ReviewStatus.RETURNED
    enrollment_recommend(closed, actor=qiaokou_reviewer)  # the district may recommend again
    enrollment_approve(closed, actor=city_officer)
    decisions = AuditEntry.objects.filter(enrollment=closed).exclude(
        action__in=["check_recorded", "enrollment_created"]
    )
    assert [e.action for e in decisions.order_by("id")] == [
        "rejected", "recommended", "returned", "recommended", "approved"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("status", "operation"),
    [
        (ReviewStatus.PENDING, "approve"),
        (ReviewStatus.REJECTED, "approve"),
        (ReviewStatus.PENDING, "return"),
        (ReviewStatus.APPROVED, "recommend"),
        (ReviewStatus.APPROVED, "reject"),
    ],
)
def test_decisions_in_the_wrong_state_are_refused(
    closed, qiaokou_reviewer, city_officer, status, operation
):
    check_all(closed, qiaokou_reviewer)
    type(closed).objects.filter(pk=closed.pk).update(review_status=status)
    calls = {
        "approve": lambda: enrollment_approve(closed, actor=city_officer),
        "return": lambda: enrollment_return(closed, actor=city_officer, reason="x"),
        "recommend": lambda: enrollment_recommend(closed, actor=qiaokou_reviewer),
        "reject": lambda: enrollment_reject(closed, actor=qiaokou_reviewer, reason="x"),
    }
    with pytest.raises(ReviewRefused):
        calls[operation]()
    closed.refresh_from_db()
    assert closed.review_status == status


# --- the public notice and its objections -----------------------------------------


def test_the_preliminary_list_waits_for_every_city_decision(closed, qiaokou_reviewer, city_officer):
    check_all(closed, qiaokou_reviewer)
    enrollment_recommend(closed, actor=qiaokou_reviewer)
    with pytest.raises(PublicationRefused, match="等待市房管局审核"):
        publication_publish_preliminary(closed.campaign, actor=city_officer)


def test_nothing_to_publish_without_an_approval(closed, city_officer):
    with pytest.raises(PublicationRefused, match="没有审核通过的小区"):
        publication_publish_preliminary(
            closed.campaign, actor=city_officer, leave_out_unreviewed=True
        )
    assert not Publication.objects.exists()


def test_the_preliminary_list_opens_a_notice_period(preliminary, approved):
    assert preliminary.kind == Publication.Kind.PRELIMINARY
    assert preliminary.notice_ends_at - preliminary.published_at == timedelta(days=5)
    entry = preliminary.entries.get()
    assert (entry.community_name, entry.district_name, entry.company_name) == (
        "汉口春天", "硚口区", "武汉惠之美物业服务有限公司"
    )  # fmt: skip
    assert (entry.responses, entry.satisfied, str(entry.rate_percent)) == (30, 30, "100.0")
    approved.campaign.refresh_from_db()
    assert approved.campaign.status == S.CLOSED  # published only with the final list
    with pytest.raises(ReviewRefused, match="审核决定不能再更改"):
        enrollment_return(approved, actor=None, reason="太晚了")


def test_objections_are_taken_only_during_the_notice_period(preliminary):
    entry = preliminary.entries.get()
    objection = objection_file(
        entry, contact_name="王女士", contact="13800000000", text="门岗常无人"
    )
    assert objection.status == Objection.Status.OPEN
    with pytest.raises(DomainError, match="公示期已结束"):
        objection_file(
            entry, contact_name="李先生", contact="x@example.org", text="迟到的异议",
            now=after_notice(preliminary),
        )  # fmt: skip
    with pytest.raises(DomainError, match="请填写"):
        objection_file(entry, contact_name="", contact="", text="")
    assert Objection.objects.count() == 1


def test_the_final_list_waits_for_the_notice_period_and_every_answer(
    preliminary, city_officer, qiaokou_reviewer
):
    campaign = preliminary.campaign
    entry = preliminary.entries.get()
    with pytest.raises(PublicationRefused, match="公示期至"):
        publication_publish_final(campaign, actor=city_officer)
    objection = objection_file(entry, contact_name="王女士", contact="138", text="门岗常无人")
    with pytest.raises(PublicationRefused, match="1条异议尚未答复"):
        publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))
    with pytest.raises(DomainError, match="请填写理由"):
        objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="")
    objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实门岗24小时值守")
    final = publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))
    campaign.refresh_from_db()
    assert campaign.status == S.PUBLISHED
    assert list(final.entries.values_list("community_name", flat=True)) == ["汉口春天"]
    assert Publication.objects.current().get() == final
    with pytest.raises(PublicationRefused):
        publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))


def test_an_upheld_objection_drops_the_entry_from_the_final_list(
    campaign, community, qiaokou, company, qiaokou_reviewer, city_officer
):
    other = Community.objects.create(
        district=qiaokou, name="洺悦府", households=50, company=company
    )
    first = enrollment_create(campaign, community)
    second = enrollment_create(campaign, other)
    add_ratings(first, satisfied=30)
    add_ratings(second, satisfied=25)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for enrollment in (first, second):
        check_all(enrollment, qiaokou_reviewer)
        enrollment_recommend(enrollment, actor=qiaokou_reviewer)
        enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    entry = preliminary.entries.get(community_name="洺悦府")
    objection = objection_file(entry, contact_name="张", contact="139", text="疫情期间物业人员缺岗")
    objection_answer(objection, actor=qiaokou_reviewer, upheld=True, answer="经核实情况属实")
    # The city approved it: the district's uphold waits for the city's confirmation.
    second.refresh_from_db()
    assert second.review_status == ReviewStatus.APPROVED
    with pytest.raises(PublicationRefused):
        publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))
    objection_confirm_uphold(objection, actor=city_officer, confirm=True)
    second.refresh_from_db()
    assert second.review_status == ReviewStatus.DROPPED
    final = publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))
    assert list(final.entries.values_list("community_name", flat=True)) == ["汉口春天"]
    # The preliminary list itself stays as it was published.
    assert preliminary.entries.count() == 2
    with pytest.raises(DomainError, match="已答复"):
        objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="改主意")


# --- the published list: frozen, withdrawn by revision ----------------------------


@pytest.fixture
def final(preliminary, city_officer):
    return publication_publish_final(
        preliminary.campaign, actor=city_officer, now=after_notice(preliminary)
    )


def test_the_publication_is_frozen_against_later_edits(final, community, company):
    community.name = "汉口春天（改名）"
    community.households = 999
    community.save()
    company.name = "另一家物业公司"
    company.save()
    entry = PublicationEntry.objects.get(publication=final)
    assert (entry.community_name, entry.company_name, entry.households) == (
        "汉口春天", "武汉惠之美物业服务有限公司", 100
    )  # fmt: skip


def test_withdrawal_makes_a_new_revision_and_keeps_the_old(final, city_officer):
    entry = final.entries.get()
    with pytest.raises(DomainError, match="请填写理由"):
        entry_withdraw(entry, actor=city_officer, reason="")
    revision2 = entry_withdraw(entry, actor=city_officer, reason="经查实存在严重服务问题")
    assert revision2.revision == 2
    assert "汉口春天" in revision2.change_note and "经查实存在严重服务问题" in revision2.change_note
    withdrawn = revision2.entries.get()
    assert withdrawn.status == PublicationEntry.Status.WITHDRAWN
    assert withdrawn.withdrawal_reason == "经查实存在严重服务问题"
    assert final.entries.get().status == PublicationEntry.Status.LISTED  # revision 1 unchanged
    assert Publication.objects.current().get() == revision2
    with pytest.raises(PublicationRefused, match="当前发布"):
        entry_withdraw(entry, actor=city_officer, reason="再撤一次")
    with pytest.raises(PublicationRefused, match="已撤销"):
        entry_withdraw(withdrawn, actor=city_officer, reason="再撤一次")
    audit = AuditEntry.objects.get(action="entry_withdrawn")
    assert (audit.actor, audit.old_value, audit.new_value) == (city_officer, "r1", "r2")


# --- the audit log ----------------------------------------------------------------


def test_the_audit_log_is_append_only_down_to_the_database(closed, qiaokou_reviewer):
    enrollment_reject(closed, actor=qiaokou_reviewer, reason="原因")
    entry = AuditEntry.objects.get(action="rejected")
    entry.reason = "篡改"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == "原因"
    assert (entry.actor_name, entry.enrollment) == ("qiaokou", closed)


def test_company_of_the_campaign_is_what_the_publication_names(approved, city_officer):
    """The company serving during the campaign is published, not today's company."""
    community = approved.community
    community.company = PropertyCompany.objects.create(name="新接手物业有限公司")
    community.save()
    publication = publication_publish_preliminary(approved.campaign, actor=city_officer)
    assert publication.entries.get().company_name == "武汉惠之美物业服务有限公司"


def test_saving_the_same_checks_again_writes_no_audit_row(closed, qiaokou_reviewer):
    check_all(closed, qiaokou_reviewer)
    audited = AuditEntry.objects.filter(enrollment=closed, action="check_recorded")
    assert audited.count() == 7
    check_all(closed, qiaokou_reviewer)  # the same seven values again
    assert audited.count() == 7
    rule = closed.campaign.criteria.get(code="closed-management")
    review_check_record(closed, rule, actor=qiaokou_reviewer, met=False, note="现场核查")
    check_all(closed, qiaokou_reviewer)  # one back to 达到, six unchanged
    assert [(e.old_value, e.new_value) for e in audited.order_by("id")[7:]] == [
        ("达到", "未达到"),
        ("未达到", "达到"),
    ]
    # a changed note alone is a change too
    review_check_record(closed, rule, actor=qiaokou_reviewer, met=True, note="复查：已整改")
    assert audited.count() == 10
    assert audited.order_by("id").last().reason == "复查：已整改"


def test_the_campaign_is_in_public_notice_until_the_final_list(preliminary, city_officer, client):
    # Bug: the badge said 评议结束 all through the notice period, and the final list's
    # audit row recorded 变更前 = 评议结束.
    from reviews.publishing import campaign_stage_display

    campaign = preliminary.campaign
    campaign.refresh_from_db()
    assert campaign_stage_display(campaign) == "公示中"
    assert campaign_stage_display(campaign, now=after_notice(preliminary)) == "公示期满"
    client.force_login(city_officer)
    html = client.get(f"/console/campaigns/{campaign.slug}/").content.decode()
    assert '<p class="eyebrow campaign-stage">公示中</p>' in html
    publication_publish_final(campaign, actor=city_officer, now=after_notice(preliminary))
    entry = AuditEntry.objects.get(action="final_published")
    assert (entry.old_value_display, entry.new_value_display) == ("公示期满", "已发布")


def test_the_preliminary_list_waits_for_undecided_enrollments_or_leaves_them_out(
    approved, campaign, qiaokou, company, city_officer
):
    # Bug: the notice was published while enrollments were still 待区审核, with no
    # warning, and they stayed there for ever.
    for name in ("宗关小区", "荣华小区"):
        community = Community.objects.create(
            district=qiaokou, name=name, households=50, company=company
        )
        Enrollment.objects.create(  # rating has closed: made directly, as if enrolled before
            campaign=campaign, community=community, company=company, households=50
        )
    with pytest.raises(PublicationRefused, match="2个小区尚未作出决定：宗关小区、荣华小区"):
        publication_publish_preliminary(campaign, actor=city_officer)
    assert not Publication.objects.exists()

    publication = publication_publish_preliminary(
        campaign, actor=city_officer, leave_out_unreviewed=True
    )
    assert list(publication.entries.values_list("community_name", flat=True)) == ["汉口春天"]
    left_out = AuditEntry.objects.filter(action="left_out").order_by("id")
    assert [(e.enrollment.community.name, e.old_value_display) for e in left_out] == [
        ("宗关小区", "待区审核"),
        ("荣华小区", "待区审核"),
    ]
