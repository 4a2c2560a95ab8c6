"""Who gets what on every staff URL: a table, one row per URL and method, one
column per persona. 302 = sent to the login page (or, for a POST, redirected
after acting or refusing in the page); 403 = the role lacks the permission;
404 = the object is outside the account's scope."""

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import StaffProfile
from communities.models import Community, PropertyCompany, Street
from evaluations.campaigns import campaign_transition, enrollment_create
from evaluations.models import AuditEntry
from monitoring.holds import monitoring_finalise
from notices.jobs import notice_job_create, notice_job_run
from questionnaires.models import CriteriaSet
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import objection_file, publication_publish_preliminary
from showcases.services import reply_submit, showcase_headline_set, showcase_item_submit
from tests.conftest import add_ratings, make_campaign, make_staff
from uploads.private_media import private_photo

pytestmark = pytest.mark.django_db


def photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 120, 150)).save(buffer, "JPEG")
    return SimpleUploadedFile("evidence.jpg", buffer.getvalue(), content_type="image/jpeg")


PERSONAS = ["anonymous", "outsider", "city", "qiaokou", "jiangan", "company", "other_company"]

# url name, args key, method: expected status per persona (in PERSONAS order)
TABLE = [
    ("console:dashboard", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:enrollments", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:campaign_create", None, "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign", "slug", "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:campaign_transition", "slug_close", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign_enroll", "slug", "get", [302, 403, 302, 403, 403, 403, 403]),
    # the campaign is closed here: editing is refused in the page (302)
    ("console:campaign_edit", "slug", "get", [302, 403, 302, 403, 403, 403, 403]),
    ("console:campaign_cancel", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:approval", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:bulk", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:bulk", "slug", "post", [302, 403, 400, 400, 400, 403, 403]),
    ("console:publish", "slug_final", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:objections", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:audit_csv", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    # Both districts have an enrollment in the campaign: each reviewer opens the
    # campaign-wide pages and exports, and sees its own rows (ROWS below); a district
    # without an enrollment finds nothing (test_a_district_without_an_enrollment_…).
    ("console:results_csv", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:results_xlsx", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:enrollment", "enrollment", "get", [302, 403, 200, 200, 404, 200, 404]),
    ("console:enrollment_checks", "enrollment", "post", [302, 403, 403, 302, 404, 403, 403]),
    ("console:enrollment_decide", "recommend", "post", [302, 403, 403, 302, 404, 403, 403]),
    ("console:enrollment_decide", "approve", "post", [302, 403, 302, 403, 403, 403, 403]),
    ("console:objection_answer", "objection", "post", [302, 403, 302, 302, 404, 403, 403]),
    # the city's confirmation of a district's uphold (this one is open: sent back, 302)
    ("console:objection_confirm", "objection", "get", [302, 403, 302, 403, 403, 403, 403]),
    ("console:publication_feature", "publication", "post", [302, 403, 302, 403, 403, 403, 403]),
    # private photos (evidence of review checks, objections): the bureau in scope only
    ("console:check_evidence", "check", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:objection_photo", "objection", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:publication", "publication", "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:entry_withdraw", "entry", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:import", None, "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:import_confirm", None, "post", [302, 403, 302, 403, 403, 403, 403]),
    ("console:import_template_xlsx", "communities", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:import_template_csv", "companies", "get", [302, 403, 200, 403, 403, 403, 403]),
    # showcases (issue 4): company staff on their own enrollments, the bureau moderates
    ("console:showcases", None, "get", [302, 403, 403, 403, 403, 200, 200]),
    ("console:showcase", "enrollment", "get", [302, 403, 403, 403, 403, 200, 404]),
    ("console:showcase_add", "add_photo", "get", [302, 403, 403, 403, 403, 200, 404]),
    ("console:showcase_headline", "enrollment", "post", [302, 403, 403, 403, 403, 302, 404]),
    ("console:showcase_reply", "enrollment", "post", [302, 403, 403, 403, 403, 200, 404]),
    ("console:showcase_item_edit", "item", "get", [302, 403, 403, 403, 403, 200, 404]),
    ("console:showcase_item_withdraw", "item", "get", [302, 403, 403, 403, 403, 200, 404]),
    ("console:moderation", None, "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:moderation_item", "item", "post", [302, 403, 302, 302, 404, 403, 403]),
    ("console:moderation_reply", "reply", "post", [302, 403, 302, 302, 404, 403, 403]),
    ("console:moderation_headline", "headline", "post", [302, 403, 302, 302, 404, 403, 403]),
    # anti-fraud monitoring (issue 5): city staff everywhere, district staff in their
    # districts; holding is refused in the page once the preliminary list is out (302)
    ("console:monitoring", "slug", "get", [302, 403, 200, 200, 200, 403, 403]),
    ("console:monitoring_community", "slug_enrollment", "get", [302, 403, 200, 200, 404, 403, 403]),
    # the city only; the campaign of the table is past the notice, so the city's POST is
    # refused in the page (already finalised) and redirected
    ("console:monitoring_finalise", "slug", "post", [302, 403, 302, 403, 403, 403, 403]),
    ("console:rating_hold", "slug_enrollment", "post", [302, 403, 302, 302, 404, 403, 403]),
    ("console:rating_release", "slug_enrollment", "post", [302, 403, 302, 302, 404, 403, 403]),
    # household notices (issue 12): the issuing role (city) only; the campaign is closed
    # here, so printing is refused in the page (302)
    ("console:campaign_notices", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign_notices", "slug", "post", [302, 403, 200, 403, 403, 403, 403]),
    ("console:notice_job", "job", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:notice_job_resume", "job", "post", [302, 403, 302, 403, 403, 403, 403]),
    ("console:notice_job_file", "job_file", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:enrollment_households", "enrollment", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:households_import", "enrollment", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:unenroll", "enrollment", "get", [302, 403, 200, 403, 403, 403, 403]),
    # questionnaires (issue 12): the city's library of criteria sets, and a campaign's
    # questions; the campaign is closed here, so its questions are frozen: shown (200),
    # and a change is refused in the page (302)
    ("console:questionnaires", None, "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:questionnaire", "set", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:questionnaire_edit", "set", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:questionnaire_copy", "set", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign_questions", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign_questions", "slug", "post", [302, 403, 302, 403, 403, 403, 403]),
    # one's own account (tests/console/test_staff_accounts.py): every staff member
    # the inbox of notifications (issue 13): every staff member, their own rows only
    ("console:inbox", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:inbox_read", None, "post", [302, 403, 302, 302, 302, 302, 302]),
    ("console:inbox_read", None, "get", [302, 403, 405, 405, 405, 405, 405]),
    ("console:inbox_preferences", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:inbox_preferences", None, "post", [302, 403, 302, 302, 302, 302, 302]),
    ("accounts:otp_setup", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("accounts:password_change", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    # nobody here has a second factor: the code step sends them on
    ("accounts:otp_verify", None, "get", [302, 302, 302, 302, 302, 302, 302]),
    ("admin:index", None, "get", [302, 302, 200, 302, 302, 302, 302]),
]


@pytest.fixture
def world(
    community, jiangan, city_officer, qiaokou_reviewer, jiangan_reviewer, company_staffer, outsider
):
    """Two districts and two companies with data in each: 硚口 汉口春天 served by 惠之美
    (`company`), 江岸 江滩花园 served by 别家物业 (`other_company`), both in one campaign,
    rated, reviewed by their own district, approved, on the preliminary list, each with
    an objection, showcase material, a reply and a proposed headline. The URLs of the
    table point at 硚口's objects."""
    campaign = make_campaign(slug="perm", min_responses=20)
    other = PropertyCompany.objects.create(name="别家物业有限公司")
    jiangan_community = Community.objects.create(
        district=jiangan,
        street=Street.objects.create(district=jiangan, name="江滩街道"),
        name="江滩花园",
        households=100,
        company=other,
    )
    enrollment = enrollment_create(campaign, community)
    theirs = enrollment_create(campaign, jiangan_community)
    job = notice_job_create(
        campaign, scope="community", scope_id=enrollment.pk, scope_label="c", actor=city_officer
    )
    notice_job_run(job.pk)
    add_ratings(enrollment, satisfied=30)
    add_ratings(theirs, satisfied=25)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for e, reviewer in ((enrollment, qiaokou_reviewer), (theirs, jiangan_reviewer)):
        for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
            review_check_record(e, rule, actor=reviewer, met=True, evidence=private_photo(photo()))
        enrollment_recommend(e, actor=reviewer)
        enrollment_approve(e, actor=city_officer)
    check = enrollment.checks.first()
    publication = publication_publish_preliminary(campaign, actor=city_officer)
    entry = publication.entries.get(enrollment=enrollment)
    objection = objection_file(
        entry, contact_name="王", contact="138", text="异议：汉口春天", photo=private_photo(photo())
    )
    objection_file(
        publication.entries.get(enrollment=theirs),
        contact_name="李",
        contact="139",
        text="异议：江滩花园",
    )
    other_staffer = make_staff("other", StaffProfile.Role.COMPANY, company=other)
    item = showcase_item_submit(
        enrollment, actor=company_staffer, kind="highlight", title="宣传法宝", body="小喇叭"
    )
    showcase_item_submit(
        theirs, actor=other_staffer, kind="highlight", title="江滩法宝", body="巡逻"
    )
    reply = reply_submit(enrollment, actor=company_staffer, text="感谢居民的信任")
    reply_submit(theirs, actor=other_staffer, text="江岸物业的回应")
    headline = showcase_headline_set(enrollment, actor=company_staffer, headline="守土有责")
    showcase_headline_set(theirs, actor=other_staffer, headline="江岸风采")
    users = {
        "anonymous": None,
        "outsider": outsider,
        "city": city_officer,
        "qiaokou": qiaokou_reviewer,
        "jiangan": jiangan_reviewer,
        "company": company_staffer,
        "other_company": other_staffer,
    }
    args = {
        None: [],
        "slug": [campaign.slug],
        "slug_close": [campaign.slug, "close"],
        "slug_final": [campaign.slug, "final"],
        "slug_enrollment": [campaign.slug, enrollment.pk],
        "enrollment": [enrollment.pk],
        "recommend": [enrollment.pk, "recommend"],
        "approve": [enrollment.pk, "approve"],
        "objection": [objection.pk],
        "check": [check.pk],
        "publication": [publication.pk],
        "entry": [entry.pk],
        "communities": ["communities"],
        "companies": ["companies"],
        "add_photo": [enrollment.pk, "photo"],
        "item": [item.pk],
        "reply": [reply.pk],
        "headline": [headline.pk],
        "job": [job.pk],
        "job_file": [job.pk, 0],
        "set": [CriteriaSet.objects.get(is_default=True).pk],
    }
    return users, args, publication


def _row_id(row):
    return f"{row[0]}:{row[1]}:{row[2]}"


@pytest.mark.parametrize("row", TABLE, ids=[_row_id(r) for r in TABLE])
def test_every_staff_url_for_every_persona(client, world, row):
    users, args, _publication = world
    name, key, method, expected = row
    url = reverse(name, args=args[key])
    seen = []
    for persona in PERSONAS:
        client.logout()
        if users[persona] is not None:
            client.force_login(users[persona])
        audited = AuditEntry.objects.count()
        response = getattr(client, method)(url)
        seen.append(response.status_code)
        if response.status_code in (403, 404, 405) or users[persona] is None:
            # Refused at the door: nothing happened, nothing is in the audit log.
            assert AuditEntry.objects.count() == audited, (persona, url)
        # Whatever the answer, no browser or proxy keeps a copy of a staff page.
        assert "no-store" in response.get("Cache-Control", ""), (persona, url)
        if response.status_code == 302 and users[persona] is None:
            assert "login" in response["Location"]
    assert dict(zip(PERSONAS, seen, strict=True)) == dict(zip(PERSONAS, expected, strict=True))


def test_the_table_covers_every_console_url():
    from accounts import urls as account_urls
    from console import urls as console_urls

    names = {f"console:{p.name}" for p in console_urls.urlpatterns}
    names |= {f"accounts:{p.name}" for p in account_urls.urlpatterns}
    covered = {row[0] for row in TABLE}
    assert names - covered - {"accounts:login", "accounts:logout"} == set()


def test_a_district_reviewer_cannot_act_on_another_district(client, world, jiangan_reviewer):
    users, args, publication = world
    client.force_login(jiangan_reviewer)
    enrollment_pk = args["enrollment"][0]
    response = client.post(
        reverse("console:enrollment_decide", args=[enrollment_pk, "reject"]), {"reason": "x"}
    )
    assert response.status_code == 404
    from evaluations.models import Enrollment

    assert Enrollment.objects.get(pk=enrollment_pk).review_status == "approved"
    assert publication.notice_ends_at > publication.published_at + timedelta(days=4)


# --- which rows each persona sees -------------------------------------------------------
#
# Markers of each side's data: 硚口 (汉口春天, served by `company`) and 江岸 (江滩花园,
# served by `other_company`). On each page and export, a persona sees every marker of the
# sides it may see and none of the other's.

MARKERS = {
    "names": {"Q": ["汉口春天"], "J": ["江滩花园"]},
    "objections": {"Q": ["异议：汉口春天"], "J": ["异议：江滩花园"]},
    "showcases": {
        "Q": ["宣传法宝", "感谢居民的信任", "守土有责"],
        "J": ["江滩法宝", "江岸物业的回应", "江岸风采"],
    },
}
BOTH, Q, J = "QJ", "Q", "J"

# url name, args key, markers, the sides each persona sees (None: refused at the door)
ROWS = [
    ("console:campaign", "slug", "names",
     {"city": BOTH, "qiaokou": Q, "jiangan": J, "company": Q, "other_company": J}),
    ("console:bulk", "slug", "names", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:approval", "slug", "names", {"city": BOTH}),
    ("console:objections", "slug", "objections", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:audit_csv", "slug", "names", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:results_csv", "slug", "names", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:results_xlsx", "slug", "names", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:monitoring", "slug", "names", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    # the preliminary list is public: whoever may open it sees all of it
    ("console:publication", "publication", "names",
     {"city": BOTH, "qiaokou": BOTH, "jiangan": BOTH, "company": BOTH, "other_company": BOTH}),
    ("console:moderation", None, "showcases", {"city": BOTH, "qiaokou": Q, "jiangan": J}),
    ("console:showcases", None, "names", {"company": Q, "other_company": J}),
]  # fmt: skip


def _text(response) -> str:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        import io

        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    if response.get("Content-Type", "").startswith("text/csv"):
        # The results CSV is streamed (issue 12); the audit CSV is not.
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        )
        return body.decode("utf-8-sig")
    return response.content.decode()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_every_staff_page_and_export_shows_the_rows_of_its_scope_and_no_other(client, world, row):
    users, args, _publication = world
    name, key, markers, sides = row
    url = reverse(name, args=args[key])
    for persona in PERSONAS:
        client.logout()
        if users[persona] is not None:
            client.force_login(users[persona])
        response = client.get(url)
        if persona not in sides:
            assert response.status_code in (302, 403, 404), (persona, url)
            continue
        assert response.status_code == 200, (persona, url)
        text = _text(response)
        for side, words in MARKERS[markers].items():
            for word in words:
                assert (word in text) == (side in sides[persona]), (persona, url, word)


# --- a POST that acts writes its audit entry; a refused one writes none ------------------
#
# The personas try in this order; the first one allowed acts (its entry is written, in
# its name), and everyone after it is refused in the page (already decided): no entry.

ACTS = [
    ("console:moderation_item", "item", {"decision": "approve"},
     ["anonymous", "outsider", "jiangan", "company", "other_company", "qiaokou", "city"],
     "qiaokou", "showcase_item_approved"),
    ("console:moderation_reply", "reply", {"decision": "reject", "note": "请写明时间"},
     ["anonymous", "outsider", "jiangan", "company", "other_company", "city", "qiaokou"],
     "city", "reply_rejected"),
    ("console:moderation_headline", "headline", {"decision": "approve"},
     ["anonymous", "outsider", "jiangan", "company", "other_company", "qiaokou", "city"],
     "qiaokou", "showcase_headline_approved"),
    ("console:objection_answer", "objection", {"decision": "dismissed", "answer": "经核实不属实"},
     ["anonymous", "outsider", "jiangan", "company", "other_company", "qiaokou", "city"],
     "qiaokou", "objection_dismissed"),
    ("console:showcase_headline", "enrollment", {"headline": "服务送暖", "subheadline": ""},
     ["anonymous", "outsider", "city", "qiaokou", "jiangan", "other_company", "company"],
     "company", "showcase_headline_submitted"),
    # refused in the page for everyone: the campaign's monitoring is already finalised
    ("console:monitoring_finalise", "slug", {},
     ["anonymous", "outsider", "qiaokou", "jiangan", "company", "other_company", "city"],
     None, None),
]  # fmt: skip


@pytest.mark.parametrize("row", ACTS, ids=[f"{r[0]}:{r[1]}" for r in ACTS])
def test_a_post_that_acts_writes_its_audit_entry_and_a_refused_one_writes_none(client, world, row):
    users, args, _publication = world
    name, key, data, order, actor, action = row
    url = reverse(name, args=args[key])
    written = {}
    for persona in order:
        client.logout()
        if users[persona] is not None:
            client.force_login(users[persona])
        last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
        client.post(url, data)
        written[persona] = list(
            AuditEntry.objects.filter(id__gt=last).values_list("action", "actor_name")
        )
    expected = {persona: [] for persona in order}
    if actor is not None:
        expected[actor] = [(action, users[actor].get_username())]
    assert written == expected


def test_a_district_without_an_enrollment_finds_no_campaign(client, world):
    """The export used to fetch the campaign unscoped: a reviewer of a third district,
    with no enrollment in the campaign, finds none of its pages or exports."""
    from communities.models import District

    wuchang = District.objects.create(code="420106", name="武昌区")
    reviewer = make_staff("wuchang", StaffProfile.Role.DISTRICT, districts=[wuchang])
    users, args, _publication = world
    client.force_login(reviewer)
    for name in ["campaign", "bulk", "objections", "audit_csv", "results_csv", "results_xlsx",
                 "monitoring"]:  # fmt: skip
        assert client.get(reverse(f"console:{name}", args=args["slug"])).status_code == 404
    assert client.get(reverse("console:moderation")).status_code == 200
    page = client.get(reverse("console:moderation")).content.decode()
    assert not any(w in page for words in MARKERS["showcases"].values() for w in words)
