"""The rating form's page is rendered once per campaign, criteria version, language
and notice (evaluations.views._rating_page) and filled in per request: what each
household sees must still be its own, current, escaped, and in its language."""

import re
from datetime import timedelta

import pytest
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from communities.models import Community, PropertyCompany
from communities.validators import make_uscc
from evaluations.codes import format_code
from evaluations.forms import RatingForm
from evaluations.models import Rating
from evaluations.services import codes_issue, enrollment_create

from .conftest import rating_post_data

pytestmark = pytest.mark.django_db


def page_of(client, code, **headers) -> str:
    response = client.get(f"/r/{code}", **headers)
    assert response.status_code == 200
    return response.content.decode()


def checked(page: str, name: str) -> list[str]:
    """The values of the radio buttons named `name` that the page shows chosen."""
    return re.findall(rf'name="{name}" value="([a-z_]+)" id="[^"]+" required checked', page)


def test_each_household_sees_its_own_community_company_and_code(
    client, enrollment, household_code, jiangan
):
    other_company = PropertyCompany.objects.create(
        name="<b>江岸物业</b> & Co", credit_code=make_uscc("91420102MA4K00002")
    )
    other_community = Community.objects.create(
        district=jiangan, name="江岸花园<script>", households=50, company=other_company
    )
    other = enrollment_create(enrollment.campaign, other_community)
    [other_code] = codes_issue(other, 1)

    mine = page_of(client, household_code)
    theirs = page_of(client, other_code)
    again = page_of(client, household_code)

    assert mine == again.replace(
        re.search(r'name="started" value="([^"]+)"', again).group(1),
        re.search(r'name="started" value="([^"]+)"', mine).group(1),
    ).replace(
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', again).group(1),
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', mine).group(1),
    )
    assert "汉口春天" in mine and "硚口区" in mine and "武汉惠之美物业服务有限公司" in mine
    assert format_code(household_code) in mine and f'value="/r/{household_code}"' in mine
    assert "汉口春天" not in theirs and format_code(household_code) not in theirs
    assert "江岸区" in theirs and format_code(other_code) in theirs
    # Names are escaped as the template would escape them.
    assert "江岸花园&lt;script&gt;" in theirs and "<script>" not in theirs
    assert "&lt;b&gt;江岸物业&lt;/b&gt; &amp; Co" in theirs


def test_the_page_shows_the_campaigns_current_name_and_closing_time(
    client, enrollment, household_code
):
    page_of(client, household_code)
    campaign = enrollment.campaign
    campaign.name = "2026年度评议（延期）"
    campaign.closes_at = timezone.now() + timedelta(days=30)
    campaign.save()
    page = page_of(client, household_code)
    assert "2026年度评议（延期）" in page
    assert timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M") in page


def test_the_already_rated_notice_is_shown_to_the_household_that_rated_only(
    client, enrollment, household_code, criteria
):
    [other_code] = codes_issue(enrollment, 1)
    assert "本户已" not in page_of(client, household_code)
    assert client.post(f"/r/{household_code}", rating_post_data(criteria)).status_code == 302
    assert "本户已" in page_of(client, household_code)
    assert "本户已" not in page_of(client, other_code)


def test_languages_do_not_mix(client, enrollment, household_code, criteria):
    chinese = page_of(client, household_code)
    english = page_of(client, household_code, HTTP_ACCEPT_LANGUAGE="en")
    chinese_again = page_of(client, household_code)
    for page in (chinese, chinese_again):
        assert 'lang="zh-Hans"' in page and "基本满意" in page and "Basically satisfied" not in page
        assert "提交评议" in page
    assert 'lang="en"' in english and "Basically satisfied" in english and "基本满意" not in english
    assert "Test campaign" in english and "Qiaokou District" in english
    for criterion in criteria:
        assert criterion.name in chinese
        assert (criterion.name_en or criterion.name) in english


def test_a_changed_criterion_is_asked_as_changed(client, enrollment, household_code, criteria):
    before = page_of(client, household_code)
    assert criteria[0].name in before
    criteria[0].name = "小区公共区域保洁及时到位"
    criteria[0].save()
    after = page_of(client, household_code)
    assert "小区公共区域保洁及时到位" in after
    # The campaign's criteria set changed: the question is gone, for every household.
    enrollment.campaign.criteria.remove(criteria[1])
    [other_code] = codes_issue(enrollment, 1)
    for code in (household_code, other_code):
        page = page_of(client, code)
        assert f'name="criterion_{criteria[1].pk}"' not in page
        assert f'name="criterion_{criteria[2].pk}"' in page


def test_a_form_sent_back_with_errors_keeps_the_answers_given(
    client, enrollment, household_code, criteria
):
    page_of(client, household_code)  # the new form's page is cached now
    data = rating_post_data(criteria, overall="basically_satisfied", answer="unsatisfied")
    data["comment"] = "门禁<经常>坏"
    del data[f"criterion_{criteria[2].pk}"]
    response = client.post(f"/r/{household_code}", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert checked(page, "overall") == ["basically_satisfied"]
    assert checked(page, f"criterion_{criteria[0].pk}") == ["unsatisfied"]
    assert checked(page, f"criterion_{criteria[2].pk}") == []
    assert "门禁&lt;经常&gt;坏</textarea>" in page
    assert "汉口春天" in page and format_code(household_code) in page
    assert Rating.objects.count() == 0
    # Nothing of it leaks into the next new form.
    fresh = page_of(client, household_code)
    assert checked(fresh, "overall") == [] and "门禁&lt;" not in fresh


def test_the_forms_token_in_the_filled_page_is_accepted(enrollment, household_code, criteria):
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):  # rendered, then from the process's pages
        page = page_of(client, household_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = rating_post_data(criteria) | {"csrfmiddlewaretoken": token}
        assert client.post(f"/r/{household_code}", data).status_code == 302
    assert Rating.objects.filter(is_current=True).count() == 1
    assert Rating.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"comment": "  物业很好  "},
        {"comment": "x" * 500},
        {"comment": "x" * 501},
        {"comment": " " + "x" * 500 + " "},
        {"comment": "坏\x00了"},
        {"overall": ""},
        {"overall": "very_satisfied"},
        {"overall": None},
        {"first": "maybe"},
        {"first": None},
        {"extra": "satisfied"},
    ],
)
def test_the_quick_check_of_a_submission_agrees_with_the_form(criteria, change):
    data = rating_post_data(criteria, overall="satisfied", answer="basically_satisfied")
    for key, value in change.items():
        name = {"first": f"criterion_{criteria[0].pk}", "extra": "criterion_999999"}.get(key, key)
        if value is None:
            data.pop(name)
        else:
            data[name] = value
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query[key] = value
    form = RatingForm(query, criteria=criteria)
    quick = RatingForm.clean_quickly(query, criteria)
    if form.is_valid():
        assert quick == {
            "overall": form.cleaned_data["overall"],
            "answers": form.answers(),
            "comment": form.cleaned_data["comment"],
        }
    else:
        assert quick is None
