"""待办's "jobs finished": a notice job that ended for this account, linking its files
(the account that started it; nobody else's list)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffProfile
from evaluations.campaigns import enrollment_create
from notices.jobs import notice_job_create, notice_job_run
from notices.models import NoticeJob
from tests.conftest import make_campaign, make_staff

pytestmark = pytest.mark.django_db


def test_a_finished_notice_job_is_on_the_dashboard_of_who_started_it(
    client, city_officer, community
):
    campaign = make_campaign(slug="jobs")
    enrollment = enrollment_create(campaign, community)
    job = notice_job_create(
        campaign,
        scope="community",
        scope_id=enrollment.pk,
        scope_label="汉口春天",
        actor=city_officer,
    )
    client.force_login(city_officer)
    assert "todo-jobs" not in client.get(reverse("console:dashboard")).content.decode()
    notice_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == NoticeJob.Status.DONE and job.files
    page = client.get(reverse("console:dashboard")).content.decode()
    assert "todo-jobs" in page
    assert reverse("console:notice_job", args=[job.pk]) in page
    assert reverse("console:notice_job_file", args=[job.pk, 0]) in page
    assert job.files[0]["name"] in page
    # another city officer did not start it: not on their list
    colleague = make_staff("colleague", StaffProfile.Role.CITY)
    client.force_login(colleague)
    assert "todo-jobs" not in client.get(reverse("console:dashboard")).content.decode()
    # once its files are deleted (retention), it leaves the list
    NoticeJob.objects.filter(pk=job.pk).update(files_deleted_at=timezone.now())
    client.force_login(city_officer)
    assert "todo-jobs" not in client.get(reverse("console:dashboard")).content.decode()
