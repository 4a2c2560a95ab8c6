"""Households, their codes, reissued notices and the background notice jobs
(issue 12): one active code per household, a killed job that resumes, the
campaign schedule and the daily maintenance as tasks."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader

from communities.models import Community, Street
from evaluations import tasks
from evaluations.campaigns import campaign_transition, campaigns_follow_schedule, enrollment_create
from evaluations.codes import hash_code
from evaluations.households import (
    building_mark_delivered,
    code_reissue,
    codes_issue_households,
)
from evaluations.models import (
    AuditEntry,
    Campaign,
    Household,
    HouseholdCode,
    Rating,
)
from evaluations.ratings import CodeRevoked, rating_submit
from notices import jobs
from notices import tasks as notice_tasks
from notices.models import NoticeJob
from tests.conftest import make_campaign
from uploads.private_media import private_storage

pytestmark = pytest.mark.django_db

CODE_ON_NOTICE = re.compile(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b")


def codes_in_pdf(data: bytes) -> list[str]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return [c.replace("-", "") for c in CODE_ON_NOTICE.findall(text)]


def codes_in_job(job: NoticeJob) -> list[str]:
    codes = []
    for item in job.files:
        with private_storage.open(item["path"], "rb") as handle, zipfile.ZipFile(handle) as archive:
            for name in archive.namelist():
                codes += codes_in_pdf(archive.read(name))
    return codes


@pytest.fixture
def district_campaign(qiaokou, company):
    campaign = make_campaign(slug="district", status=Campaign.Status.DRAFT)
    streets = [Street.objects.create(district=qiaokou, name=n) for n in ("古田街道", "汉水桥街道")]
    for number in range(4):
        community = Community.objects.create(
            name=f"小区{number}",
            district=qiaokou,
            street=streets[number % 2],
            company=company,
            households=3 + number,
        )
        enrollment_create(campaign, community)
    return campaign


def test_a_counted_community_gets_numbered_households_each_with_one_code(enrollment):
    issued = codes_issue_households(enrollment)
    assert len(issued) == enrollment.households
    assert [i.household.room for i in issued[:3]] == ["1", "2", "3"]
    assert HouseholdCode.objects.active().filter(household__isnull=False).count() == len(issued)
    # Run again: nothing more, every household already has its code.
    assert codes_issue_households(enrollment) == []


def test_the_database_refuses_a_second_active_code_for_a_household(enrollment):
    issued = codes_issue_households(enrollment, limit=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        HouseholdCode.objects.create(
            enrollment=enrollment, household=issued[0].household, code_hash="x" * 64
        )


def test_a_reissued_code_revokes_the_old_one_and_its_rating_supersedes(
    enrollment, city_officer, criteria, client
):
    old = codes_issue_households(enrollment, limit=1)[0]
    answers = {c.pk: "satisfied" for c in criteria}
    first = rating_submit(old.code, overall="unsatisfied", answers=answers)
    new = code_reissue(old.household, actor=city_officer, reason="通知单遗失")
    assert new.code != old.code and new.household == old.household
    # The old code is refused, with a page saying why.
    with pytest.raises(CodeRevoked):
        rating_submit(old.code, overall="satisfied", answers=answers)
    page = client.get(f"/r/{old.code}")
    assert page.status_code == 410
    assert "已作废" in page.content.decode() and "新通知单" in page.content.decode()
    second = rating_submit(new.code, overall="satisfied", answers=answers)
    first.refresh_from_db()
    assert not first.is_current and second.is_current
    assert Rating.objects.counted().filter(enrollment=enrollment).count() == 1
    actions = list(AuditEntry.objects.filter(enrollment=enrollment).values_list("action", "reason"))
    assert ("code_revoked", "通知单遗失") in actions and ("code_reissued", "通知单遗失") in actions
    assert HouseholdCode.objects.active().filter(household=old.household).count() == 1


def test_notices_print_in_delivery_order_with_a_cover_sheet_per_building(enrollment):
    Household.objects.bulk_create(
        Household(enrollment=enrollment, building=b, unit="1", room=r, order=n)
        for n, (b, r) in enumerate([("2", "101"), ("2", "102"), ("10", "101")], start=1)
    )
    from notices.rendering import household_notices_pdf

    issued = codes_issue_households(enrollment)
    reader = PdfReader(io.BytesIO(household_notices_pdf(enrollment, issued)))
    texts = [page.extract_text() for page in reader.pages]
    # cover of building 2, its notices, cover of building 10, its notice
    assert len(texts) == 4
    assert "2栋" in texts[0] and "2" in texts[0]
    assert "2栋" in texts[1] and "102" in texts[1]
    assert "10栋" in texts[2] and "10栋" in texts[3]


def test_delivery_is_marked_per_building(enrollment, city_officer):
    Household.objects.bulk_create(
        Household(enrollment=enrollment, building=b, room=r, order=n)
        for n, (b, r) in enumerate([("1", "1"), ("1", "2"), ("2", "1")], start=1)
    )
    assert building_mark_delivered(enrollment, "1", actor=city_officer) == 2
    assert enrollment.dwellings.filter(delivered_at__isnull=True).get().building == "2"
    assert AuditEntry.objects.filter(action="notices_delivered", new_value="2").exists()


def test_a_district_job_prints_every_household_once_zipped_per_street(
    district_campaign, qiaokou, city_officer
):
    job = jobs.notice_job_create(
        district_campaign,
        scope=NoticeJob.Scope.DISTRICT,
        scope_id=qiaokou.pk,
        scope_label="硚口区",
        actor=city_officer,
    )
    notice_tasks.notice_job_run.delay(job.pk)  # eager in the tests
    job.refresh_from_db()
    assert job.status == NoticeJob.Status.DONE and job.percent == 100
    assert [f["name"] for f in job.files] == ["古田街道.zip", "汉水桥街道.zip"]
    printed = codes_in_job(job)
    assert len(printed) == job.notices == 3 + 4 + 5 + 6
    active = set(HouseholdCode.objects.active().values_list("code_hash", flat=True))
    assert {hash_code(c) for c in printed} == active


def test_a_job_killed_halfway_resumes_with_one_code_and_one_notice_per_household(
    district_campaign, qiaokou, city_officer, monkeypatch
):
    job = jobs.notice_job_create(
        district_campaign,
        scope=NoticeJob.Scope.CAMPAIGN,
        scope_id=None,
        scope_label="全部",
        actor=city_officer,
    )
    real = jobs.household_notices_pdf
    calls = {"n": 0}

    def dies_on_the_third_community(enrollment, issued):
        calls["n"] += 1
        if calls["n"] == 3:
            raise SystemExit("worker killed")  # not an Exception: as a SIGKILL, nothing caught
        return real(enrollment, issued)

    monkeypatch.setattr(jobs, "household_notices_pdf", dies_on_the_third_community)
    with pytest.raises(SystemExit):
        jobs.notice_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == NoticeJob.Status.RUNNING and job.done == 2
    # The community being printed when it died has no codes: its transaction rolled back.
    done = district_campaign.enrollments.filter(pk__in=job.done_enrollments)
    assert HouseholdCode.objects.count() == sum(e.households for e in done) == 3 + 5

    monkeypatch.setattr(jobs, "household_notices_pdf", real)
    jobs.notice_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == NoticeJob.Status.DONE and job.done == job.total == 4
    printed = codes_in_job(job)
    households = Household.objects.filter(enrollment__campaign=district_campaign)
    assert len(printed) == len(set(printed)) == households.count() == 18
    for household in households:
        assert household.codes.active().count() == 1
    active = set(HouseholdCode.objects.active().values_list("code_hash", flat=True))
    assert {hash_code(c) for c in printed} == active
    # A third run changes nothing.
    jobs.notice_job_run(job.pk)
    assert HouseholdCode.objects.count() == 18


def test_a_job_for_a_closed_campaign_is_refused(district_campaign, city_officer):
    Campaign.objects.filter(pk=district_campaign.pk).update(status=Campaign.Status.CLOSED)
    with pytest.raises(jobs.JobRefused):
        jobs.notice_job_create(
            district_campaign,
            scope=NoticeJob.Scope.CAMPAIGN,
            scope_id=None,
            scope_label="全部",
            actor=city_officer,
        )


def test_notice_files_are_deleted_after_the_retention_period(
    district_campaign, city_officer, settings
):
    settings.NOTICE_FILES_RETENTION_DAYS = 14
    job = jobs.notice_job_create(
        district_campaign,
        scope=NoticeJob.Scope.CAMPAIGN,
        scope_id=None,
        scope_label="全部",
        actor=city_officer,
    )
    jobs.notice_job_run(job.pk)
    job.refresh_from_db()
    paths = [f["path"] for f in job.files]
    assert all(private_storage.exists(p) for p in paths)
    assert jobs.notice_files_delete_expired(now=timezone.now() + timedelta(days=13)) == 0
    assert jobs.notice_files_delete_expired(now=timezone.now() + timedelta(days=15)) == 1
    assert not any(private_storage.exists(p) for p in paths)
    assert notice_tasks.delete_expired_notice_files.delay().get() == 0


def test_the_schedule_opens_and_closes_campaigns_by_their_dates(community, city_officer):
    now = timezone.now()
    campaign = make_campaign(
        slug="scheduled",
        status=Campaign.Status.DRAFT,
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=2),
        opens_on_schedule=True,
    )
    enrollment_create(campaign, community)
    assert campaigns_follow_schedule(now) == []
    campaigns_follow_schedule(now + timedelta(hours=1))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN
    campaigns_follow_schedule(now + timedelta(days=2))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CLOSED
    entries = AuditEntry.objects.filter(
        campaign=campaign, action__in=["campaign_open", "campaign_close"]
    )
    assert entries.count() == 2 and all(e.actor is None for e in entries)


def test_opening_by_hand_before_the_start_moves_the_start_to_now(community, city_officer):
    now = timezone.now()
    campaign = make_campaign(
        slug="early",
        status=Campaign.Status.DRAFT,
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=9),
    )
    enrollment_create(campaign, community)
    campaign_transition(campaign, "open", actor=city_officer, now=now)
    campaign.refresh_from_db()
    assert campaign.opens_at == now and campaign.accepts_ratings(now + timedelta(seconds=1))


def test_the_daily_maintenance_runs_as_tasks(db):
    assert tasks.prune_failed_codes.delay().get() == 0
    assert tasks.forget_rating_addresses.delay().get() == 0
    assert tasks.campaigns_follow_schedule.delay().get() == 0


def test_the_beat_schedule_names_tasks_that_exist(settings):
    from config.celery import app

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
