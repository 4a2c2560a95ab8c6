"""Questionnaires as data (issue 12): the library of criteria sets, its versions,
campaigns taking a set and adjusting their questions until rating opens — each step
audited, before and after."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import AuditEntry, Campaign, Criterion
from questionnaires.models import CampaignQuestionnaire, CriteriaSet
from questionnaires.services import (
    QuestionnaireRefused,
    campaign_create_with_set,
    campaign_questions_update,
    campaign_take_set,
    criteria_set_copy,
    criteria_set_revise,
)
from tests.conftest import make_campaign

pytestmark = pytest.mark.django_db

GENERAL_CODES = [
    "service-basics",
    "cleanliness-sanitation",
    "order-security",
    "facility-maintenance",
    "greenery",
    "resident-communication",
]


def general():
    return CriteriaSet.objects.get(is_default=True)


def new_campaign(actor, slug="q2027", version=None):
    now = timezone.now()
    return campaign_create_with_set(
        version or general().current_version(),
        actor=actor,
        slug=slug,
        name=f"{slug}年度评议",
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=20),
    )


def items_of(version):
    return [
        (i.code, i.text, i.short_name, i.hint, i.text_en, i.hint_en)
        for i in version.items.order_by("order", "code")
    ]


def questions_of(campaign):
    return [
        (c.code, c.name, c.short_name, c.description, c.name_en, c.description_en)
        for c in campaign.criteria.order_by("order", "code")
    ]


def edited(version, **changes):
    """The items of `version` as the edit form gives them, with `changes` by code."""
    fields = ("code", "text", "short_name", "hint", "text_en", "hint_en", "order")
    return [
        {**{f: getattr(i, f) for f in fields}, **changes.get(i.code, {})}
        for i in version.items.all()
    ]


def test_the_library_holds_the_2020_set_word_for_word_and_the_general_set_as_default():
    epidemic = CriteriaSet.objects.get(slug="epidemic-2020")
    default_rows = Criterion.objects.filter(is_default=True).order_by("order", "code")
    assert items_of(epidemic.current_version()) == [
        (c.code, c.name, c.short_name, c.description, c.name_en, c.description_en)
        for c in default_rows
    ]
    assert [i[1] for i in items_of(epidemic.current_version())][:2] == [
        "基本服务到位",
        "宣传引导到位",
    ]
    assert not epidemic.is_default

    assert general().slug == "property-service-general"
    items = items_of(general().current_version())
    assert [i[0] for i in items] == GENERAL_CODES
    assert [i[2] for i in items] == [
        "基本服务",
        "清洁卫生",
        "秩序安全",
        "设施维护",
        "绿化养护",
        "沟通服务",
    ]
    for _code, text, _short, hint, text_en, hint_en in items:
        assert text and hint and text_en and hint_en  # Chinese and English, question and hint
        assert "疫情" not in text + hint and "测温" not in hint


def test_a_new_campaign_asks_its_own_copy_of_the_set(city_officer):
    campaign = new_campaign(city_officer)
    assert [q[0] for q in questions_of(campaign)] == GENERAL_CODES
    assert questions_of(campaign) == items_of(general().current_version())
    assert (
        CampaignQuestionnaire.objects.get(campaign=campaign).version == general().current_version()
    )
    assert not campaign.criteria.filter(is_default=True).exists()  # never the 2020 rows
    taken = AuditEntry.objects.get(action="questionnaire_taken", campaign=campaign)
    assert taken.new_value == "物业服务通用问卷 v1" and "与居民沟通" in taken.reason
    assert taken.actor == city_officer


def test_editing_a_set_makes_a_new_version_and_never_changes_a_campaign_that_took_it(
    city_officer,
):
    took_v1 = new_campaign(city_officer, "took-v1")
    before = questions_of(took_v1)
    v1 = general().current_version()
    v1_items = items_of(v1)

    v2 = criteria_set_revise(
        general(),
        actor=city_officer,
        items=edited(v1, greenery={"text": "绿化美化", "hint": "四季有绿，花木常新。"}),
        note="绿化一项改得更具体",
    )

    assert v2.number == 2 and general().current_version() == v2
    assert items_of(v1) == v1_items  # the old version is kept as it was
    took_v1.refresh_from_db()
    assert questions_of(took_v1) == before  # and the campaign that took it too
    assert CampaignQuestionnaire.objects.get(campaign=took_v1).version == v1
    assert "绿化养护" in dict((q[0], q[1]) for q in before).values()

    took_v2 = new_campaign(city_officer, "took-v2")
    assert dict((q[0], q[1]) for q in questions_of(took_v2))["greenery"] == "绿化美化"

    entry = AuditEntry.objects.get(action="questionnaire_revised")
    assert entry.subject == "物业服务通用问卷 v2" and entry.reason == "绿化一项改得更具体"
    assert "greenery 绿化养护" in entry.old_value and "greenery 绿化美化" in entry.new_value
    assert entry.actor == city_officer


@pytest.mark.parametrize(
    "change, message",
    [
        ({"greenery": {"code": "order-security"}}, "每个问题需要各自的代码"),
        ({"greenery": {"text": "  "}}, "每个问题都需要代码和问题文字"),
        ({}, "没有任何改动"),
    ],
)
def test_a_bad_version_is_refused_with_a_reason(city_officer, change, message):
    v1 = general().current_version()
    with pytest.raises(QuestionnaireRefused, match=message):
        criteria_set_revise(general(), actor=city_officer, items=edited(v1, **change))
    assert general().versions.count() == 1
    assert not AuditEntry.objects.filter(action="questionnaire_revised").exists()


def test_too_many_or_no_questions_are_refused(city_officer):
    item = {"code": "q", "text": "问题", "order": 1}
    with pytest.raises(QuestionnaireRefused, match="最多12个问题"):
        criteria_set_revise(
            general(), actor=city_officer, items=[{**item, "code": f"q{n}"} for n in range(13)]
        )
    with pytest.raises(QuestionnaireRefused, match="至少需要一个问题"):
        criteria_set_revise(general(), actor=city_officer, items=[])


def test_a_copy_starts_from_the_current_version_and_is_audited(city_officer):
    copy = criteria_set_copy(
        general(), actor=city_officer, slug="qiaokou-2027", name="硚口区2027年问卷"
    )
    assert items_of(copy.current_version()) == items_of(general().current_version())
    assert not copy.is_default and copy.current_version().number == 1
    entry = AuditEntry.objects.get(action="questionnaire_created", subject="硚口区2027年问卷 v1")
    assert "物业服务通用问卷 v1" in entry.reason
    with pytest.raises(QuestionnaireRefused):
        criteria_set_copy(general(), actor=city_officer, slug="qiaokou-2027", name="重名")


def test_a_draft_adjusts_its_questions_and_each_change_is_audited(city_officer):
    campaign = new_campaign(city_officer, "adjusted")
    other = new_campaign(city_officer, "untouched")
    greenery = campaign.criteria.get(code="greenery")
    communication = campaign.criteria.get(code="resident-communication")

    changed = campaign_questions_update(
        campaign,
        {
            greenery.pk: {"text": "小区绿化", "hint": "树木花草养护良好。", "order": 9},
            communication.pk: {"order": 1},
        },
        actor=city_officer,
    )

    assert changed == 2
    greenery.refresh_from_db()
    assert (greenery.code, greenery.name, greenery.description) == (
        "greenery",
        "小区绿化",
        "树木花草养护良好。",
    )
    order = list(campaign.criteria.order_by("order", "code").values_list("code", flat=True))
    assert order[0] == "resident-communication" and order[-1] == "greenery"
    # Neither the library nor the other campaign changed.
    assert items_of(general().current_version())[4][1] == "绿化养护"
    assert dict((q[0], q[1]) for q in questions_of(other))["greenery"] == "绿化养护"
    assert CampaignQuestionnaire.objects.get(campaign=campaign).revision == 1

    entries = AuditEntry.objects.filter(action="question_changed", campaign=campaign)
    assert entries.count() == 2
    entry = entries.get(subject__endswith="greenery")
    assert entry.old_value.startswith("5. 绿化养护｜绿地和树木定期修剪")
    assert entry.new_value.startswith("9. 小区绿化｜树木花草养护良好。")
    assert entry.actor == city_officer


def open_it(campaign, community, actor):
    enrollment_create(campaign, community)
    Campaign.objects.filter(pk=campaign.pk).update(opens_at=timezone.now() - timedelta(minutes=1))
    campaign_transition(Campaign.objects.get(pk=campaign.pk), "open", actor=actor)
    return Campaign.objects.get(pk=campaign.pk)


def test_the_questions_are_frozen_once_rating_opens(city_officer, community):
    campaign = open_it(new_campaign(city_officer, "frozen"), community, city_officer)
    assert campaign.status == Campaign.Status.OPEN
    before = questions_of(campaign)
    greenery = campaign.criteria.get(code="greenery")
    audited = AuditEntry.objects.count()

    with pytest.raises(QuestionnaireRefused, match="问题已冻结"):
        campaign_questions_update(campaign, {greenery.pk: {"text": "改了"}}, actor=city_officer)
    epidemic = CriteriaSet.objects.get(slug="epidemic-2020").current_version()
    with pytest.raises(QuestionnaireRefused, match="问题已冻结"):
        campaign_take_set(campaign, epidemic, actor=city_officer)

    assert questions_of(campaign) == before
    assert AuditEntry.objects.count() == audited


def test_a_draft_may_take_another_set_and_the_2020_rows_stay(city_officer):
    campaign = new_campaign(city_officer, "switch")
    copies = list(campaign.criteria.values_list("pk", flat=True))
    epidemic = CriteriaSet.objects.get(slug="epidemic-2020").current_version()
    campaign_take_set(campaign, epidemic, actor=city_officer)
    assert [q[1] for q in questions_of(campaign)][0] == "基本服务到位"
    assert CampaignQuestionnaire.objects.get(campaign=campaign).version == epidemic
    assert not Criterion.objects.filter(pk__in=copies).exists()  # its unused copies go
    assert Criterion.objects.filter(is_default=True).count() == 5
    entry = AuditEntry.objects.filter(action="questionnaire_taken", campaign=campaign).first()
    assert (entry.old_value, entry.new_value) == ("物业服务通用问卷 v1", str(epidemic))


def test_adjusting_a_question_shared_with_another_campaign_copies_it_first(city_officer):
    """Campaigns made before the library share the 2020 rows: changing one's question
    changes neither the other campaign nor the 2020 set."""
    first = make_campaign(slug="old-a", status=Campaign.Status.DRAFT)
    second = make_campaign(slug="old-b", status=Campaign.Status.DRAFT)
    shared = first.criteria.get(code="basic-service")
    campaign_questions_update(first, {shared.pk: {"text": "基本服务"}}, actor=city_officer)

    mine = first.criteria.get(code="basic-service")
    assert mine.pk != shared.pk and mine.name == "基本服务" and not mine.is_default
    shared.refresh_from_db()
    assert shared.name == "基本服务到位" and shared.is_default
    assert second.criteria.get(code="basic-service") == shared
    assert first.criteria.count() == 5


def test_a_resident_is_asked_the_campaigns_questions_in_its_order(client, city_officer, community):
    campaign = new_campaign(city_officer, "asked")
    greenery = campaign.criteria.get(code="greenery")
    campaign_questions_update(
        campaign, {greenery.pk: {"text": "小区绿化怎么样", "order": 0}}, actor=city_officer
    )
    campaign = open_it(campaign, community, city_officer)
    code = codes_issue(campaign.enrollments.get(), 1)[0]
    page = client.get(f"/r/{code}").content.decode()
    positions = [page.index(text) for text in ["小区绿化怎么样", "物业基本服务规范", "与居民沟通"]]
    assert positions == sorted(positions)
    assert "封闭管理到位" not in page and "绿化养护" not in page
