"""The library's first two sets.

- The 2020 epidemic set (五个到位): exactly the wording the 2020 campaign asked, read
  from the five default criteria rows; every existing campaign that asks exactly those
  five is recorded as having taken it.
- The general property-service set (物业服务通用问卷), the default for new campaigns:
  six questions, Chinese with English fields beside, as the criteria have always been
  kept. Its wording and where it comes from: docs/questionnaires.md.
"""

from django.db import migrations

EPIDEMIC_CODES = [
    "basic-service",
    "publicity-guidance",
    "closed-management",
    "disinfection-cleaning",
    "cooperation-support",
]

# code, question, short name, hint, English question, English hint
GENERAL = [
    ("service-basics", "物业基本服务规范", "基本服务",
     "物业服务中心有人值守，服务内容、服务时间和收费标准公示，报修及时响应，工作人员着装整洁、文明服务。",
     "Basic property service in order",
     "A staffed service desk; services, hours and charges posted; repairs answered promptly; "
     "staff identifiable and courteous."),
    ("cleanliness-sanitation", "环境卫生整洁", "清洁卫生",
     "楼道、电梯和公共区域定时清扫保洁，生活垃圾分类投放、日产日清，无乱堆乱放。",
     "Clean and sanitary surroundings",
     "Stairwells, lifts and common areas cleaned on schedule; refuse sorted and removed daily; "
     "nothing left piled up."),
    ("order-security", "公共秩序与安全", "秩序安全",
     "出入口有人值守，按时巡查，车辆停放有序，消防通道畅通，监控等安防设施正常运行。",
     "Order and security",
     "Gates staffed and patrols made; cars parked in order; fire lanes clear; cameras and other "
     "security equipment working."),
    ("facility-maintenance", "设施设备维护", "设施维护",
     "电梯、供水、照明、门禁、消防等共用设施设备定期检查维修，故障及时处理。",
     "Shared facilities maintained",
     "Lifts, water supply, lighting, door entry and fire equipment inspected and repaired "
     "regularly; faults fixed promptly."),
    ("greenery", "绿化养护", "绿化养护",
     "绿地和树木定期修剪、浇灌、补种，无枯死、无黄土裸露，公共绿地不被侵占。",
     "Greenery cared for",
     "Lawns and trees trimmed, watered and replanted; no dead plants or bare soil; shared green "
     "space not taken over."),
    ("resident-communication", "与居民沟通", "沟通服务",
     "通过公示栏、业主群等公开服务事项和收支情况，重要事项事先告知，居民意见和投诉及时回应。",
     "Communication with residents",
     "Services and accounts made public on notice boards and residents' groups; important works "
     "announced in advance; suggestions and complaints answered promptly."),
]


def seed(apps, schema_editor):
    Criterion = apps.get_model("evaluations", "Criterion")
    Campaign = apps.get_model("evaluations", "Campaign")
    CriteriaSet = apps.get_model("questionnaires", "CriteriaSet")
    Version = apps.get_model("questionnaires", "CriteriaSetVersion")
    Item = apps.get_model("questionnaires", "CriteriaSetItem")
    Taken = apps.get_model("questionnaires", "CampaignQuestionnaire")

    epidemic = CriteriaSet.objects.create(
        slug="epidemic-2020",
        name="2020年疫情防控“五个到位”",
        name_en="2020 epidemic control: the five criteria",
        description="武汉市2020年“群众满意小区”评选的五项标准（疫情防控期间）。",
    )
    v1 = Version.objects.create(criteria_set=epidemic, number=1, note="2020年评选原文")
    rows = list(Criterion.objects.filter(code__in=EPIDEMIC_CODES, is_default=True))
    for row in sorted(rows, key=lambda r: (r.order, r.code)):
        Item.objects.create(
            version=v1, code=row.code, text=row.name, short_name=row.short_name,
            hint=row.description, text_en=row.name_en, hint_en=row.description_en,
            order=row.order,
        )
    wanted = {r.pk for r in rows}
    for campaign in Campaign.objects.all():
        if wanted and set(campaign.criteria.values_list("pk", flat=True)) == wanted:
            Taken.objects.create(campaign=campaign, version=v1)

    general = CriteriaSet.objects.create(
        slug="property-service-general",
        name="物业服务通用问卷",
        name_en="General property-service questionnaire",
        description=(
            "住宅小区物业服务的六个方面：基本服务、清洁卫生、秩序安全、设施维护、绿化养护、"
            "与居民沟通。前五项对应中国物业管理协会《普通住宅小区物业管理服务等级标准（试行）》"
            "的服务分项，第六项为服务事项公示和回应居民意见。"
        ),
        is_default=True,
    )
    g1 = Version.objects.create(criteria_set=general, number=1, note="初版")
    for order, (code, text, short, hint, text_en, hint_en) in enumerate(GENERAL, start=1):
        Item.objects.create(
            version=g1, code=code, text=text, short_name=short, hint=hint,
            text_en=text_en, hint_en=hint_en, order=order,
        )


def unseed(apps, schema_editor):
    apps.get_model("questionnaires", "CampaignQuestionnaire").objects.all().delete()
    apps.get_model("questionnaires", "CriteriaSetItem").objects.all().delete()
    apps.get_model("questionnaires", "CriteriaSetVersion").objects.all().delete()
    apps.get_model("questionnaires", "CriteriaSet").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("questionnaires", "0001_criteria_set_library"),
        ("evaluations", "0002_default_criteria_and_prerequisites"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
