"""Objections people can follow (issue 13, item 4): a reference number and a public
status page, the filer told of the answer by e-mail or text message after the commit,
their contact private and erased after the final list, and the city's confirmation
of an uphold that drops a community it approved."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from config import sms
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.errors import DomainError
from evaluations.models import AuditEntry, ReviewStatus
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Objection, normalise_reference
from reviews.publishing import (
    ObjectionRefused,
    objection_answer,
    objection_confirm_uphold,
    objection_file,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(community, qiaokou_reviewer, city_officer):
    """汉口春天 on the preliminary list of 测试评选, approved by the city."""
    campaign = make_campaign(slug="follow", min_responses=20)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=27, unsatisfied=3)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    return publication_publish_preliminary(campaign, actor=city_officer).entries.get()


def file(entry, contact="zhang@example.cn", notify=True, **kwargs):
    return objection_file(
        entry,
        contact_name="张三",
        contact=contact,
        text="门岗夜间无人值守，张三亲眼所见",
        notify=notify,
        **kwargs,
    )


def test_filing_gives_a_reference_number_that_is_not_the_row_id(entry):
    first, second = file(entry), file(entry)
    assert len(first.reference) == 10 and first.reference != second.reference
    assert str(first.pk) not in first.reference_display
    assert first.reference_display == f"{first.reference[:5]}-{first.reference[5:]}"
    assert normalise_reference(f" {first.reference_display.lower()} ") == first.reference
    audit = AuditEntry.objects.get(
        action="objection_filed", subject__contains=first.reference_display
    )
    assert "zhang@example.cn" not in str(audit.__dict__) and "张三" not in audit.subject


def test_the_public_form_files_and_shows_the_number(client, entry):
    url = reverse("notice_objection", args=["follow", entry.pk])
    response = client.post(
        url,
        {"contact_name": "张三", "contact": "13800138000", "notify": "on", "text": "垃圾无人清运"},
        follow=True,
    )
    objection = Objection.objects.get()
    page = response.content.decode()
    assert objection.notify and objection.contact == "13800138000"
    assert "受理编号" in page and objection.reference_display in page
    assert reverse("objection_status", args=[objection.reference]) in page


def test_asking_to_be_told_needs_an_address_to_write_to(client, entry):
    url = reverse("notice_objection", args=["follow", entry.pk])
    response = client.post(
        url, {"contact_name": "张三", "contact": "找物业前台", "notify": "on", "text": "垃圾"}
    )
    assert response.status_code == 400
    assert "请留下可以联系到您的电子邮箱或手机号码" in response.content.decode()
    assert not Objection.objects.exists()
    with pytest.raises(ObjectionRefused):
        file(entry, contact="找物业前台")
    # Without asking, any contact the bureau can use is fine, as before.
    assert file(entry, contact="找物业前台", notify=False).reference


def test_the_status_page_follows_the_objection_and_never_shows_the_filer(
    client, entry, qiaokou_reviewer
):
    objection = file(entry)
    url = reverse("objection_status", args=[objection.reference])
    page = client.get(url).content.decode()
    assert "已受理" in page and "汉口春天" in page
    for private in ("张三", "zhang@example.cn", "门岗夜间无人值守"):
        assert private not in page
    objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实门岗24小时值守")
    response = client.get(url)
    page = response.content.decode()
    assert "已答复" in page and "异议不成立" in page and "经核实门岗24小时值守" in page
    assert "张三" not in page and "zhang@example.cn" not in page
    assert "no-store" in response["Cache-Control"]


def test_the_lookup_takes_the_number_as_typed_and_says_when_it_is_wrong(client, entry):
    objection = file(entry)
    typed = objection.reference_display.lower().replace("-", " ")
    response = client.get(reverse("objection_lookup"), {"ref": typed})
    assert response.status_code == 302
    assert response["Location"] == reverse("objection_status", args=[objection.reference])
    response = client.get(reverse("objection_lookup"), {"ref": "AAAAA-BBBBB"})
    assert response.status_code == 404
    assert "没有这个受理编号的异议" in response.content.decode()
    assert client.get(reverse("objection_status", args=["NOPE"])).status_code == 404
    assert client.get(reverse("objection_lookup")).status_code == 200


def test_the_filer_is_told_by_email_after_the_commit_once(
    entry, qiaokou_reviewer, django_capture_on_commit_callbacks
):
    objection = file(entry)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实不属实")
        assert mail.outbox == []  # never inside the transaction of the answer
    assert len(callbacks) == 1
    callbacks[0]()
    callbacks[0]()  # a job delivered twice sends once
    [message] = mail.outbox
    assert message.to == ["zhang@example.cn"]
    assert objection.reference_display in message.body
    assert reverse("objection_status", args=[objection.reference]) in message.body
    assert "门岗" not in message.body
    objection.refresh_from_db()
    assert objection.notified_at is not None
    assert AuditEntry.objects.filter(action="objection_filer_told").count() == 1


def test_the_filer_is_told_by_text_message(
    entry, qiaokou_reviewer, django_capture_on_commit_callbacks
):
    objection = file(entry, contact="138 0013 8000")
    with django_capture_on_commit_callbacks(execute=True):
        objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实不属实")
    [(phone, text)] = sms.outbox
    assert phone == "138 0013 8000" and objection.reference_display in text
    assert mail.outbox == []


def test_nobody_is_written_to_who_did_not_ask(
    entry, qiaokou_reviewer, django_capture_on_commit_callbacks
):
    objection = file(entry, notify=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="经核实不属实")
    assert callbacks == [] and mail.outbox == [] and sms.outbox == []


def test_a_district_uphold_of_a_city_approved_community_waits_for_the_city(
    entry, qiaokou_reviewer, city_officer, django_capture_on_commit_callbacks
):
    objection = file(entry)
    with django_capture_on_commit_callbacks(execute=True):
        objection_answer(objection, actor=qiaokou_reviewer, upheld=True, answer="经核实属实")
    objection.refresh_from_db()
    entry.enrollment.refresh_from_db()
    assert objection.status == Objection.Status.AWAITING_CITY
    assert objection.public_stage == "handling"
    assert entry.enrollment.review_status == ReviewStatus.APPROVED
    assert mail.outbox == []  # not answered yet
    with pytest.raises(ObjectionRefused):
        objection_confirm_uphold(objection, actor=qiaokou_reviewer, confirm=True)
    with django_capture_on_commit_callbacks(execute=True):
        objection_confirm_uphold(objection, actor=city_officer, confirm=True)
    objection.refresh_from_db()
    entry.enrollment.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD and objection.answer == "经核实属实"
    assert entry.enrollment.review_status == ReviewStatus.DROPPED
    assert len(mail.outbox) == 1
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name"))
    assert actions[-4:-1] == [
        ("objection_uphold_confirmed", "city"),
        ("dropped", "city"),
        ("objection_upheld", "city"),
    ]
    assert ("objection_uphold_proposed", "qiaokou") in actions


def test_the_city_may_send_an_uphold_back_with_a_reason(entry, qiaokou_reviewer, city_officer):
    objection = file(entry)
    objection_answer(objection, actor=qiaokou_reviewer, upheld=True, answer="经核实属实")
    with pytest.raises(DomainError):
        objection_confirm_uphold(objection, actor=city_officer, confirm=False, reason=" ")
    objection_confirm_uphold(objection, actor=city_officer, confirm=False, reason="证据不足")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN and objection.answer == ""
    assert AuditEntry.objects.get(action="objection_uphold_refused").reason == "证据不足"
    # Open again: the district answers anew.
    objection_answer(objection, actor=qiaokou_reviewer, upheld=False, answer="复核不属实")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.DISMISSED


def test_the_city_upholds_directly(entry, city_officer):
    objection = file(entry)
    objection_answer(objection, actor=city_officer, upheld=True, answer="经核实属实")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD


def test_the_confirm_page_shows_the_consequence_before_it_takes_effect(
    client, entry, qiaokou_reviewer, city_officer
):
    objection = file(entry)
    objection_answer(objection, actor=qiaokou_reviewer, upheld=True, answer="经核实属实")
    client.force_login(city_officer)
    url = reverse("console:objection_confirm", args=[objection.pk])
    page = client.get(url).content.decode()
    assert "汉口春天" in page and "硚口区" in page and "90.0%（30份评议中27份满意）" in page
    assert "现为1个，确认后0个" in page
    entry.enrollment.refresh_from_db()
    assert entry.enrollment.review_status == ReviewStatus.APPROVED  # GET changes nothing
    response = client.post(url, {"decision": "refuse", "reason": ""})
    assert response.status_code == 400 and "请填写理由" in response.content.decode()
    response = client.post(url, {"decision": "confirm"})
    assert response.status_code == 302
    entry.enrollment.refresh_from_db()
    assert entry.enrollment.review_status == ReviewStatus.DROPPED
    client.force_login(qiaokou_reviewer)
    assert client.get(url).status_code == 403


def test_contacts_are_erased_when_the_final_list_is_published(
    entry, qiaokou_reviewer, city_officer, django_capture_on_commit_callbacks
):
    told = file(entry)
    quiet = file(entry, notify=False)
    waiting = file(entry, contact="13800138000")
    with django_capture_on_commit_callbacks(execute=True):
        objection_answer(told, actor=qiaokou_reviewer, upheld=False, answer="不属实")
        objection_answer(quiet, actor=qiaokou_reviewer, upheld=False, answer="不属实")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        objection_answer(waiting, actor=qiaokou_reviewer, upheld=False, answer="不属实")
    publication_publish_final(
        entry.publication.campaign,
        actor=city_officer,
        now=entry.publication.notice_ends_at + timedelta(seconds=1),
    )
    for objection in (told, quiet, waiting):
        objection.refresh_from_db()
    assert (told.contact, told.contact_name) == ("", "") and told.contact_erased_at
    assert quiet.contact == "" and quiet.contact_erased_at
    # Its message is still queued: the contact is kept until it is sent, then erased.
    assert waiting.contact == "13800138000" and waiting.contact_erased_at is None
    queued[0]()
    waiting.refresh_from_db()
    assert sms.outbox[0][0] == "13800138000"
    assert waiting.contact == "" and waiting.contact_erased_at is not None


def test_the_citys_todo_lists_upholds_awaiting_its_confirmation(
    client, entry, qiaokou_reviewer, city_officer
):
    objection = file(entry)
    objection_answer(objection, actor=qiaokou_reviewer, upheld=True, answer="经核实属实")
    client.force_login(city_officer)
    page = client.get(reverse("console:dashboard")).content.decode()
    assert "待市局确认的异议成立意见" in page
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:dashboard")).content.decode()
    assert "待市局确认的异议成立意见" not in page


def test_the_console_sms_backend_masks_the_number(capsys):
    from config.sms import ConsoleBackend

    ConsoleBackend().send("13812345678", "异议已答复")
    out = capsys.readouterr().out
    assert "13812345678" not in out
    assert out == "SMS to 138****5678: 异议已答复\n"
