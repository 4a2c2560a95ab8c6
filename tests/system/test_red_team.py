"""The insider red team of issue 11, re-enacted: every attack of the security review,
tried the same way, must fail — on SQLite and on PostgreSQL (CI runs both).

1. the hold oracle and lever; 2. the rewritten and the truncated audit; 3. the
consistent forgery of a published list; 4. receipt coercion; 5. the locked-out
building; 6. the formula in the audit CSV; 7. the unmoderated headline; 8. the
39.7-megapixel PNG; 9. distributed password guessing; and the smaller ones (out-of-range ids, production without a shared
cache, receipts in URLs).
"""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from communities.models import Community
from evaluations.audit import audit_head
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import AuditEntry, RatesNotAvailable, Rating, RatingAnswer
from evaluations.ratings import rating_submit
from evaluations.tally import campaign_tally, enrollment_tally
from monitoring import holds
from reviews import ballots
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Publication
from reviews.publishing import publication_publish_final, publication_publish_preliminary
from tests.conftest import history_guards_off, make_campaign, rating_post_data

pytestmark = pytest.mark.django_db

SLUG = "red-team"


@pytest.fixture
def campaign(db):
    return make_campaign(slug=SLUG, min_responses=5, threshold_percent=90)


@pytest.fixture
def twenty(campaign, community, criteria):
    """汉口春天: 18 satisfied and 2 unsatisfied ratings through the real path (90.0%)."""
    enrollment = enrollment_create(campaign, community)
    codes = codes_issue(enrollment, 20)
    ratings = []
    for i, code in enumerate(codes):
        overall = "unsatisfied" if i in (4, 11) else "satisfied"
        ratings.append(
            rating_submit(code, overall=overall, answers={c.pk: overall for c in criteria})
        )
    return enrollment, ratings


# --- 1. the hold oracle and lever ----------------------------------------------------------


def test_a_reviewer_cannot_hold_unflagged_ratings_nor_read_rates_while_holds_are_open(
    twenty, campaign, city_officer, qiaokou_reviewer, client
):
    enrollment, ratings = twenty
    # Spread over the window (set-up as the owner could: submitted_at never changes),
    # so that no burst flags them: ordinary ratings.
    with history_guards_off():
        for i, rating in enumerate(ratings):
            Rating.objects.filter(pk=rating.pk).update(
                submitted_at=rating.submitted_at - timedelta(hours=i + 1)
            )
    campaign_transition(campaign, "close", actor=city_officer)
    campaign.refresh_from_db()
    # The attack: hold each rating in turn and watch the community's rate move.
    with pytest.raises(RatesNotAvailable):
        enrollment_tally(enrollment)
    with pytest.raises(RatesNotAvailable):
        campaign_tally(campaign)
    client.force_login(qiaokou_reviewer)
    review = client.get(reverse("console:enrollment", args=[enrollment.pk])).content.decode()
    assert "90.0%" not in review and "100.0%" not in review
    export = client.get(reverse("console:results_csv", args=[SLUG]))
    assert "90.0" not in export.content.decode("utf-8", "replace")  # 409: not streamed
    # None of these ratings is flagged: none can be held, so no rate can be steered.
    for rating in ratings:
        with pytest.raises(holds.QuarantineRefused, match="只有被异常监测标记的评议才能暂扣"):
            holds.ratings_quarantine(
                enrollment, [rating.pk], actor=qiaokou_reviewer, reason="查看一下"
            )
    assert not Rating.objects.filter(quarantined_at__isnull=False).exists()


def test_after_finalising_a_single_account_cannot_hold_or_release(
    twenty, campaign, city_officer, qiaokou_reviewer
):
    enrollment, ratings = twenty
    campaign_transition(campaign, "close", actor=city_officer)
    holds.monitoring_finalise(campaign, actor=city_officer)
    with pytest.raises(holds.QuarantineRefused, match="第二个市级账号"):
        holds.ratings_quarantine(enrollment, [ratings[4].pk], actor=city_officer, reason="x")
    with pytest.raises(holds.QuarantineRefused, match="另一个市级账号"):
        holds.ratings_quarantine(
            enrollment, [ratings[4].pk], actor=city_officer, reason="x", approver=city_officer
        )
    with pytest.raises(holds.QuarantineRefused, match="另一个市级账号"):  # not a city account
        holds.ratings_quarantine(
            enrollment, [ratings[4].pk], actor=city_officer, reason="x", approver=qiaokou_reviewer
        )
    assert not Rating.objects.filter(quarantined_at__isnull=False).exists()


# --- 2. the rewritten and the truncated audit ----------------------------------------------


def test_the_audit_cannot_be_rewritten_or_emptied_through_the_apps_connection(twenty, campaign):
    entry = AuditEntry.objects.order_by("id").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "INSERT OR REPLACE INTO evaluations_auditentry (id, at, actor_name, action, "
                "subject, old_value, new_value, reason, prev_hash, entry_hash) VALUES "
                "(%s, '2020-01-01', '', 'approved', 'x', '', '', '篡改', 'p', 'e')",
                [entry.pk],
            )
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE evaluations_auditentry CASCADE")
    entry.refresh_from_db()
    assert entry.reason != "篡改"
    call_command("verify_audit", stdout=io.StringIO())


def test_an_owner_who_rewrites_the_audit_is_named_by_verify_audit(twenty):
    entry = AuditEntry.objects.order_by("id")[1]
    with history_guards_off():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    with pytest.raises(CommandError, match=f"broken at entry #{entry.pk}"):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())


def test_an_owner_who_empties_the_audit_contradicts_the_published_head(twenty):
    head = audit_head()
    with history_guards_off():
        AuditEntry.objects.all().delete()
    with pytest.raises(CommandError, match="not in the chain"):
        call_command("verify_audit", "--head", head, stdout=io.StringIO(), stderr=io.StringIO())


# --- 3. the consistent forgery -------------------------------------------------------------


@pytest.fixture
def published(twenty, campaign, city_officer, qiaokou_reviewer):
    enrollment, ratings = twenty
    campaign_transition(campaign, "close", actor=city_officer)
    holds.monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    preliminary = publication_publish_preliminary(campaign, actor=city_officer)
    final = publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )
    return final, ratings


def test_a_consistent_forgery_of_the_list_fails_verification(published):
    final, ratings = published
    printed_digest, printed_head = final.ratings_digest, final.audit_head
    with history_guards_off():  # the owner's rights; the app's role is refused
        Rating.objects.filter(pk=ratings[4].pk).update(overall="satisfied")
        RatingAnswer.objects.filter(rating=ratings[4]).update(answer="satisfied")
        final.entries.update(satisfied=19)
        Publication.objects.filter(pk=final.pk).update(
            ratings_digest=ballots.publication_digest(final)
        )
    with pytest.raises(CommandError):
        call_command("verify_publication", SLUG, stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command(
            "verify_publication",
            SLUG,
            "--digest",
            printed_digest,
            "--audit-head",
            printed_head,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_the_apps_connection_cannot_flip_a_counted_rating(published):
    final, ratings = published
    if connection.vendor != "postgresql":
        pytest.skip("rating rows are guarded by PostgreSQL triggers (SQLite: verification)")
    with pytest.raises(DatabaseError), transaction.atomic():
        Rating.objects.filter(pk=ratings[4].pk).update(overall="satisfied")


def test_reordering_criteria_is_no_false_mismatch(published):
    final, _ = published
    for i, criterion in enumerate(final.campaign.criteria.order_by("-order")):
        criterion.order = i
        criterion.save(update_fields=["order"])
    call_command("verify_publication", SLUG, stdout=io.StringIO())


# --- 4. receipt coercion ---------------------------------------------------------------------


def test_a_receipt_proves_counting_and_never_the_answer(client, published):
    final, ratings = published
    receipt = ratings[4].receipt  # the unsatisfied household a manager wants to expose
    ballots_csv = b"".join(client.get(f"/open-data/{SLUG}-ballots.csv").streaming_content)
    assert receipt.encode() not in ballots_csv
    receipts_csv = b"".join(client.get(f"/open-data/{SLUG}-receipts.csv").streaming_content)
    assert ballots.receipt_hash(receipt).encode() in receipts_csv  # it counted …
    assert b"unsatisfied" not in receipts_csv  # … and nothing says how
    page = client.post("/receipts/check/", {"receipt": receipt}).content.decode()
    assert 'data-state="counted"' in page
    for word in ("不满意", "unsatisfied", "满意度"):
        assert word not in page.split("<main", 1)[-1].split("</form>", 1)[0] or word == "满意度"


def test_receipts_never_travel_in_a_url(client, campaign, community, criteria):
    enrollment = enrollment_create(campaign, community)
    [code] = codes_issue(enrollment, 1)
    response = client.post(f"/r/{code}", rating_post_data(criteria))
    receipt = Rating.objects.get().receipt
    assert response.status_code == 302 and receipt not in response["Location"]
    thanks = client.get(response["Location"])
    assert receipt[:4] in thanks.content.decode().replace("-", "").replace(" ", "")
    assert client.get(f"/receipts/{receipt}/").status_code == 404
    check = client.get("/receipts/check/", {"receipt": receipt}).content.decode()
    assert 'data-state="counted"' not in check  # a GET with the receipt is not answered


# --- 5. the locked-out building --------------------------------------------------------------


def test_a_building_behind_one_address_is_not_locked_out_by_a_prankster(client, household_code):
    for _ in range(100):
        client.get("/r/ABCDEFGHJKLM", REMOTE_ADDR="203.0.113.10")
    response = client.get(f"/r/{household_code}", REMOTE_ADDR="203.0.113.10")
    assert response.status_code == 200
    assert "汉口春天" in response.content.decode()


# --- 6. the formula in the audit CSV ---------------------------------------------------------


def test_a_formula_in_the_audit_csv_is_neutralised(client, city_officer, enrollment):
    from evaluations.audit import audit_record

    audit_record(
        "showcase_headline_set",
        actor=city_officer,
        enrollment=enrollment,
        new='=HYPERLINK("http://evil.example","点我")',
    )
    client.force_login(city_officer)
    response = client.get(reverse("console:audit_csv", args=[enrollment.campaign.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","点我")' in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


# --- 7. the unmoderated headline ------------------------------------------------------------


def test_a_company_headline_is_not_public_before_moderation(
    client, published, company_staffer, qiaokou_reviewer
):
    """The attack: the company writes a headline of its own choosing and the public page
    shows it at once. Now it waits for the bureau; the approved one stays public until
    a new one is approved; each step is in the audit log."""
    from showcases.models import HeadlineProposal, Showcase
    from showcases.services import showcase_item_review, showcase_item_submit

    final, _ratings = published
    enrollment = final.entries.get().enrollment
    community_url = reverse("community", args=[enrollment.community_id])
    item = showcase_item_submit(
        enrollment, actor=company_staffer, kind="highlight", title="亮点", body="楼道每日消毒"
    )
    showcase_item_review(item, actor=qiaokou_reviewer, approve=True)

    def public_page():
        client.logout()
        return client.get(community_url).content.decode()

    def company_sends(headline):
        client.force_login(company_staffer)
        url = reverse("console:showcase_headline", args=[enrollment.pk])
        assert client.post(url, {"headline": headline, "subheadline": ""}).status_code == 302

    def moderator_decides(decision, note=""):
        client.force_login(qiaokou_reviewer)
        queue = client.get(reverse("console:moderation")).content.decode()
        proposal = HeadlineProposal.objects.get(status="pending")
        assert proposal.headline in queue
        url = reverse("console:moderation_headline", args=[proposal.pk])
        client.post(url, {"decision": decision, "note": note})

    company_sends("全市第一物业")
    assert Showcase.objects.get(enrollment=enrollment).headline == ""
    assert "楼道每日消毒" in public_page() and "全市第一物业" not in public_page()
    moderator_decides("reject", note="不得自称全市第一")
    assert "全市第一物业" not in public_page()
    company_sends("坚守岗位，守土有责")
    assert "坚守岗位，守土有责" not in public_page()
    etag = client.get(community_url)["ETag"]
    moderator_decides("approve")
    assert "坚守岗位，守土有责" in public_page()
    # A browser's cached copy is not confirmed as current (the ETag follows the headline).
    assert client.get(community_url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # Changed again: back in the queue, while the approved one stays public.
    company_sends('=HYPERLINK("http://evil.example")')
    page = public_page()
    assert "坚守岗位，守土有责" in page and "HYPERLINK" not in page
    assert list(
        AuditEntry.objects.filter(action__startswith="showcase_headline")
        .order_by("id")
        .values_list("action", "new_value")
    ) == [
        ("showcase_headline_submitted", "全市第一物业"),
        ("showcase_headline_rejected", "全市第一物业"),
        ("showcase_headline_submitted", "坚守岗位，守土有责"),
        ("showcase_headline_approved", "坚守岗位，守土有责"),
        ("showcase_headline_submitted", '=HYPERLINK("http://evil.example")'),
    ]
    assert AuditEntry.objects.get(action="showcase_headline_rejected").reason == "不得自称全市第一"


# --- 8. the big PNG ----------------------------------------------------------------------------


def test_the_39_megapixel_png_is_refused(client):
    import struct
    import zlib

    from uploads.photos import PhotoRejected, process_upload

    width, height = 7000, 5675

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(PhotoRejected, match="24"):
        process_upload(SimpleUploadedFile("bomb.png", png, content_type="image/png"))


# --- 9. distributed password guessing ------------------------------------------------------


def test_distributed_password_guessing_does_not_get_in(client, settings, city_officer):
    settings.AXES_FAILURE_LIMIT = 5
    settings.STAFF_ACCOUNT_FAILURE_LIMIT = 20
    url = reverse("accounts:login")
    for i in range(40):
        client.post(url, {"username": "city", "password": "guess"}, REMOTE_ADDR=f"10.7.{i % 10}.1")
    response = client.post(
        url, {"username": "city", "password": "a-long-test-password-1"}, REMOTE_ADDR="10.7.50.1"
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- the smaller ones ------------------------------------------------------------------------


def test_an_out_of_range_id_is_not_found(client):
    assert client.get("/communities/9223372036854775808/").status_code == 404


def test_a_community_renamed_in_the_admin_after_publication_is_audited(
    client, published, admin_user
):
    final, _ = published
    community = Community.objects.get(name="汉口春天")
    client.force_login(admin_user)
    url = reverse("admin:communities_community_change", args=[community.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: ("on" if value is True else str(value))
        for name in form.fields
        if (value := form[name].value()) not in (None, False)
    }
    data["name"] = "汉口春天（新）"
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.filter(action="admin_changed").get()
    assert (entry.old_value, entry.new_value) == ("name=汉口春天", "name=汉口春天（新）")
    assert final.entries.get().community_name == "汉口春天"  # the list stays as published
