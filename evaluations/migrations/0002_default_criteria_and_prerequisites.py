"""The 2020 rules as data: the five criteria (五个到位) and two prerequisites of
Wuhan's "群众满意小区" campaign, marked as the default set for new campaigns."""

from django.db import migrations

CRITERIA = [
    ("basic-service", "基本服务到位", "基本服务", "Basic service in place",
     "垃圾清扫清运、楼道保洁、门岗值守、设施检查维护等基本物业服务正常开展。",
     "Refuse collection, cleaning, gate duty and upkeep of facilities carried on as usual."),
    ("publicity-guidance", "宣传引导到位", "宣传引导", "Publicity and guidance in place",
     "通过公示栏、宣传单、微信群等宣传防疫知识，引导居民配合防控。",
     "Epidemic-prevention information on notice boards, leaflets and chat groups."),
    ("closed-management", "封闭管理到位", "封闭管理", "Closed-gate management in place",
     "小区出入口封闭管理，出入人员测温、登记、查验。",
     "Gates closed and controlled; people entering checked, registered and temperature-taken."),
    ("disinfection-cleaning", "消杀保洁到位", "消杀保洁", "Disinfection and cleaning in place",
     "电梯、楼道、公共区域定时消毒，生活垃圾及时清运。",
     "Lifts, stairwells and common areas disinfected on schedule; refuse removed promptly."),
    ("cooperation-support", "配合保障到位", "配合保障", "Cooperation and supply support in place",
     "配合街道、社区做好生活物资保供、代购代送和特殊群体帮扶。",
     "Working with street and community offices on supplies, deliveries and help for "
     "vulnerable residents."),
]

PREREQUISITES = [
    ("lawful-contractual-duties",
     "严格按照法律法规的规定和物业服务合同的约定履行物业管理义务",
     "Property-management obligations fulfilled as laws, regulations and the service "
     "contract require"),
    ("cooperation-with-street-community",
     "积极配合街道、社区做好物业小区疫情防控工作",
     "Active cooperation with the street and community offices on epidemic control"),
]


def create_defaults(apps, schema_editor):
    Criterion = apps.get_model("evaluations", "Criterion")
    Prerequisite = apps.get_model("evaluations", "Prerequisite")
    for order, (code, name, short, name_en, desc, desc_en) in enumerate(CRITERIA, start=1):
        Criterion.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name, short_name=short, name_en=name_en, description=desc,
                description_en=desc_en, order=order, is_default=True,
            ),
        )
    for order, (code, name, name_en) in enumerate(PREREQUISITES, start=1):
        Prerequisite.objects.update_or_create(
            code=code, defaults=dict(name=name, name_en=name_en, order=order, is_default=True)
        )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
