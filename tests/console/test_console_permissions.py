"""Who gets what on every staff URL: a table, one row per URL and method, one
column per persona. 302 = sent to the login page (or, for a POST, redirected
after acting or refusing in the page); 403 = the role lacks the permission;
404 = the object is outside the account's scope."""

from datetime import timedelta

import pytest
from django.urls import reverse

from communities.models import PropertyCompany
from console.models import StaffProfile
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from notices.jobs import notice_job_create, notice_job_run
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
    ("console:campaign_create", None, "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign", "slug", "get", [302, 403, 200, 200, 404, 200, 404]),
    ("console:campaign_transition", "slug_close", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:campaign_enroll", "slug", "get", [302, 403, 302, 403, 403, 403, 403]),
    # the campaign is closed here: editing is refused in the page (302)
    ("console:campaign_edit", "slug", "get", [302, 403, 302, 403, 403, 403, 403]),
    ("console:campaign_cancel", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:approval", "slug", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:bulk", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:bulk", "slug", "post", [302, 403, 400, 400, 404, 403, 403]),
    ("console:publish", "slug_final", "get", [302, 403, 200, 403, 403, 403, 403]),
    ("console:objections", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:audit_csv", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
    # A reviewer of a district without an enrollment in the campaign: not found (the
    # export used to fetch the campaign unscoped).
    ("console:results_csv", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:results_xlsx", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:enrollment", "enrollment", "get", [302, 403, 200, 200, 404, 200, 404]),
    ("console:enrollment_checks", "enrollment", "post", [302, 403, 403, 302, 404, 403, 403]),
    ("console:enrollment_decide", "recommend", "post", [302, 403, 403, 302, 404, 403, 403]),
    ("console:enrollment_decide", "approve", "post", [302, 403, 302, 403, 403, 403, 403]),
    ("console:objection_answer", "objection", "post", [302, 403, 302, 302, 404, 403, 403]),
    # private photos (evidence of review checks, objections): the bureau in scope only
    ("console:check_evidence", "check", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:objection_photo", "objection", "get", [302, 403, 200, 200, 404, 403, 403]),
    ("console:publication", "publication", "get", [302, 403, 200, 200, 404, 200, 404]),
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
    ("console:monitoring", "slug", "get", [302, 403, 200, 200, 404, 403, 403]),
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
    # one's own account (tests/console/test_staff_accounts.py): every staff member
    ("console:otp_setup", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    ("console:password_change", None, "get", [302, 403, 200, 200, 200, 200, 200]),
    # nobody here has a second factor: the code step sends them on
    ("console:otp_verify", None, "get", [302, 302, 302, 302, 302, 302, 302]),
    ("admin:index", None, "get", [302, 302, 200, 302, 302, 302, 302]),
]


@pytest.fixture
def world(community, city_officer, qiaokou_reviewer, jiangan_reviewer, company_staffer, outsider):
    campaign = make_campaign(slug="perm", min_responses=20)
    enrollment = enrollment_create(campaign, community)
    job = notice_job_create(
        campaign, scope="community", scope_id=enrollment.pk, scope_label="c", actor=city_officer
    )
    notice_job_run(job.pk)
    add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(
            enrollment, rule, actor=qiaokou_reviewer, met=True, evidence=private_photo(photo())
        )
    check = enrollment.checks.first()
    enrollment_recommend(enrollment, actor=qiaokou_reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication = publication_publish_preliminary(campaign, actor=city_officer)
    entry = publication.entries.get()
    objection = objection_file(
        entry, contact_name="王", contact="138", text="异议", photo=private_photo(photo())
    )
    item = showcase_item_submit(
        enrollment, actor=company_staffer, kind="highlight", title="宣传法宝", body="小喇叭"
    )
    reply = reply_submit(enrollment, actor=company_staffer, text="感谢居民的信任")
    headline = showcase_headline_set(enrollment, actor=company_staffer, headline="守土有责")
    other = PropertyCompany.objects.create(name="别家物业有限公司")
    users = {
        "anonymous": None,
        "outsider": outsider,
        "city": city_officer,
        "qiaokou": qiaokou_reviewer,
        "jiangan": jiangan_reviewer,
        "company": company_staffer,
        "other_company": make_staff("other", StaffProfile.Role.COMPANY, company=other),
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
        response = getattr(client, method)(url)
        seen.append(response.status_code)
        # Whatever the answer, no browser or proxy keeps a copy of a staff page.
        assert "no-store" in response.get("Cache-Control", ""), (persona, url)
        if response.status_code == 302 and users[persona] is None:
            assert "login" in response["Location"]
    assert dict(zip(PERSONAS, seen, strict=True)) == dict(zip(PERSONAS, expected, strict=True))


def test_the_table_covers_every_console_url():
    from console import urls as console_urls

    names = {f"console:{p.name}" for p in console_urls.urlpatterns}
    covered = {row[0] for row in TABLE}
    assert names - covered - {"console:login", "console:logout"} == set()


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
