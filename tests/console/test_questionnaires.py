"""The criteria-set library and a campaign's questions in the console (issue 12):
the city edits a set (a new version), copies one, creates a campaign with the
general set by default, adjusts a draft's questions, and is told plainly once rating
has opened that they are frozen."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry, Campaign
from questionnaires.models import CampaignQuestionnaire, CriteriaSet
from questionnaires.services import campaign_create_with_set

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def general():
    return CriteriaSet.objects.get(is_default=True)


def draft(actor, slug="q-draft"):
    now = timezone.now()
    return campaign_create_with_set(
        general().current_version(),
        actor=actor,
        slug=slug,
        name="2027年度物业服务满意度评议",
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=20),
    )


def set_form_data(version, note="", **changes):
    rows = [
        {
            **{
                f: getattr(i, f)
                for f in ("code", "text", "short_name", "hint", "text_en", "hint_en", "order")
            },
            **changes.get(i.code, {}),
        }
        for i in version.items.all()
    ]
    data = {
        "q-TOTAL_FORMS": str(len(rows) + 1),
        "q-INITIAL_FORMS": str(len(rows)),
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "12",
        "note": note,
    }
    for n, row in enumerate(rows):
        for field, value in row.items():
            if field == "DELETE":
                if value:
                    data[f"q-{n}-DELETE"] = "on"
                continue
            data[f"q-{n}-{field}"] = value
    return data


def questions_form_data(campaign, **changes):
    criteria = list(campaign.criteria.order_by("order", "code"))
    data = {
        "q-TOTAL_FORMS": str(len(criteria)),
        "q-INITIAL_FORMS": str(len(criteria)),
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "12",
    }
    for n, c in enumerate(criteria):
        row = {
            "criterion": c.pk,
            "text": c.name,
            "hint": c.description,
            "text_en": c.name_en,
            "hint_en": c.description_en,
            "order": c.order,
            **changes.get(c.code, {}),
        }
        data.update({f"q-{n}-{k}": v for k, v in row.items()})
    return data


def test_the_library_lists_the_sets_and_a_set_shows_its_questions(client, city_officer):
    client.force_login(city_officer)
    listing = page(client.get(reverse("console:questionnaires")))
    assert "物业服务通用问卷" in listing and "2020年疫情防控“五个到位”" in listing
    assert listing.count("新活动默认问卷") == 1
    detail = page(client.get(reverse("console:questionnaire", args=[general().pk])))
    for text in [
        "物业基本服务规范",
        "环境卫生整洁",
        "公共秩序与安全",
        "设施设备维护",
        "绿化养护",
        "与居民沟通",
    ]:
        assert text in detail
    assert "第1版" in detail and "还没有评选活动选用本问卷" in detail


def test_editing_a_set_in_the_console_makes_version_2_and_keeps_the_campaigns(client, city_officer):
    took = draft(city_officer)
    client.force_login(city_officer)
    url = reverse("console:questionnaire_edit", args=[general().pk])
    v1 = general().current_version()
    data = set_form_data(v1, note="增加电梯一项", greenery={"DELETE": True})
    data.update({"q-6-code": "lifts", "q-6-text": "电梯运行安全", "q-6-order": "7"})
    response = client.post(url, data, follow=True)
    assert "已保存为第2版" in page(response)
    v2 = general().current_version()
    assert v2.number == 2 and v2.note == "增加电梯一项"
    codes = list(v2.items.values_list("code", flat=True))
    assert "lifts" in codes and "greenery" not in codes
    assert "greenery" in took.criteria.values_list("code", flat=True)
    assert CampaignQuestionnaire.objects.get(campaign=took).version == v1
    assert AuditEntry.objects.filter(action="questionnaire_revised").count() == 1

    # Saving again without a change says so and makes no version.
    response = client.post(url, set_form_data(v2, note="再存一次"), follow=True)
    assert "没有任何改动" in page(response) and general().versions.count() == 2
    # A note is required: the log says why the set changed.
    response = client.post(url, set_form_data(v2, greenery={}), follow=True)
    assert "这个字段是必填项" in page(response) and general().versions.count() == 2


def test_copying_a_set(client, city_officer):
    client.force_login(city_officer)
    url = reverse("console:questionnaire_copy", args=[general().pk])
    response = client.post(url, {"name": "硚口区问卷", "slug": "qiaokou"}, follow=True)
    assert "问卷已复制" in page(response) and "硚口区问卷" in page(response)
    response = client.post(url, {"name": "again", "slug": "qiaokou"})
    assert "已有使用该网址标识的问卷" in page(response)
    response = client.post(url, {"name": "bad", "slug": "不是 slug"})
    assert response.status_code == 200 and CriteriaSet.objects.count() == 3


def test_a_new_campaign_offers_the_general_set_by_default(client, city_officer):
    client.force_login(city_officer)
    form = page(client.get(reverse("console:campaign_create")))
    assert f'<option value="{general().pk}" selected>物业服务通用问卷</option>' in form


def test_a_draft_adjusts_its_questions_in_the_console(client, city_officer):
    campaign = draft(city_officer)
    client.force_login(city_officer)
    url = reverse("console:campaign_questions", args=[campaign.slug])
    shown = page(client.get(url))
    assert "来自问卷“物业服务通用问卷”第1版" in shown and "保存问题" in shown
    data = questions_form_data(
        campaign,
        greenery={"text": "小区绿化", "order": "1"},
        **{"cleanliness-sanitation": {"hint": "垃圾日产日清。"}},
    )
    response = client.post(url, data, follow=True)
    assert "已修改2个问题" in page(response) and "已为本活动调整1次" in page(response)
    assert list(campaign.criteria.order_by("order", "code").values_list("name", flat=True))[:2] == [
        "小区绿化",
        "物业基本服务规范",
    ]
    assert AuditEntry.objects.filter(action="question_changed", campaign=campaign).count() == 2
    # An empty question is refused, nothing saved.
    response = client.post(url, questions_form_data(campaign, greenery={"text": ""}))
    assert response.status_code == 200 and campaign.criteria.filter(name="小区绿化").exists()


def test_a_draft_takes_another_set_in_the_console(client, city_officer):
    campaign = draft(city_officer)
    client.force_login(city_officer)
    epidemic = CriteriaSet.objects.get(slug="epidemic-2020")
    url = reverse("console:campaign_questions", args=[campaign.slug])
    response = client.post(url, {"take": "1", "criteria_set": epidemic.pk}, follow=True)
    assert "本活动现在使用该问卷的问题" in page(response)
    assert campaign.criteria.order_by("order").first().name == "基本服务到位"


def test_once_rating_opens_the_questions_are_frozen_and_the_page_says_so(
    client, city_officer, community
):
    campaign = draft(city_officer)
    enrollment_create(campaign, community)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    campaign_transition(Campaign.objects.get(pk=campaign.pk), "open", actor=city_officer)
    client.force_login(city_officer)
    url = reverse("console:campaign_questions", args=[campaign.slug])
    shown = page(client.get(url))
    assert "问题已冻结：本活动已开始评议" in shown and "保存问题" not in shown
    assert "绿化养护" in shown
    response = client.post(
        url, questions_form_data(campaign, greenery={"text": "改了"}), follow=True
    )
    assert "问题已冻结：本活动已开始评议" in page(response)
    assert not campaign.criteria.filter(name="改了").exists()
    assert not AuditEntry.objects.filter(action="question_changed").exists()


def test_a_tampered_questions_form_gets_a_clear_message_never_a_500(client, city_officer):
    campaign = draft(city_officer)
    other = draft(city_officer, slug="other-draft")
    client.force_login(city_officer)
    url = reverse("console:campaign_questions", args=[campaign.slug])
    response = client.post(url, {"q-0-text": "x"})  # no management data
    assert response.status_code == 200 and "保存问题" in page(response)
    foreign = other.criteria.get(code="greenery")
    data = questions_form_data(campaign)
    data["q-0-criterion"] = foreign.pk
    response = client.post(url, data, follow=True)
    assert "这不是本活动的问题" in page(response)
    foreign.refresh_from_db()
    assert foreign.name == "绿化养护"
    response = client.post(url, {"take": "1", "criteria_set": "999999"})
    assert response.status_code == 200 and "选择一个有效的选项" in page(response)
