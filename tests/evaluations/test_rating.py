"""A resident rates with a household code: /r/<code>, the receipt, changing a
rating, and every way it can go wrong without writing anything."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evaluations.codes import format_code
from evaluations.models import Campaign, Rating, RatingAnswer
from evaluations.ratings import InvalidRating, rating_submit
from tests.conftest import rating_post_data

pytestmark = pytest.mark.django_db


def test_it_shows_the_form_for_the_households_community(client, household_code, criteria):
    response = client.get(f"/r/{household_code}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "汉口春天" in page
    assert "武汉惠之美物业服务有限公司" in page
    for criterion in criteria:
        assert criterion.name in page
    for label in ["满意", "基本满意", "不满意"]:
        assert label in page
    assert "本户已" not in page  # not rated yet


def test_it_accepts_the_code_typed_with_dashes_and_small_letters(client, household_code):
    typed = format_code(household_code).lower()
    response = client.get(f"/r/{typed}/")
    assert response.status_code == 200
    assert "汉口春天" in response.content.decode()


def test_it_records_a_rating_and_shows_a_receipt(client, household_code, criteria, enrollment):
    data = rating_post_data(criteria, overall="basically_satisfied", comment="门岗很负责")
    response = client.post(f"/r/{household_code}", data, follow=True)
    rating = Rating.objects.get()
    assert rating.enrollment == enrollment
    assert rating.overall == "basically_satisfied"
    assert rating.comment == "门岗很负责"
    assert rating.is_current
    assert RatingAnswer.objects.filter(rating=rating).count() == len(criteria)
    page = response.content.decode()
    assert "评议已提交" in page
    assert rating.receipt_display in page  # grouped for copying down, e.g. RADB-NPJP-…
    # The receipt page confirms receipt, never the answers.
    assert "基本满意" not in page
    assert "门岗很负责" not in page


def test_a_household_can_change_its_rating_and_the_latest_counts(client, household_code, criteria):
    client.post(f"/r/{household_code}", rating_post_data(criteria, overall="unsatisfied"))
    response = client.get(f"/r/{household_code}")
    assert "本户已提交过评议" in response.content.decode()
    assert "不满意" in response.content.decode()  # the choice is offered, not preselected
    assert "checked" not in response.content.decode()
    client.post(f"/r/{household_code}", rating_post_data(criteria, overall="satisfied"))

    ratings = list(Rating.objects.order_by("submitted_at", "id"))
    assert [r.overall for r in ratings] == ["unsatisfied", "satisfied"]
    assert [r.is_current for r in ratings] == [False, True]
    assert ratings[0].superseded_at is not None
    assert ratings[0].receipt != ratings[1].receipt


def test_the_database_refuses_two_counted_ratings_for_one_code(household_code, criteria):
    first = rating_submit(
        household_code, overall="satisfied", answers={c.pk: "satisfied" for c in criteria}
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            household_code=first.household_code,
            enrollment=first.enrollment,
            overall="unsatisfied",
            receipt="RDUPLICATE000000",
            is_current=True,
        )
    assert Rating.objects.filter(is_current=True).count() == 1


def test_an_unknown_code_gets_a_clear_message_and_writes_nothing(client, enrollment):
    response = client.get("/r/ABCDEFGHJKLM")
    assert response.status_code == 404
    assert "评议码无效" in response.content.decode()
    response = client.post("/r/ABCDEFGHJKLM", {"overall": "satisfied"})
    assert response.status_code == 404
    assert Rating.objects.count() == 0


def test_a_malformed_code_is_explained(client, enrollment):
    response = client.get("/r/0000")
    assert response.status_code == 404
    assert "12位" in response.content.decode()


@pytest.mark.parametrize(
    ("opens", "closes", "status", "message"),
    [
        (-10, -1, Campaign.Status.OPEN, "评议已于"),  # window passed
        (1, 10, Campaign.Status.OPEN, "评议尚未开始"),  # not yet open
        (-10, 10, Campaign.Status.CLOSED, "评议已于"),  # closed by the bureau early
        (-10, 10, Campaign.Status.DRAFT, "评议尚未开始"),
    ],
)
def test_outside_the_window_nothing_is_written(
    client, household_code, enrollment, criteria, opens, closes, status, message
):
    campaign = enrollment.campaign
    now = timezone.now()
    campaign.opens_at = now + timedelta(days=opens)
    campaign.closes_at = now + timedelta(days=closes)
    campaign.status = status
    campaign.save()

    response = client.get(f"/r/{household_code}")
    assert response.status_code == 403
    assert message in response.content.decode()
    response = client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert response.status_code == 403
    assert message in response.content.decode()
    assert Rating.objects.count() == 0


def test_the_window_closing_between_form_and_submit_loses_no_earlier_rating(
    client, household_code, enrollment, criteria
):
    client.post(f"/r/{household_code}", rating_post_data(criteria, overall="satisfied"))
    campaign = enrollment.campaign
    campaign.closes_at = timezone.now() - timedelta(seconds=1)
    campaign.opens_at = campaign.closes_at - timedelta(days=3)
    campaign.save()
    response = client.post(
        f"/r/{household_code}", rating_post_data(criteria, overall="unsatisfied")
    )
    assert response.status_code == 403
    assert list(Rating.objects.values_list("overall", "is_current")) == [("satisfied", True)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"overall": ""}, "请选择总体满意度"),
        ({"overall": "very_satisfied"}, "请选择总体满意度"),
        ({"drop_criterion": True}, "请回答此项"),
        ({"criterion_value": "excellent"}, "请从给出的选项中选择"),
        ({"comment": "长" * 501}, "500"),
    ],
)
def test_a_bad_or_forged_form_is_refused_with_a_message(
    client, household_code, criteria, change, message
):
    data = rating_post_data(criteria)
    if change.pop("drop_criterion", False):
        del data[f"criterion_{criteria[2].pk}"]
    if "criterion_value" in change:
        data[f"criterion_{criteria[0].pk}"] = change.pop("criterion_value")
    data.update(change)
    response = client.post(f"/r/{household_code}", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Rating.objects.count() == 0


def test_a_forged_extra_criterion_is_ignored_by_the_form_and_refused_by_the_service(
    client, household_code, criteria
):
    data = rating_post_data(criteria)
    data["criterion_999999"] = "unsatisfied"
    client.post(f"/r/{household_code}", data)
    rating = Rating.objects.get()
    assert rating.answers.count() == len(criteria)

    answers = {c.pk: "satisfied" for c in criteria} | {999999: "unsatisfied"}
    with pytest.raises(InvalidRating):
        rating_submit(household_code, overall="satisfied", answers=answers)
    assert Rating.objects.count() == 1


def test_the_form_needs_no_javascript(client, household_code):
    page = client.get(f"/r/{household_code}").content.decode()
    assert "<script" not in page
    assert 'method="post"' in page
    assert 'type="radio"' in page


def test_the_code_entry_page_leads_to_the_rating_form(client, household_code):
    page = client.get(reverse("evaluations:code_entry")).content.decode()
    assert "请输入住户评议码" in page
    response = client.get(reverse("evaluations:code_entry"), {"code": format_code(household_code)})
    assert response.status_code == 302
    assert response["Location"] == f"/r/{household_code}"


def test_the_code_entry_page_explains_a_malformed_code(client, db):
    response = client.get(reverse("evaluations:code_entry"), {"code": "1234"})
    assert response.status_code == 400
    assert "12位" in response.content.decode()


def test_an_unknown_receipt_is_a_404(client, db):
    assert client.get("/receipts/RNOPE/").status_code == 404


def test_an_empty_post_is_answered_with_the_questions_marked(client, household_code):
    response = client.post(f"/r/{household_code}", {})
    assert response.status_code == 400
    assert "请选择总体满意度" in response.content.decode()
    assert Rating.objects.count() == 0


def test_the_service_rechecks_the_window_inside_the_lock(household_code, criteria, enrollment):
    answers = {c.pk: "satisfied" for c in criteria}
    first = rating_submit(household_code, overall="satisfied", answers=answers)
    from evaluations.ratings import WindowClosed

    with pytest.raises(WindowClosed):
        rating_submit(
            household_code,
            overall="unsatisfied",
            answers=answers,
            now=enrollment.campaign.closes_at,
        )
    assert list(Rating.objects.values_list("pk", "is_current")) == [(first.pk, True)]


def test_a_post_without_the_csrf_token_is_refused(household_code, criteria):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert response.status_code == 403
    assert Rating.objects.count() == 0


def test_a_pasted_link_with_a_trailing_character_gets_the_chinese_message(client, enrollment):
    for path in ["/r/ABCD-EFGH-JKLM.", "/r/你好"]:
        response = client.get(path)
        assert response.status_code == 404
        assert "评议码" in response.content.decode()


def test_the_rating_form_and_its_submit_make_few_queries(
    client, household_code, criteria, enrollment, django_assert_num_queries
):
    """The code is looked up once per request (with whether it has rated) and the
    criteria once; the submit is: the lock (with the campaign's window), the earlier
    rating set aside, the rating, its answers in one statement — whatever the number
    of criteria."""
    url = reverse("evaluations:rate", args=[household_code])
    with django_assert_num_queries(2):  # the code with its community …; the criteria
        response = client.get(url)
    assert response.status_code == 200
    data = rating_post_data(criteria, "satisfied")
    # The code and criteria, then in the transaction: lock, earlier rating, rating, answers.
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data)
    assert response.status_code == 302
    # (The test runs inside a transaction: the submit's own is a savepoint there.)
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 6, statements
    assert "FOR UPDATE" in statements[2] or connection.vendor == "sqlite"
    rating = Rating.objects.get(is_current=True)
    assert rating.answers.count() == len(criteria)
    # Criteria changed: the new questions are asked at once.
    enrollment.campaign.criteria.remove(criteria[-1])
    page = client.get(url).content.decode()
    assert criteria[-1].name not in page and criteria[0].name in page


def _full_width(text: str) -> str:
    """What a Chinese input method in full-width mode types for ASCII text."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def test_a_full_width_code_typed_on_the_home_page_opens_its_rating_page(client, household_code):
    page = client.get("/").content.decode()
    assert 'action="/r/"' in page  # the home page's code box sends here
    typed = _full_width(format_code(household_code).lower()).replace("-", "—")
    response = client.get("/r/", {"code": typed}, follow=True)
    assert response.redirect_chain == [(f"/r/{household_code}", 302)]
    assert "汉口春天" in response.content.decode()
    # …and the same code in the address (a QR scanner or a paste) opens it too.
    direct = client.get("/r/" + _full_width(format_code(household_code)))
    assert direct.status_code == 200 and "汉口春天" in direct.content.decode()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("radb-npjp-2345-6789", "RADBNPJP23456789"),
        ("ＲＡＤＢ－ＮＰＪＰ－２３４５－６７８９", "RADBNPJP23456789"),
        ("RADB—NPJP　2345–6789", "RADBNPJP23456789"),
        ("RADB-NPJP-2345-678", None),
        ("XADB-NPJP-2345-6789", None),
    ],
)
def test_receipts_are_normalised_like_codes(typed, expected):
    from evaluations.views import normalize_receipt

    assert normalize_receipt(typed) == expected


def test_a_campaign_closed_early_says_when_it_really_closed(
    client, household_code, enrollment, city_officer
):
    from evaluations.campaigns import campaign_transition

    campaign = enrollment.campaign
    planned = timezone.localtime(campaign.closes_at).strftime("%Y-%m-%d %H:%M")
    closed = timezone.now() - timedelta(hours=5)
    campaign_transition(campaign, "close", actor=city_officer, reason="提前结束", now=closed)
    campaign.refresh_from_db()
    assert campaign.closed_at == closed

    page = client.get(f"/r/{household_code}").content.decode()
    assert timezone.localtime(closed).strftime("%Y-%m-%d %H:%M") in page
    assert planned not in page  # never the planned closing time, which is still ahead
