"""The verifiable tally (issue 5, item 5): the ratings digest of a published list,
the anonymous ballots in the open data, the recount command and the public
receipt check."""

import csv
import hashlib
import io
import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from communities.models import Community
from evaluations import throttle
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import Rating, RatingAnswer
from evaluations.ratings import rating_submit
from monitoring.holds import monitoring_finalise
from reviews import ballots
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.models import Publication
from reviews.publishing import (
    entry_withdraw,
    publication_publish_final,
    publication_publish_preliminary,
)
from tests.conftest import add_ratings, history_guards_off, make_campaign

pytestmark = pytest.mark.django_db

SLUG = "verify-2020"
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _keep_the_language():
    # A request in English activates English for the thread; the next test's own
    # language must not depend on it.
    with translation.override(translation.get_language()):
        yield


def submit(code, overall, criteria, answer=None):
    return rating_submit(code, overall=overall, answers={c.pk: answer or overall for c in criteria})


@pytest.fixture
def campaign(db):
    return make_campaign(slug=SLUG, min_responses=3, threshold_percent=50)


@pytest.fixture
def rated(campaign, community):
    """汉口春天: five households rate through the real path; the first one changes
    its mind, so its first rating is superseded."""
    enrollment = enrollment_create(campaign, community)
    codes = codes_issue(enrollment, 5)
    criteria = list(campaign.criteria.order_by("order", "code"))
    superseded = submit(codes[0], "unsatisfied", criteria)
    counted = [
        submit(codes[0], "satisfied", criteria, answer="basically_satisfied"),
        submit(codes[1], "satisfied", criteria),
        submit(codes[2], "basically_satisfied", criteria),
        submit(codes[3], "satisfied", criteria, answer="unsatisfied"),
        submit(codes[4], "unsatisfied", criteria),
    ]
    return {"enrollment": enrollment, "superseded": superseded, "counted": counted}


@pytest.fixture
def loser(campaign, qiaokou, company):
    """洺悦府: rated, all unsatisfied: never on a list, its ballots never published."""
    community = Community.objects.create(
        district=qiaokou, name="洺悦府", households=60, company=company
    )
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, unsatisfied=6)
    return enrollment


@pytest.fixture
def final(rated, loser, campaign, qiaokou_reviewer, city_officer):
    winner = rated["enrollment"]
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(winner, rule, actor=qiaokou_reviewer, met=True)
    enrollment_recommend(winner, actor=qiaokou_reviewer)
    enrollment_approve(winner, actor=city_officer)
    preliminary = publication_publish_preliminary(
        campaign, actor=city_officer, leave_out_unreviewed=True
    )
    return publication_publish_final(
        campaign, actor=city_officer, now=preliminary.notice_ends_at + timedelta(seconds=1)
    )


def verify(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_publication", *args, stdout=out, stderr=err)
    return out.getvalue()


def verify_fails(*args):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_publication", *args, stdout=out, stderr=err)
    return str(error.value), err.getvalue()


# The recount of docs/verification.md, kept identical here so that the documented
# snippet is the tested one.
def recount(document, ballots_text):
    def cell(value):  # undo the spreadsheet guard: drop one leading apostrophe
        return value[1:] if value.startswith("'") else value

    satisfied_answers = set(document["campaign"]["satisfied_answers"])
    has_criteria = bool(document["ballot_criteria"])
    responses, satisfied, ballots = Counter(), Counter(), []
    for raw in csv.DictReader(io.StringIO(ballots_text)):
        row = {name: cell(value) for name, value in raw.items()}
        entry = (row["district_code"], row["community_name"])
        responses[entry] += 1
        satisfied[entry] += row["overall"] in satisfied_answers
        answers = row["answers"].split(";") if has_criteria else []
        ballots.append((row["district_code"], row["community_name"], row["overall"], answers))
    ballots.sort(key=lambda b: (b[0], b[1], b[2], *b[3]))  # code-point order
    lines = [json.dumps(list(b), ensure_ascii=False, separators=(",", ":")) for b in ballots]
    digest = hashlib.sha256("".join(line + "\n" for line in lines).encode()).hexdigest()
    return responses, satisfied, digest


def open_data(client, slug=SLUG, **params):
    document = json.loads(client.get(f"/open-data/{slug}.json", params).content)
    response = client.get(f"/open-data/{slug}-ballots.csv", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return document, body.decode("utf-8-sig")


# --- the digest -------------------------------------------------------------------------


def test_the_final_list_carries_the_digest_of_its_counted_ratings(final):
    assert len(final.ratings_digest) == 64
    assert final.ratings_digest == ballots.publication_digest(final)  # stable
    assert final.ratings_digest == ballots.publication_digest(final)
    found = list(ballots.publication_ballots(final))
    assert len(found) == 5
    random.Random(5).shuffle(found)
    ordered = sorted(found, key=lambda b: b.sort_key)
    assert ballots.digest_lines(b.line for b in ordered) == final.ratings_digest
    preliminary = Publication.objects.get(campaign=final.campaign, kind="preliminary")
    assert preliminary.ratings_digest == ""  # the notice list is not final yet


def test_the_digest_does_not_depend_on_the_order_the_ratings_were_stored(final):
    """The same ballots inserted in another order (other primary keys) give the same
    digest: it depends on the ballots, not on how the database stores them."""
    before = ballots.publication_digest(final)
    ratings = list(
        Rating.objects.filter(is_current=True, enrollment=final.entries.get().enrollment)
    )
    answers = {r.pk: list(r.answers.order_by("criterion__order")) for r in ratings}
    with history_guards_off():
        RatingAnswer.objects.filter(rating__in=ratings).delete()
        Rating.objects.filter(pk__in=[r.pk for r in ratings]).delete()
        for rating in reversed(ratings):
            old_pk, rating.pk = rating.pk, None
            rating.save()
            for answer in answers[old_pk]:
                answer.pk, answer.rating = None, rating
                answer.save()
    assert ballots.publication_digest(final) == before


def test_reordering_the_criteria_changes_nothing(final):
    """Criteria are identified by their stable code: changing their order in the admin
    is no reason for a mismatch."""
    before = ballots.publication_digest(final)
    for i, criterion in enumerate(final.campaign.criteria.order_by("-order")):
        criterion.order = i
        criterion.save(update_fields=["order"])
    assert ballots.publication_digest(final) == before == final.ratings_digest
    assert "OK" in verify(SLUG)


def test_the_digest_changes_when_a_counted_answer_changes(final, rated):
    before = ballots.publication_digest(final)
    rating = rated["counted"][1]  # satisfied throughout
    with history_guards_off():
        RatingAnswer.objects.filter(rating=rating).update(answer="unsatisfied")
    assert ballots.publication_digest(final) != before


def test_a_withdrawal_revision_carries_the_digest_over(final, city_officer):
    revision = entry_withdraw(final.entries.get(), actor=city_officer, reason="经查实")
    assert revision.revision == 2
    assert revision.ratings_digest == final.ratings_digest
    assert "OK" in verify(SLUG)
    assert "OK" in verify(SLUG, "--revision", "1")


# --- the recount command ------------------------------------------------------------------


def test_verify_publication_passes_on_an_untouched_database(final):
    out = verify(SLUG)
    assert "revision 1" in out
    assert f"ratings digest {final.ratings_digest}" in out
    assert "OK: the counts and the digest match." in out


def test_tampering_with_a_counted_rating_is_reported(final, rated, loser):
    """A raw UPDATE after publication, as the tables' owner could (the application's
    role is refused by the triggers)."""
    with history_guards_off():
        Rating.objects.filter(enrollment=loser).update(overall="satisfied")  # not on the list
    assert "OK" in verify(SLUG)
    rating = rated["counted"][4]  # unsatisfied
    with history_guards_off():
        Rating.objects.filter(pk=rating.pk).update(overall="satisfied")
    message, err = verify_fails(SLUG)
    assert "mismatch" in message and f"{SLUG} revision 1" in message
    assert "MISMATCH 420104 汉口春天: satisfied published 4, recounted 5" in err
    assert "MISMATCH ratings digest published" in err


def test_tampering_with_an_answer_per_criterion_is_reported_by_the_digest(final, rated):
    rating = rated["counted"][1]  # satisfied throughout
    with history_guards_off():
        RatingAnswer.objects.filter(rating=rating).update(answer="unsatisfied")
    message, err = verify_fails(SLUG)
    assert "2 mismatch(es)" in message  # the stored digest, and the anchored one
    assert "MISMATCH ratings digest published" in err and "recomputed" in err
    assert "MISMATCH ratings digest anchored" in err
    assert "satisfied published" not in err


def test_reviving_a_superseded_rating_is_reported(final, rated):
    with history_guards_off():
        Rating.objects.filter(pk=rated["counted"][0].pk).update(is_current=False)
        Rating.objects.filter(pk=rated["superseded"].pk).update(is_current=True)
    message, err = verify_fails(SLUG)
    assert "satisfied published 4, recounted 3" in err
    assert "ratings digest" in err


def test_a_list_without_a_digest_does_not_pass(final):
    with history_guards_off():
        Publication.objects.filter(pk=final.pk).update(ratings_digest="")
    message, err = verify_fails(SLUG)
    assert "no ratings digest was published" in err


def test_verify_publication_names_what_it_cannot_find(final):
    with pytest.raises(CommandError, match="No final list for the campaign 'nope'"):
        verify("nope")
    with pytest.raises(CommandError, match="with revision 7"):
        verify(SLUG, "--revision", "7")


# --- the open data ------------------------------------------------------------------------


def test_anyone_can_recount_each_entry_and_the_digest_from_the_open_data(client, final):
    document, text = open_data(client)
    assert document["schema_version"] == 3
    assert document["publication"]["ratings_digest"] == final.ratings_digest
    assert document["revisions"][0]["ratings_digest"] == final.ratings_digest
    responses, satisfied, digest = recount(document, text)
    assert digest == final.ratings_digest
    [entry] = document["entries"]
    key = (entry["district_code"], entry["community_name"])
    assert (responses[key], satisfied[key]) == (entry["responses"], entry["satisfied"]) == (5, 4)
    assert set(responses) == {key}  # every ballot belongs to an entry of the list


def test_the_ballots_file_holds_only_counted_ballots_of_listed_entries(client, final, rated, loser):
    _, text = open_data(client)
    header = text.lstrip("\ufeff").splitlines()[0]
    assert header == "district_code,community_name,overall,answers"  # written out, not the constant
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(rated["counted"])
    for rating in Rating.objects.all():  # no receipt, no code hash: nothing to link a ballot
        assert rating.receipt not in text
        assert rating.household_code.code_hash not in text
    assert "洺悦府" not in text
    keys = [(r["district_code"], r["community_name"], r["overall"], r["answers"]) for r in rows]
    assert keys == sorted(keys)  # canonical order
    assert Counter((r["overall"], r["answers"]) for r in rows) == Counter(
        {
            ("satisfied", ";".join(["basically_satisfied"] * 5)): 1,
            ("satisfied", ";".join(["satisfied"] * 5)): 1,
            ("basically_satisfied", ";".join(["basically_satisfied"] * 5)): 1,
            ("satisfied", ";".join(["unsatisfied"] * 5)): 1,
            ("unsatisfied", ";".join(["unsatisfied"] * 5)): 1,
        }
    )


def test_the_counted_receipts_are_published_as_hashes_apart_from_the_ballots(
    client, final, rated, loser
):
    response = client.get(f"/open-data/{SLUG}-receipts.csv")
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode().split()
    assert lines[0] == "receipt_sha256"
    expected = sorted(
        hashlib.sha256(f"manyi-receipt:{r.receipt}".encode()).hexdigest() for r in rated["counted"]
    )
    assert lines[1:] == expected
    text = "\n".join(lines)
    assert rated["superseded"].receipt not in text
    for rating in Rating.objects.all():
        assert rating.receipt not in text


def test_the_ballots_file_is_cacheable_and_refused_before_the_final_list(client, final):
    response = client.get(f"/open-data/{SLUG}-ballots.csv")
    assert response["ETag"] == f'"ballots-v3-{final.pk}-r1"'
    assert response["Access-Control-Allow-Origin"] == "*"
    assert 'filename="verify-2020-r1-ballots.csv"' in response["Content-Disposition"]
    again = client.get(
        f"/open-data/{SLUG}-ballots.csv", headers={"If-None-Match": response["ETag"]}
    )
    assert again.status_code == 304
    assert client.get(f"/open-data/{SLUG}-ballots.csv?revision=2").status_code == 404
    assert client.get(f"/open-data/{SLUG}-ballots.csv?revision=x").status_code == 400
    assert client.get(f"/open-data/{SLUG}.csv").status_code == 200  # the list is still there


def test_no_ballots_while_the_list_is_not_final(client, rated):
    assert client.get(f"/open-data/{SLUG}-ballots.csv").status_code == 404


def test_a_withdrawn_entry_keeps_its_ballots_and_the_recount_still_matches(
    client, final, city_officer
):
    entry_withdraw(final.entries.get(), actor=city_officer, reason="经查实")
    document, text = open_data(client)
    assert document["publication"]["revision"] == 2
    assert document["entries"][0]["status"] == "withdrawn"
    _, _, digest = recount(document, text)
    assert digest == document["publication"]["ratings_digest"] == final.ratings_digest


def test_the_ballots_file_guards_and_round_trips_a_formula_like_name(client, final):
    with history_guards_off():
        Publication.objects.get(pk=final.pk).entries.update(community_name="=汉口春天")
        Publication.objects.filter(pk=final.pk).update(
            ratings_digest=ballots.publication_digest(final)
        )
    document, text = open_data(client)
    assert ",'=汉口春天," in text
    _, _, digest = recount(document, text)
    assert digest == document["publication"]["ratings_digest"]


# --- the receipt check --------------------------------------------------------------------


def check(client, receipt, **extra):
    response = client.post("/receipts/check/", {"receipt": receipt}, headers=EN, **extra)
    return response, response.content.decode()


ANSWER_WORDS = ["Satisfied", "satisfied", "Unsatisfied", "满意", "汉口春天", "基本"]


def test_the_receipt_check_says_a_counted_rating_counts(client, rated):
    receipt = rated["counted"][1].receipt
    response, page = check(client, f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}".lower())
    assert response.status_code == 200
    assert "This rating counts for its household." in page
    assert 'data-state="counted"' in page
    for word in ANSWER_WORDS:
        assert word not in page.replace("Check a receipt", "")


def test_the_receipt_check_says_only_that_a_later_rating_counts(client, rated):
    response, page = check(client, rated["superseded"].receipt)
    assert response.status_code == 200
    assert "A later rating from the same household counts instead." in page
    assert "This rating counts" not in page
    assert rated["counted"][0].receipt not in page  # nothing of the later rating
    for word in ANSWER_WORDS:
        assert word not in page


@pytest.mark.parametrize("receipt", ["R" + "A" * 15, "not-a-receipt", "R0000000000000000"])
def test_the_receipt_check_says_so_for_an_unknown_receipt(client, rated, receipt):
    response, page = check(client, receipt)
    assert response.status_code == 200
    assert "No rating has this receipt number." in page
    assert 'data-state="unknown"' in page


def test_the_receipt_check_shows_a_form_without_a_receipt(client, db):
    response, page = check(client, "")
    assert response.status_code == 200
    assert 'name="receipt"' in page and "data-state" not in page


def test_the_receipt_check_answers_after_publication_too(client, final, rated):
    _, page = check(client, rated["counted"][0].receipt)
    assert "This rating counts for its household." in page


def test_the_receipt_check_is_a_post_and_a_receipt_in_the_query_is_ignored(client, rated):
    receipt = rated["counted"][1].receipt
    page = client.get("/receipts/check/", {"receipt": receipt}, headers=EN).content.decode()
    assert 'method="post"' in page
    assert "This rating counts" not in page and "No rating has" not in page


def test_the_receipt_check_needs_the_csrf_token(rated):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/receipts/check/", {"receipt": rated["counted"][1].receipt})
    assert response.status_code == 403


def test_receipt_checks_are_rate_limited_per_client(client, rated, settings):
    settings.RECEIPT_CHECKS_RATE = "3/m"
    receipt = rated["counted"][1].receipt
    for _ in range(3):
        assert check(client, receipt)[0].status_code == 200
    response, page = check(client, receipt)
    assert response.status_code == 429
    assert "Too many checks from this network." in page
    assert "This rating counts" not in page
    other, _ = check(client, receipt, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # another client is not affected


def test_receipt_checks_fail_open_when_the_cache_is_down(client, rated, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(throttle, "get_usage", broken)
    _, page = check(client, rated["counted"][1].receipt)
    assert "This rating counts for its household." in page


def test_network_traces_of_ratings_are_forgotten_once_the_final_list_is_out(
    final, household_code, criteria
):
    # household_code belongs to the open campaign of conftest: its traces still serve
    # the monitoring and must stay.
    open_rating = rating_submit(
        household_code,
        overall="satisfied",
        answers={c.pk: "satisfied" for c in criteria},
        client_ip="198.51.100.7",
        user_agent="Mozilla/5.0 (open campaign)",
    )
    published = Rating.objects.filter(enrollment__campaign=final.campaign)
    with history_guards_off():
        published.update(client_ip="203.0.113.5", user_agent="Mozilla/5.0", browser_id="b" * 32)
    assert published.count() > 0

    out = io.StringIO()
    call_command("forget_rating_addresses", stdout=out)

    assert f"from {published.count()} ratings" in out.getvalue()
    assert set(published.values_list("client_ip", "user_agent", "browser_id")) == {(None, "", "")}
    open_rating.refresh_from_db()
    assert (open_rating.client_ip, open_rating.user_agent) == (
        "198.51.100.7",
        "Mozilla/5.0 (open campaign)",
    )
    # The published digest and recount do not depend on them.
    assert "OK: the counts and the digest match." in verify(final.campaign.slug)
    out = io.StringIO()
    call_command("forget_rating_addresses", stdout=out)
    assert "from 0 ratings" in out.getvalue()


# --- anchors outside the database (issue 11, item 3) --------------------------------------


def test_the_final_list_is_anchored_in_the_audit_chain(client, final):
    from evaluations.models import AuditEntry

    anchor = AuditEntry.objects.get(action="publication_anchored", entry_hash=final.audit_head)
    assert anchor.new_value == final.ratings_digest
    assert anchor.subject == f"{SLUG} final r1"
    page = client.get(f"/lists/{SLUG}/").content.decode()
    assert f'data-anchor="digest">{final.ratings_digest}<' in page
    assert f'data-anchor="audit-head">{final.audit_head}<' in page
    document = json.loads(client.get(f"/open-data/{SLUG}.json").content)
    assert document["publication"]["audit_head"] == final.audit_head
    assert document["ballot_criteria"] == sorted(document["ballot_criteria"])
    out = verify(SLUG, "--digest", final.ratings_digest, "--audit-head", final.audit_head)
    assert f"anchored in the audit chain at {final.audit_head}" in out


def test_the_publication_notice_pdf_carries_the_digest_and_the_head(client, final):
    from pypdf import PdfReader

    response = client.get(f"/open-data/{SLUG}-notice.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    flat = "".join(text.split())
    assert final.ratings_digest in flat and final.audit_head in flat
    assert "汉口春天" in flat and "名单发布公告" in flat


def test_a_consistent_forgery_contradicts_the_anchors(final, rated):
    """The attack of the review: flip a counted rating and its answers, lower the
    entry's count, recompute and store the digest. The anchored digest in the chain
    and the values printed on the notice no longer match."""
    printed_digest, printed_head = final.ratings_digest, final.audit_head
    rating = rated["counted"][4]  # unsatisfied
    with history_guards_off():
        Rating.objects.filter(pk=rating.pk).update(overall="satisfied")
        RatingAnswer.objects.filter(rating=rating).update(answer="satisfied")
        final.entries.update(satisfied=5)
        Publication.objects.filter(pk=final.pk).update(
            ratings_digest=ballots.publication_digest(final)
        )
    message, err = verify_fails(SLUG)
    assert "MISMATCH ratings digest anchored" in err
    assert "satisfied published" not in err  # the counts were forged consistently
    # Rewriting the anchoring entry too breaks the chain …
    from evaluations.audit_chain import hash_of
    from evaluations.models import AuditEntry

    with history_guards_off():
        AuditEntry.objects.filter(entry_hash=printed_head).update(
            new_value=ballots.publication_digest(final)
        )
    message, err = verify_fails(SLUG)
    assert "audit chain broken" in err
    # … and recomputing the entry's hash contradicts the head printed on the notice.
    with history_guards_off():
        anchor = AuditEntry.objects.get(entry_hash=printed_head)
        new_head = hash_of(anchor)
        AuditEntry.objects.filter(pk=anchor.pk).update(entry_hash=new_head)
        Publication.objects.filter(pk=final.pk).update(audit_head=new_head)
    message, err = verify_fails(SLUG, "--digest", printed_digest, "--audit-head", printed_head)
    assert "ratings digest on the notice" in err and "audit head on the notice" in err
