"""`manage.py load_demo` (SPEC: stable interface): the demo a newcomer sees."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from communities.models import Community, District, PropertyCompany
from evaluations.models import Campaign, Enrollment, Rating
from evaluations.tally import campaign_tally
from reviews.models import Publication
from showcases.models import ShowcaseItem

pytestmark = pytest.mark.django_db

ARTICLE = {
    "汉口春天": "武汉惠之美物业服务有限公司",
    "洺悦府": "中电建物业管理有限公司武汉分公司",
    "融侨锦江": "福州融侨物业管理有限公司武汉分公司",
    "融侨锦城": "福州融侨物业管理有限公司武汉分公司",
    "汉水熙园": "武汉熙园物业管理有限公司",
    "汉江湾1号": "北京市安信行物业管理有限公司武汉分公司",
    "左岸美邻": "武汉瑞征新大地物业管理有限公司",
}
WUHAN = {
    "420102": "江岸区", "420103": "江汉区", "420104": "硚口区", "420105": "汉阳区",
    "420106": "武昌区", "420107": "青山区", "420111": "洪山区", "420112": "东西湖区",
    "420113": "汉南区", "420114": "蔡甸区", "420115": "江夏区", "420116": "黄陂区",
    "420117": "新洲区",
}  # fmt: skip


def load_demo(*args) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def table_counts():
    models = [District, PropertyCompany, Community, Campaign, Enrollment, Rating, ShowcaseItem]
    return {m.__name__: m.objects.count() for m in models}


def test_the_demo_is_complete_and_idempotent(client):
    first = load_demo()
    counts = table_counts()
    second = load_demo()
    assert table_counts() == counts

    # Every district of Wuhan with its GB/T 2260 code.
    assert dict(District.objects.values_list("code", "name")) == WUHAN

    # The seven communities of the article, in Qiaokou, with their companies, not demo.
    for name, company in ARTICLE.items():
        community = Community.objects.get(name=name)
        assert community.district.code == "420104"
        assert community.company.name == company
        assert not community.is_demo
    # Everything else is marked as demo data.
    assert Community.objects.exclude(name__in=ARTICLE).filter(is_demo=False).count() == 0

    # The 2020 campaign, published: the seven qualify, 23 in Qiaokou as in the article.
    campaign = Campaign.objects.get(slug="2020-epidemic-satisfied-communities")
    assert campaign.status == Campaign.Status.PUBLISHED
    final = Publication.objects.current().get(campaign=campaign)
    listed = final.entries.filter(status="listed")
    assert set(ARTICLE) <= set(listed.values_list("community_name", flat=True))
    assert listed.filter(district_code="420104").count() == 23
    assert set(listed.values_list("company_name", flat=True)) >= set(ARTICLE.values())
    assert not final.entries.filter(community_name="示例·硚口映月花园").exists()  # 89.96%
    preliminary = campaign.publications.get(kind="preliminary")
    assert preliminary.entries.filter(objections__status="dismissed").exists()
    eligible = Enrollment.objects.eligible(campaign).select_related("community__district")
    qiaokou = {e.community.name for e in eligible if e.community.district.code == "420104"}
    assert len(qiaokou) == 23
    assert set(ARTICLE) <= qiaokou
    tally = campaign_tally(campaign)
    assert any(not row.eligible for row in tally.values())  # the rules visibly at work

    # Showcase texts as the article groups them.
    figure = ShowcaseItem.objects.get(
        showcase__enrollment__community__name="融侨锦城", figure_value=1800
    )
    assert figure.kind == "figure" and "共计送达1800户" in figure.body
    photo = ShowcaseItem.objects.get(
        showcase__enrollment__community__name="汉口春天", body="对电梯轿厢进行消毒"
    )
    assert photo.criterion.short_name == "消杀保洁"
    story = ShowcaseItem.objects.get(title="寒风中的温暖专车")
    assert "段学强" in story.body and story.kind == "story"

    # A campaign is open now, and the printed codes work — the same on both runs.
    open_campaign = Campaign.objects.accepting_ratings().get()
    codes = re.findall(r"/r/([A-Z0-9-]{14})", first)
    assert len(codes) == 5
    assert codes == re.findall(r"/r/([A-Z0-9-]{14})", second)
    page = client.get(f"/r/{codes[0]}").content.decode()
    assert "汉口春天" in page and open_campaign.name in page


def test_demo_accounts_only_with_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        load_demo("--demo-accounts")


def test_each_demo_account_can_log_in_to_the_console(client, settings):
    settings.DEBUG = True
    out = load_demo("--demo-accounts")
    accounts = re.findall(r"user (\S+)\s+password (\S+)", out)
    assert [user for user, _ in accounts] == [
        "demo-admin", "demo-city", "demo-qiaokou", "demo-company"
    ]  # fmt: skip
    for user, password in accounts:
        client.logout()
        response = client.post("/console/login/", {"username": user, "password": password})
        assert response.status_code == 302, user
        assert "2020" in client.get("/console/").content.decode()
    rerun = load_demo("--demo-accounts")
    assert re.findall(r"user (\S+)\s+password (\S+)", rerun) == accounts  # same passwords


def test_the_article_communities_are_on_the_public_2020_list_with_their_showcases(client):
    load_demo()
    slug = "2020-epidemic-satisfied-communities"
    district = client.get(f"/lists/{slug}/420104/").content.decode()
    for name, company in ARTICLE.items():
        assert name in district and company in district
    assert district.count('class="card entry"') == 23

    def page(name):
        community = Community.objects.get(name=name)
        return client.get(f"/communities/{community.pk}/").content.decode()

    spring = page("汉口春天")
    for heading, caption in [
        ("画说基本服务", "垃圾清扫清运"),
        ("画说宣传引导", "张贴防疫知识宣传单"),
        ("画说封闭管理", "开展夜间巡查"),
        ("画说消杀保洁", "对电梯轿厢进行消毒"),
        ("画说配合保障", "为高龄老人送菜上门"),
    ]:
        assert heading in spring and caption in spring
        assert spring.index(heading) < spring.index(caption)
    assert "坚守岗位，守土有责" in spring
    assert "数说" in page("融侨锦城") and "1800" in page("融侨锦城")
    assert "花式消杀够硬核" in page("洺悦府")
    assert "宣传法宝" in page("汉水熙园")
    harbour = page("汉江湾1号")
    assert "物业人的温暖一抱" in harbour and "寒风中的温暖专车" in harbour and "孙其军" in harbour
    assert "当好" in page("左岸美邻")


def test_the_open_campaign_asks_the_general_set_and_2020_keeps_the_epidemic_set(client):
    from demo import data
    from questionnaires.models import CampaignQuestionnaire

    output = load_demo()
    opened = Campaign.objects.accepting_ratings().get()
    closed = Campaign.objects.get(slug=data.CAMPAIGN_2020["slug"])
    assert list(opened.criteria.order_by("order").values_list("code", flat=True)) == [
        "service-basics",
        "cleanliness-sanitation",
        "order-security",
        "facility-maintenance",
        "greenery",
        "resident-communication",
    ]
    assert CampaignQuestionnaire.objects.get(campaign=opened).version.criteria_set.is_default
    assert list(closed.criteria.order_by("order").values_list("name", flat=True)) == [
        "基本服务到位", "宣传引导到位", "封闭管理到位", "消杀保洁到位", "配合保障到位",
    ]  # fmt: skip
    taken = CampaignQuestionnaire.objects.get(campaign=closed).version
    assert taken.criteria_set.slug == "epidemic-2020"
    # Every rating of the open campaign answers its six questions, none of 2020's.
    answered = set(
        Rating.objects.filter(enrollment__campaign=opened).values_list(
            "answers__criterion__code", flat=True
        )
    )
    assert answered == set(opened.criteria.values_list("code", flat=True))

    # A resident trying a printed code is asked the general questions.
    code = re.search(r"/r/([0-9A-Z-]{8,})", output).group(1)
    page = client.get(f"/r/{code}").content.decode()
    assert "环境卫生整洁" in page and "与居民沟通" in page
    assert "封闭管理到位" not in page and "测温" not in page
