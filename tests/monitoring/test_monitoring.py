"""Anti-fraud monitoring (issue 5, item 4): the signals recorded when a resident
rates, each flag on a crafted pattern (and not on a normal one), quarantine and
release (excluded from the tally and the digest, audited, reversible), the pages
and who may see them."""

import re
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from communities.models import Community
from evaluations import fingerprints
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.codes import format_code, generate_code, generate_receipt, hash_code
from evaluations.households import codes_issue
from evaluations.models import (
    AuditEntry,
    FailedCodeAttempt,
    HouseholdCode,
    RatesNotAvailable,
    Rating,
    RatingAnswer,
    answer_pattern,
)
from evaluations.tally import campaign_tally, campaign_turnout
from monitoring import flags, holds
from monitoring.holds import monitoring_finalise
from reviews.ballots import publication_ballots, receipt_hash, receipt_hashes
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import publication_publish_final, publication_publish_preliminary
from tests.conftest import history_guards_off, make_campaign, rating_post_data

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(hours=12)


def craft(
    enrollment,
    n,
    *,
    start=None,
    step=timedelta(hours=1),
    ip=None,
    browser=None,
    seconds=120,
    overall="satisfied",
    answers=None,
    comment="",
):
    """`n` counted ratings of new households. By default nothing suspicious: an hour
    apart, each from its own address and browser, two minutes to fill in, all answers
    alike. `ip`/`browser` given: all from that one; `answers`: per-criterion answers."""
    start = start or T0
    criteria = list(enrollment.campaign.criteria.order_by("order", "code"))
    codes = HouseholdCode.objects.bulk_create(
        [
            HouseholdCode(enrollment=enrollment, code_hash=hash_code(generate_code()))
            for _ in range(n)
        ]
    )
    base = Rating.objects.count()
    ratings = Rating.objects.bulk_create(
        [
            Rating(
                household_code=code,
                enrollment=enrollment,
                overall=overall,
                comment=comment,
                receipt=generate_receipt(),
                submitted_at=start + i * step,
                client_ip=ip
                or f"10.{enrollment.pk % 250}.{(base + i) // 250 % 250}.{(base + i) % 250}",
                browser_id=browser or f"b{enrollment.pk:05d}x{base + i:016d}",
                form_seconds=seconds,
                # as rating_submit stores it
                answer_pattern=answer_pattern(
                    criteria,
                    {c.pk: (answers or {}).get(i, overall) for i, c in enumerate(criteria)},
                ),
            )
            for i, code in enumerate(codes)
        ]
    )
    RatingAnswer.objects.bulk_create(
        [
            RatingAnswer(rating=r, criterion=c, answer=(answers or {}).get(i, overall))
            for r in ratings
            for i, c in enumerate(criteria)
        ]
    )
    return ratings


@pytest.fixture
def campaign(db):
    return make_campaign(
        slug="watch",
        opens_at=timezone.now() - timedelta(days=3),
        closes_at=timezone.now() + timedelta(days=3),
    )


@pytest.fixture
def watched(campaign, community):
    """汉口春天 (100 households) with twenty ordinary ratings."""
    enrollment = enrollment_create(campaign, community)
    craft(enrollment, 20)
    return enrollment


def flags_of(campaign, enrollment=None):
    result = flags.campaign_monitoring(campaign)
    rows = {r.enrollment_id: r for r in result.communities}
    row = rows.get((enrollment or campaign.enrollments.get()).pk)
    return row.flags if row else []


# --- the signals recorded when a resident rates -------------------------------------


def test_the_form_carries_a_signed_start_time_and_the_seconds_are_recorded(
    client, enrollment, household_code, criteria
):
    page = client.get(f"/r/{household_code}")
    token = re.search(r'name="started" value="([^"]+)"', page.content.decode()).group(1)
    started_at = fingerprints.form_started_at(token, household_code)
    assert started_at is not None and abs(started_at - time.time()) < 5
    assert fingerprints.BROWSER_COOKIE in page.cookies
    browser = page.cookies[fingerprints.BROWSER_COOKIE].value

    earlier = fingerprints.form_started_token(household_code, now=time.time() - 42)
    data = rating_post_data(criteria) | {"started": earlier}
    response = client.post(f"/r/{household_code}", data)
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert 42 <= rating.form_seconds <= 45
    assert rating.browser_id == browser


def test_a_rating_stores_its_answers_as_one_pattern_number(
    client, enrollment, household_code, criteria
):
    # Base 3 in questionnaire order: satisfied 0, basically satisfied 1, unsatisfied 2.
    answers = ["unsatisfied", "satisfied", "basically_satisfied", "satisfied", "satisfied"]
    data = rating_post_data(criteria) | {
        f"criterion_{c.pk}": a for c, a in zip(criteria, answers, strict=True)
    }
    assert client.post(f"/r/{household_code}", data).status_code == 302
    assert Rating.objects.get().answer_pattern == 2 * 1 + 0 * 3 + 1 * 9 + 0 * 27 + 0 * 81


def test_the_migration_gives_earlier_ratings_their_pattern(campaign, community):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("evaluations.migrations.0011_rating_answer_pattern")
    enrollment = enrollment_create(campaign, community)
    mixed = {0: "unsatisfied", 3: "basically_satisfied"}
    made = craft(enrollment, 2, answers=mixed) + craft(enrollment, 1)
    expected = {r.pk: r.answer_pattern for r in made}
    assert set(expected.values()) == {2 * 1 + 1 * 27, 0}
    with history_guards_off():  # the migration fills a column the guard freezes later
        Rating.objects.update(answer_pattern=None)  # as before the field existed
        migration.backfill(apps, None)

    assert dict(Rating.objects.values_list("pk", "answer_pattern")) == expected


@pytest.mark.parametrize("started", ["", "forged", "eyJ0IjoxfQ:1u:abc", "x" * 5000])
def test_a_missing_or_forged_start_time_is_recorded_as_unknown_and_never_refused(
    client, enrollment, household_code, criteria, started
):
    data = rating_post_data(criteria) | {"started": started}
    response = client.post(f"/r/{household_code}", data)
    assert response.status_code == 302
    assert Rating.objects.get().form_seconds is None


def test_a_start_time_of_another_code_does_not_count(client, enrollment, criteria):
    mine, other = codes_issue(enrollment, 2)
    stolen = fingerprints.form_started_token(other, now=time.time() - 300)
    client.post(f"/r/{mine}", rating_post_data(criteria) | {"started": stolen})
    assert Rating.objects.get().form_seconds is None


def test_a_rating_without_the_browser_cookie_records_no_browser(
    client, enrollment, household_code, criteria
):
    client.cookies[fingerprints.BROWSER_COOKIE] = "not a valid id!"
    client.post(f"/r/{household_code}", rating_post_data(criteria))
    assert Rating.objects.get().browser_id == ""


def test_a_form_sent_back_with_errors_keeps_its_first_start_time(
    client, enrollment, household_code, criteria
):
    earlier = fingerprints.form_started_token(household_code, now=time.time() - 100)
    page = client.post(f"/r/{household_code}", {"started": earlier, "overall": "satisfied"})
    assert page.status_code == 400
    assert page.context["form_started"] == earlier


def test_wrong_codes_are_written_down_with_address_and_browser(client, enrollment):
    wrong = generate_code()
    client.get(
        f"/r/{format_code(wrong).lower()}", HTTP_USER_AGENT="Bot/1.0", REMOTE_ADDR="203.0.113.9"
    )
    client.get("/r/", {"code": "12-34"}, REMOTE_ADDR="203.0.113.9")
    attempts = list(
        FailedCodeAttempt.objects.order_by("at", "pk").values_list(
            "client_ip", "user_agent", "typed"
        )
    )
    assert attempts == [("203.0.113.9", "Bot/1.0", wrong), ("203.0.113.9", "", "1234")]


def test_old_wrong_codes_are_pruned(db):
    old = FailedCodeAttempt.objects.create(typed="OLD", client_ip="203.0.113.1")
    FailedCodeAttempt.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    FailedCodeAttempt.objects.create(typed="NEW", client_ip="203.0.113.1")
    call_command("prune_failed_codes")
    assert list(FailedCodeAttempt.objects.values_list("typed", flat=True)) == ["NEW"]


# --- each flag on a crafted pattern, and not on a normal one --------------------------


def test_ordinary_ratings_raise_no_flag(campaign, watched):
    assert flags_of(campaign) == []


def test_a_burst_of_ratings_in_one_slot_is_flagged(campaign, watched):
    slot = T0.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    craft(watched, 9, start=slot + timedelta(minutes=1), step=timedelta(seconds=30))
    assert flags_of(campaign) == []
    craft(watched, 1, start=slot + timedelta(minutes=8))
    assert flags_of(campaign) == ["burst"]
    row = flags.campaign_monitoring(campaign).communities[0]
    assert (row.burst_slots, row.burst_ratings) == (1, 10)


def test_a_burst_threshold_grows_with_the_households(campaign, community):
    community.households = 1000  # 5% is 50
    community.save()
    enrollment = enrollment_create(campaign, community)
    slot = T0.replace(minute=0, second=0, microsecond=0)
    craft(enrollment, 49, start=slot, step=timedelta(seconds=5))
    assert flags_of(campaign) == []
    craft(enrollment, 1, start=slot + timedelta(minutes=5))
    assert flags_of(campaign) == ["burst"]


def test_many_ratings_from_one_address_are_flagged(campaign, watched):
    craft(watched, 4, ip="198.51.100.7")
    assert flags_of(campaign) == []
    craft(watched, 1, ip="198.51.100.7", start=T0 + timedelta(days=2))
    assert flags_of(campaign) == ["address"]


def test_many_households_from_one_browser_are_flagged(campaign, watched):
    craft(watched, 2, browser="SameBrowserId000001")
    assert flags_of(campaign) == []
    craft(watched, 1, browser="SameBrowserId000001", start=T0 + timedelta(days=2))
    assert flags_of(campaign) == ["browser"]


def test_identical_answers_with_the_same_comment_are_flagged(campaign, watched):
    craft(watched, 2, comment="物业服务很好，点赞！")
    assert flags_of(campaign) == []
    craft(watched, 1, comment="物业服务很好，点赞！", start=T0 + timedelta(days=2))
    assert flags_of(campaign) == ["pattern"]


def test_everyone_satisfied_without_comment_is_not_flagged(campaign, watched):
    craft(watched, 60, start=T0 - timedelta(days=2), step=timedelta(minutes=31))
    assert flags_of(campaign) == []


def test_the_same_mixed_answers_many_times_are_flagged(campaign, watched):
    mixed = {0: "unsatisfied", 2: "basically_satisfied"}
    craft(watched, 9, answers=mixed, start=T0 + timedelta(days=1))
    assert flags_of(campaign) == []
    craft(watched, 1, answers=mixed, start=T0 + timedelta(days=2))
    assert flags_of(campaign) == ["pattern"]


def test_forms_filled_in_too_fast_are_flagged(campaign, watched):
    craft(watched, 2, seconds=flags.FAST_SECONDS - 1)
    craft(watched, 5, seconds=flags.FAST_SECONDS)
    assert flags_of(campaign) == []
    craft(watched, 1, seconds=3, start=T0 + timedelta(days=2))
    assert flags_of(campaign) == ["fast"]


def test_ratings_from_an_address_that_tried_many_codes_are_flagged(campaign, watched):
    prefix = generate_code()[:10]
    for suffix in ["AB", "AC", "AD", "AE"]:
        FailedCodeAttempt.objects.create(client_ip="198.51.100.99", typed=prefix + suffix)
    craft(watched, 1, ip="198.51.100.99", start=T0 + timedelta(days=2))
    assert flags_of(campaign) == []
    # a wrong code before the campaign opened does not count
    early = FailedCodeAttempt.objects.create(client_ip="198.51.100.99", typed=generate_code())
    FailedCodeAttempt.objects.filter(pk=early.pk).update(at=campaign.opens_at - timedelta(hours=1))
    assert flags_of(campaign) == []
    FailedCodeAttempt.objects.create(client_ip="198.51.100.99", typed=generate_code())
    assert flags_of(campaign) == ["codes"]
    [address] = flags.campaign_monitoring(campaign).addresses
    assert (address.client_ip, address.tries, address.in_sequence, address.ratings) == (
        "198.51.100.99",
        5,
        4,
        1,
    )


def test_the_drill_down_names_each_ratings_signs(campaign, watched):
    slot = T0.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    burst = craft(
        watched,
        10,
        start=slot,
        step=timedelta(seconds=20),
        ip="198.51.100.7",
        seconds=5,
        comment="好",
    )
    flagged = {f.rating.pk: f for f in flags.enrollment_flagged_ratings(watched)}
    assert set(flagged) == {r.pk for r in burst}
    first = flagged[burst[0].pk]
    assert first.flags == ["burst", "address", "pattern", "fast"]
    assert first.pattern_label == "A"


# --- quarantine -------------------------------------------------------------------------


@pytest.fixture
def closed(campaign, watched, city_officer):
    """The campaign closed with 20 satisfied ratings and 3 dissatisfied from one
    browser."""
    suspicious = craft(watched, 3, browser="Collector00000001", overall="unsatisfied")
    campaign_transition(campaign, "close", actor=city_officer)
    campaign.refresh_from_db()
    return suspicious  # the monitoring is not finalised: rates are hidden


def test_holding_ratings_takes_them_out_of_the_tally_and_release_puts_them_back(
    campaign, watched, closed, qiaokou_reviewer, city_officer, client
):
    with pytest.raises(RatesNotAvailable):  # holds are decided while rates are hidden
        campaign_tally(campaign)
    n = holds.ratings_quarantine(
        watched, [r.pk for r in closed], actor=qiaokou_reviewer, reason="同一浏览器代评"
    )
    assert n == 3
    assert campaign_turnout(campaign)["responses"] == 20
    assert Rating.objects.count() == 23  # nothing deleted
    held = Rating.objects.get(pk=closed[0].pk)
    assert (held.quarantined_by, held.quarantine_reason) == (qiaokou_reviewer, "同一浏览器代评")

    page = client.post(reverse("evaluations:receipt_check"), {"receipt": held.receipt})
    assert page.context["state"] == "held"
    assert "暂不计入" in page.content.decode()

    holds.ratings_release(watched, [closed[0].pk], actor=qiaokou_reviewer, reason="已核实为本户")
    monitoring_finalise(campaign, actor=city_officer)
    campaign.refresh_from_db()
    row = campaign_tally(campaign)[watched.pk]
    assert (row.responses, row.satisfied) == (21, 20)
    page = client.post(reverse("evaluations:receipt_check"), {"receipt": held.receipt})
    assert page.context["state"] == "counted"

    entries = list(
        AuditEntry.objects.filter(action__startswith="rating_")
        .order_by("id")
        .values_list("action", "actor_name", "reason", "enrollment_id")
    )
    assert entries == [("rating_quarantined", "qiaokou", "同一浏览器代评", watched.pk)] * 3 + [
        ("rating_released", "qiaokou", "已核实为本户", watched.pk)
    ]
    finalised = AuditEntry.objects.get(action="monitoring_finalised")
    assert finalised.actor_name == "city" and finalised.new_value == "2 条评议已暂扣"
    assert f"#{closed[1].pk} [同一浏览器]: 同一浏览器代评" in finalised.reason


def test_held_ratings_are_not_in_the_published_ballots_or_the_digest(
    campaign, watched, closed, qiaokou_reviewer, city_officer
):
    holds.ratings_quarantine(watched, [r.pk for r in closed], actor=city_officer, reason="代评")
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(watched, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(watched, actor=qiaokou_reviewer)
    enrollment_approve(watched, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    assert preliminary.entries.get().responses == 20
    final = publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(minutes=1)
    )
    assert len(list(publication_ballots(final))) == 20
    published = set(receipt_hashes(final))
    assert len(published) == 20
    assert not published & {receipt_hash(r.receipt) for r in closed}
    call_command("verify_publication", campaign.slug)  # raises on any mismatch


def test_holding_is_refused_once_the_preliminary_list_is_out(
    campaign, watched, closed, qiaokou_reviewer, city_officer
):
    holds.ratings_quarantine(watched, [closed[0].pk], actor=city_officer, reason="代评")
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(watched, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(watched, actor=qiaokou_reviewer)
    enrollment_approve(watched, actor=city_officer)
    publication_publish_preliminary(campaign, actor=city_officer)
    with pytest.raises(holds.QuarantineRefused, match="初步名单已公示"):
        holds.ratings_quarantine(watched, [closed[1].pk], actor=city_officer, reason="x")
    with pytest.raises(holds.QuarantineRefused, match="初步名单已公示"):
        holds.ratings_release(watched, [closed[0].pk], actor=city_officer, reason="x")
    assert Rating.objects.filter(quarantined_at__isnull=False).count() == 1


def url(name, enrollment):
    return reverse(name, args=[enrollment.campaign.slug, enrollment.pk])


def test_staff_hold_and_release_through_the_page(
    client, campaign, watched, closed, qiaokou_reviewer
):
    client.force_login(qiaokou_reviewer)
    page = client.get(url("console:monitoring_community", watched))
    assert [f.rating.pk for f in page.context["flagged"]] == [r.pk for r in closed]
    body = page.content.decode()
    assert "同一浏览器" in body and "不满意" not in body
    response = client.post(
        url("console:rating_hold", watched),
        {"rating": [closed[0].pk, closed[1].pk], "hold-reason": "同一浏览器代评"},
        follow=True,
    )
    assert "2 条评议已暂扣" in response.content.decode()
    assert Rating.objects.filter(quarantined_at__isnull=False).count() == 2
    response = client.post(
        url("console:rating_release", watched),
        {"rating": [closed[0].pk], "release-reason": "核实无误"},
        follow=True,
    )
    assert "1 条评议已解除暂扣" in response.content.decode()
    assert list(
        Rating.objects.filter(quarantined_at__isnull=False).values_list("pk", flat=True)
    ) == [closed[1].pk]


@pytest.mark.parametrize(
    "case, message",
    [
        ("no_reason", "请填写理由"),
        ("nothing", "请至少选择一条评议"),
        ("garbage", "表单中的评议编号无效"),
        ("other_community", "不是 汉口春天 的评议"),
        ("already_held", "已在暂扣中"),
        ("superseded", "已被同一住户后来的评议取代"),
    ],
)
def test_forged_or_stale_hold_requests_get_a_clear_message_and_change_nothing(
    client, campaign, watched, closed, city_officer, jiangan, case, message
):
    other = enrollment_create(
        make_campaign(slug="other-campaign"),
        Community.objects.create(
            district=jiangan, name="江岸花园", households=50, company=watched.company
        ),
    )
    [foreign] = craft(other, 1)
    Rating.objects.filter(pk=closed[2].pk).update(quarantined_at=timezone.now())
    old = craft(watched, 1)[0]
    Rating.objects.filter(pk=old.pk).update(is_current=False)
    data = {
        "no_reason": {"rating": [closed[0].pk]},
        "nothing": {"hold-reason": "x"},
        "garbage": {"rating": ["1; DROP"], "hold-reason": "x"},
        "other_community": {"rating": [closed[0].pk, foreign.pk], "hold-reason": "x"},
        "already_held": {"rating": [closed[0].pk, closed[2].pk], "hold-reason": "x"},
        "superseded": {"rating": [old.pk], "hold-reason": "x"},
    }[case]
    client.force_login(city_officer)
    response = client.post(url("console:rating_hold", watched), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(
        Rating.objects.filter(quarantined_at__isnull=False).values_list("pk", flat=True)
    ) == [closed[2].pk]
    assert not AuditEntry.objects.filter(action="rating_quarantined").exists()


def test_a_community_of_another_campaign_or_district_is_not_found(
    client, campaign, watched, closed, jiangan_reviewer, city_officer
):
    other = enrollment_create(make_campaign(slug="other-campaign"), watched.community)
    client.force_login(city_officer)
    wrong = reverse("console:rating_hold", args=[campaign.slug, other.pk])
    assert client.post(wrong, {"rating": [closed[0].pk], "hold-reason": "x"}).status_code == 404
    client.force_login(jiangan_reviewer)
    assert client.get(url("console:monitoring_community", watched)).status_code == 404
    assert not Rating.objects.filter(quarantined_at__isnull=False).exists()


# --- the campaign page: scope and queries ------------------------------------------------


def test_a_district_reviewer_sees_only_their_districts_communities(
    client, campaign, watched, jiangan, jiangan_reviewer, qiaokou_reviewer
):
    craft(watched, 5, ip="198.51.100.7")
    other = enrollment_create(
        campaign,
        Community.objects.create(
            district=jiangan, name="江岸花园", households=50, company=watched.company
        ),
    )
    craft(other, 5, ip="198.51.100.8")
    client.force_login(qiaokou_reviewer)
    page = client.get(reverse("console:monitoring", args=[campaign.slug]))
    assert [r.enrollment.community.name for r in page.context["page"]] == ["汉口春天"]
    assert "江岸花园" not in page.content.decode()
    client.force_login(jiangan_reviewer)
    page = client.get(reverse("console:monitoring", args=[campaign.slug]))
    assert [r.enrollment.community.name for r in page.context["page"]] == ["江岸花园"]


def _city_with(campaign, community, n):
    for i in range(n):
        place = Community.objects.create(
            district=community.district,
            name=f"小区{i:02d}",
            households=80,
            company=community.company,
        )
        enrollment = enrollment_create(campaign, place)
        craft(enrollment, 3, browser=f"Browser{i:012d}", seconds=4)
        craft(enrollment, 2, comment="统一口径")
        FailedCodeAttempt.objects.create(client_ip=f"192.0.2.{i + 1}", typed=generate_code())
    first = Rating.objects.filter(enrollment__campaign=campaign, comment="统一口径").order_by("pk")[
        0
    ]
    Rating.objects.filter(pk=first.pk).update(quarantined_at=timezone.now())


@pytest.mark.parametrize("communities", [1, 50])
def test_the_campaign_page_takes_the_same_queries_for_1_and_50_communities(
    client, campaign, community, city_officer, communities, django_assert_num_queries
):
    _city_with(campaign, community, communities)
    client.force_login(city_officer)
    url_ = reverse("console:monitoring", args=[campaign.slug])
    client.get(url_)  # warm the session and the permission caches
    # 20: the session, user, second-factor devices (2), profile and permissions are the
    # console's fixed cost; the rest is one aggregate per flag whatever the size
    # (21 since issue 11: the held-then-released pattern is one more aggregate; 22 since
    # issue 13: the inbox's unread count in the console's header)
    with django_assert_num_queries(22):
        page = client.get(url_)
    assert page.status_code == 200
    assert page.context["flagged_count"] == communities
    assert all(r.flags == ["browser", "fast"] for r in page.context["page"])


@pytest.mark.parametrize("communities", [1, 50])
def test_the_community_page_takes_the_same_queries_whatever_the_campaign_size(
    client, campaign, community, city_officer, communities, django_assert_num_queries
):
    _city_with(campaign, community, communities)
    enrollment = campaign.enrollments.order_by("pk").last()
    client.force_login(city_officer)
    url_ = url("console:monitoring_community", enrollment)
    client.get(url_)
    with django_assert_num_queries(20):  # 19 before the header's unread count (issue 13)
        page = client.get(url_)
    assert len(page.context["flagged"]) == 3


def test_the_thank_you_page_of_a_held_rating_says_so_without_the_answers(
    client, campaign, watched, closed, city_officer
):
    holds.ratings_quarantine(watched, [closed[0].pk], actor=city_officer, reason="代评")
    page = thank_you_page(client, closed[0].receipt)
    body = page.content.decode()
    assert "此评议已被房管部门暂扣审查，暂不计入统计。" in body
    assert "不满意" not in body
    assert "暂扣审查" not in thank_you_page(client, closed[1].receipt).content.decode()


def thank_you_page(client, receipt):
    """The thank-you page as the browser that rated sees it: the receipt handed over
    in the signed cookie, never in the address."""
    from evaluations.views import RECEIPT_COOKIE, receipt_handover

    handover = receipt_handover(receipt)
    client.cookies[RECEIPT_COOKIE] = handover.cookies[RECEIPT_COOKIE].value
    return client.get(handover["Location"])


def test_the_monitoring_of_a_closed_campaign_is_kept_until_a_hold_or_a_release(
    client, campaign, watched, closed, city_officer, qiaokou_reviewer
):
    """Issue 12: at a million ratings the flags take seconds of PostgreSQL; once rating
    has closed they are computed once and kept, and a hold or a release (the only
    changes to the counted ratings then) makes the page compute them again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    page_url = reverse("console:monitoring", args=[campaign.slug])
    client.force_login(city_officer)

    def view():
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(page_url)
        assert page.status_code == 200
        return page, len(ctx.captured_queries)

    first, computed = view()
    assert [(c.enrollment_id, c.flags, c.held) for c in first.context["page"]] == [
        (watched.pk, ["browser"], 0)
    ]
    again, stored = view()
    assert stored < computed  # the flags' aggregates are not sent again
    assert [(c.flags, c.held) for c in again.context["page"]] == [(["browser"], 0)]

    holds.ratings_quarantine(
        watched, [r.pk for r in closed], actor=qiaokou_reviewer, reason="同一浏览器代评"
    )
    held, count = view()
    assert count == computed
    assert list(held.context["page"]) == []  # the browser's ratings no longer count
    assert [(c.enrollment_id, c.held) for c in held.context["held"]] == [(watched.pk, 3)]

    holds.ratings_release(watched, [closed[0].pk], actor=qiaokou_reviewer, reason="已核实为本户")
    released, _count = view()
    assert [c.held for c in released.context["held"]] == [2]

    # A district's reviewer gets the analysis of their own scope, as current.
    client.force_login(qiaokou_reviewer)
    district = client.get(page_url)
    assert [(c.enrollment_id, c.held) for c in district.context["held"]] == [(watched.pk, 2)]


def test_when_rating_closes_a_worker_computes_the_monitoring_before_the_first_view(
    client, campaign, watched, city_officer, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    craft(watched, 3, browser="Collector00000001", overall="unsatisfied")
    with django_capture_on_commit_callbacks(execute=True):  # tasks run eagerly in tests
        campaign_transition(campaign, "close", actor=city_officer)
    client.force_login(city_officer)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("console:monitoring", args=[campaign.slug]))
    assert [(c.enrollment_id, c.flags) for c in page.context["page"]] == [(watched.pk, ["browser"])]
    # None of the flags' aggregates over the ratings ran in the request.
    assert not [q for q in ctx.captured_queries if "browser_id" in q["sql"]]
