"""The public portal: lists by district, search, community and company pages —
published facts only, constant queries, cacheable."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import Community, PropertyCompany, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.decisions import (
    enrollment_approve,
    enrollment_recommend,
    enrollment_reject,
    review_check_record,
)
from reviews.publishing import (
    entry_withdraw,
    publication_publish_final,
    publication_publish_preliminary,
)
from showcases.models import ModerationStatus, Showcase, ShowcaseItem
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db


def publish(campaign, ratings, city, reviewer, rejected=()):
    """Close, review, approve and publish: `ratings` maps community → (satisfied, unsatisfied)."""
    enrollments = {}
    for community, (satisfied, unsatisfied) in ratings.items():
        enrollments[community.pk] = enrollment = enrollment_create(campaign, community)
        add_ratings(enrollment, satisfied=satisfied, unsatisfied=unsatisfied)
    campaign_transition(campaign, "close", actor=city)
    monitoring_finalise(campaign, actor=city)
    rules = [*campaign.prerequisites.all(), *campaign.criteria.all()]
    for community in ratings:
        enrollment = enrollments[community.pk]
        if community in rejected:
            enrollment_reject(enrollment, actor=reviewer, reason="未达标")
            continue
        for rule in rules:
            review_check_record(enrollment, rule, actor=reviewer, met=True)
        enrollment_recommend(enrollment, actor=reviewer)
        enrollment_approve(enrollment, actor=city)
    preliminary = publication_publish_preliminary(campaign, actor=city)
    publication_publish_final(
        campaign, actor=city, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )
    return enrollments


@pytest.fixture
def world(community, qiaokou, jiangan, company, city_officer, qiaokou_reviewer):
    """2020: 汉口春天 (36 of 40 satisfied) and 洺悦府 on the list, 宗关小区 rejected."""
    other_street = Street.objects.create(district=qiaokou, name="宗关街道")
    mingyue = Community.objects.create(
        district=qiaokou, street=other_street, name="洺悦府", households=200,
        company=PropertyCompany.objects.create(name="中电建物业管理有限公司武汉分公司"),
    )  # fmt: skip
    loser = Community.objects.create(
        district=qiaokou, name="宗关小区", households=100, company=company
    )
    campaign = make_campaign(slug="2020", name="2020年评选", min_responses=20)
    enrollments = publish(
        campaign,
        {community: (36, 4), mingyue: (30, 0), loser: (15, 10)},
        city_officer,
        qiaokou_reviewer,
        rejected=[loser],
    )
    return campaign, enrollments, mingyue, loser


def text(response):
    return response.content.decode()


def results(page):
    """The part of a search page after the search box (whose placeholder names 汉口春天)."""
    return page.split('role="search"', 1)[1].split("</form>", 1)[1]


def test_home_shows_the_latest_list_by_district_and_a_search_box(client, world):
    page = text(client.get("/"))
    assert "2020年评选" in page
    assert "2个“群众满意小区”" in page
    assert "硚口区" in page and "2个小区" in page
    assert "江岸区" in page and "0个小区" in page  # every district, zeros too
    assert 'action="/search/"' in page


def test_the_district_page_lists_the_winners_with_street_company_and_rate(client, world):
    campaign, *_ = world
    page = text(client.get(reverse("district", args=[campaign.slug, "420104"])))
    assert "汉口春天" in page and "洺悦府" in page
    assert "武汉惠之美物业服务有限公司" in page and "中电建物业管理有限公司武汉分公司" in page
    assert "90.0%" in page and "40份评议" in page
    assert "宗关小区" not in page  # not recommended: not on the list, no rate shown
    assert "60.0%" not in page
    filtered = text(
        client.get(reverse("district", args=[campaign.slug, "420104"]), {"street": "宗关街道"})
    )
    assert "洺悦府" in filtered and "汉口春天" not in filtered


def test_the_community_page_shows_the_rate_with_its_confidence_range(client, world):
    campaign, enrollments, *_ = world
    community_id = next(iter(enrollments))
    page = text(client.get(reverse("community", args=[community_id])))
    assert "90.0%" in page
    assert "40户参评居民中，36户满意或基本满意" in page
    assert "76.9%" in page and "96.1%" in page  # Wilson 95% for 36 of 40
    assert "基本服务到位" in page  # criteria met, from the district's checks


def test_a_community_not_on_any_list_gets_an_honest_answer_and_no_rate(client, world):
    *_, loser = world
    page = text(client.get(reverse("community", args=[loser.pk])))
    assert "未列入已发布的“群众满意小区”名单" in page
    assert "60.0%" not in page and "%" not in page.split("<main")[1].split("</main>")[0]


def test_only_approved_showcase_material_is_public(client, world, criteria):
    campaign, enrollments, *_ = world
    community_id, enrollment = next(iter(enrollments.items()))
    showcase = Showcase.objects.create(enrollment=enrollment, headline="坚守岗位，守土有责")
    ShowcaseItem.objects.create(
        showcase=showcase, kind="photo", criterion=criteria[0], body="垃圾清扫清运",
        status=ModerationStatus.APPROVED,
    )  # fmt: skip
    ShowcaseItem.objects.create(
        showcase=showcase, kind="figure", figure_value=1800, figure_unit="户",
        body="共计送达1800户。", status=ModerationStatus.APPROVED,
    )  # fmt: skip
    ShowcaseItem.objects.create(
        showcase=showcase, kind="photo", criterion=criteria[0], body="尚未审核的照片",
        status=ModerationStatus.PENDING,
    )  # fmt: skip
    page = text(client.get(reverse("community", args=[community_id])))
    assert "画说基本服务" in page and "垃圾清扫清运" in page
    assert "数说" in page and "1800" in page
    assert "坚守岗位，守土有责" in page
    assert "尚未审核的照片" not in page


def test_a_withdrawn_entry_says_so_with_the_reason(client, world, city_officer):
    campaign, enrollments, mingyue, _ = world
    from reviews.models import Publication

    entry = (
        Publication.objects.current().get(campaign=campaign).entries.get(community_name="洺悦府")
    )
    entry_withdraw(entry, actor=city_officer, reason="经查实存在服务问题")
    page = text(client.get(reverse("community", args=[mingyue.pk])))
    assert "已撤销" in page and "经查实存在服务问题" in page
    district = text(client.get(reverse("district", args=[campaign.slug, "420104"])))
    assert "经查实存在服务问题" in district


def test_the_company_page_lists_its_communities_on_lists(client, world, company):
    page = text(client.get(reverse("company", args=[company.pk])))
    assert "汉口春天" in page and "2020年评选" in page
    assert "宗关小区" not in page


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("汉口", ["汉口春天"], ["洺悦府"]),  # partial Chinese
        ("hankou", ["汉口春天"], ["洺悦府"]),  # full pinyin
        ("HanKou", ["汉口春天"], []),  # case and spaces do not matter
        ("hkct", ["汉口春天"], ["洺悦府"]),  # initials
        ("myf", ["洺悦府"], ["汉口春天"]),
        ("春", ["汉口春天"], []),  # one Chinese character is enough
        ("惠之美", ["汉口春天", "武汉惠之美物业服务有限公司"], []),  # by company name
    ],
)
def test_search_finds_by_chinese_pinyin_and_initials(client, world, query, expected, absent):
    page = text(client.get(reverse("search"), {"q": query}))
    for name in expected:
        assert name in results(page), (query, name)
    for name in absent:
        assert name not in results(page), (query, name)


@pytest.mark.parametrize(
    "query",
    [
        "hankuo",  # two letters swapped
        "hankoucuntian",  # one missing
        "汉口春大",  # one character wrong
        "汉春天",  # one missing
        "汉口 春天",  # a space typed in the middle
        "汉口　春天",  # a full-width one
        "ＨＡＮＫＯＵ",  # full-width pinyin
    ],
)
def test_search_forgives_one_wrong_or_missing_character_and_spaces(client, world, query):
    page = results(text(client.get(reverse("search"), {"q": query})))
    assert "汉口春天" in page, query
    assert "洺悦府" not in page and "宗关小区" not in page


def test_a_search_one_character_off_says_so(client, world):
    page = results(text(client.get(reverse("search"), {"q": "汉口春大"})))
    assert "没有名称正好是“汉口春大”的小区" in page
    exact = results(text(client.get(reverse("search"), {"q": "汉口春天"})))
    assert "没有名称正好是" not in exact


@pytest.mark.parametrize(
    ("query", "found", "absent"),
    [
        ("汉口秋月", [], ["汉口春天"]),  # two characters wrong
        ("hankuoxx", [], ["汉口春天"]),  # swapped, and two letters too many
        ("洺悦天", ["洺悦府"], ["汉口春天"]),  # one wrong in another name
    ],
)
def test_similar_means_one_character_off_not_two(client, world, query, found, absent):
    page = results(text(client.get(reverse("search"), {"q": query})))
    for name in found:
        assert name in page, (query, name)
    for name in absent:
        assert name not in page, (query, name)


def test_a_pasted_page_of_text_is_cut_with_a_word_and_never_echoed_whole(client, world):
    pasted = "汉口春天" + "的" * 400
    response = client.get(reverse("search"), {"q": pasted})
    assert response.status_code == 200
    page = text(response)
    assert "只搜索了前50个字" in page
    assert "的" * 51 not in page  # neither in the box nor in the message
    assert page.count("的" * 46) <= 3


def test_search_says_whether_each_community_is_on_a_list(client, world):
    page = text(client.get(reverse("search"), {"q": "小区"}))
    assert "宗关小区" in page
    assert "未列入任何已发布的“群众满意小区”名单" in page
    page = text(client.get(reverse("search"), {"q": "汉口春天"}))
    assert "在名单中" in page and "2020年评选" in page and "90.0%" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", None),
        ("h", "请至少输入两个拼音字母"),
        ("不存在的小区", "没有找到名称类似“不存在的小区”的小区或企业"),
        ("zzzz", "没有找到名称类似“zzzz”的小区或企业"),
    ],
)
def test_search_edges(client, world, query, message):
    response = client.get(reverse("search"), {"q": query})
    assert response.status_code == 200
    page = text(response)
    if message:
        assert message in page
    else:
        assert "个小区" not in results(page)


def test_list_pages_carry_validators_and_answer_304(client, world):
    campaign, *_ = world
    url = reverse("district", args=[campaign.slug, "420104"])
    response = client.get(url)
    assert response["ETag"] and response["Last-Modified"]
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_withdrawal_changes_the_validators(client, world, city_officer):
    campaign, *_ = world
    url = reverse("district", args=[campaign.slug, "420104"])
    before = client.get(url)["ETag"]
    from reviews.models import Publication

    entry = Publication.objects.current().get(campaign=campaign).entries.first()
    entry_withdraw(entry, actor=city_officer, reason="撤销")
    assert client.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


def test_the_language_switch_is_a_plain_get_link_without_csrf(client, world):
    page = text(client.get("/"))
    assert "csrfmiddlewaretoken" not in page  # public pages can be cached
    response = client.get(reverse("switch_language"), {"language": "en", "next": "/search/"})
    assert response.status_code == 302 and response["Location"] == "/search/"
    assert "Is my community on it?" in text(client.get("/search/"))
    evil = client.get(
        reverse("switch_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert evil["Location"] == "/"


def _many(n, qiaokou, company, city, reviewer, slug):
    communities = {
        Community.objects.create(
            district=qiaokou, name=f"名单小区{slug}-{i}", households=100, company=company
        ): (20, 0)
        for i in range(n)
    }
    campaign = make_campaign(slug=slug, min_responses=1)
    publish(campaign, communities, city, reviewer)
    return campaign, list(communities)


# The number of queries of each public page when it is rendered (not served from the
# page cache), pinned for 1 and for 50 rows.
PUBLIC_QUERIES = {
    "home": 6,  # + the city's featured list (issue 13)
    "list": 8,
    "district": 5,
    "search": 6,  # + what is happening now: being rated, on notice (portal.queries.community_now)
    "company": 3,
    "community": 11,  # + the same two; + how many ratings are held, per flag (issue 11)
    "open_data": 7,  # + the ballot criteria and the held ratings (issue 11)
    "open_data_csv": 2,
    "open_data_index": 1,
}


@pytest.mark.parametrize("page_name", list(PUBLIC_QUERIES))
def test_public_pages_make_as_many_queries_for_50_rows_as_for_1(
    client, qiaokou, company, city_officer, qiaokou_reviewer, page_name
):
    counts = []
    for n in (1, 50):
        campaign, communities = _many(n, qiaokou, company, city_officer, qiaokou_reviewer, f"p{n}")
        url = {
            "home": "/",
            "list": reverse("campaign_list", args=[campaign.slug]),
            "open_data": reverse("open_data_json", args=[campaign.slug]),
            "open_data_csv": reverse("open_data_csv", args=[campaign.slug]),
            "open_data_index": reverse("open_data_index"),
            "district": reverse("district", args=[campaign.slug, "420104"]),
            "search": reverse("search") + f"?q=名单小区p{n}",
            "company": reverse("company", args=[company.pk]),
            "community": reverse("community", args=[communities[0].pk]),
        }[page_name]
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        assert "X-Page-Cache" not in response  # rendered, not from the cache
        counts.append(len(queries))
    assert counts == [PUBLIC_QUERIES[page_name]] * 2, counts


def test_search_shows_the_first_20_and_up_to_50_on_asking(client, qiaokou, company):
    for i in range(55):
        Community.objects.create(
            district=qiaokou, name=f"春天花园{i:02d}期", households=100, company=company
        )
    first = text(client.get(reverse("search"), {"q": "春天花园"}))
    assert "只显示前20个小区。" in first and "显示更多" in first
    assert "春天花园19期" in first and "春天花园20期" not in first
    response = client.get(reverse("search"), {"q": "春天花园", "more": "1"})
    more = text(response)
    assert "春天花园49期" in more and "春天花园50期" not in more
    assert "只显示前50个小区，请输入更完整的名称。" in more and "显示更多" not in more
    # Each is kept in the page cache as its own page.
    assert "X-Page-Cache" not in response
    again = client.get(reverse("search"), {"q": "春天花园", "more": "1"})
    assert again["X-Page-Cache"] == "hit" and "春天花园49期" in text(again)
    assert "春天花园20期" not in text(client.get(reverse("search"), {"q": "春天花园"}))
    few = text(client.get(reverse("search"), {"q": "春天花园07"}))
    assert "春天花园07期" in few and "只显示前" not in few


def test_every_revision_of_a_list_is_a_public_page_saying_what_superseded_it(
    client, world, city_officer
):
    # Bug: revision 1 was not readable on the public site (?revision=1 silently showed
    # revision 2); only staff and open data had it.
    campaign, enrollments, mingyue, _ = world
    from reviews.models import Publication

    entry = (
        Publication.objects.current().get(campaign=campaign).entries.get(community_name="洺悦府")
    )
    entry_withdraw(entry, actor=city_officer, reason="经查实存在服务问题")
    first = text(client.get(reverse("list_revision", args=[campaign.slug, 1])))
    assert "这是第1版，已被" in first and "第2版取代" in first
    assert "经查实存在服务问题" in first  # the change note that superseded it
    assert "已撤销" not in first.split("版本记录")[0]  # as published then: nothing withdrawn
    second = text(client.get(reverse("list_revision", args=[campaign.slug, 2])))
    assert "已被" not in second and "洺悦府" in second
    current = text(client.get(reverse("campaign_list", args=[campaign.slug])))
    assert reverse("list_revision", args=[campaign.slug, 1]) in current
    assert client.get(reverse("list_revision", args=[campaign.slug, 3])).status_code == 404
