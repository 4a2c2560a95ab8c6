"""The database of the browser tests (see conftest.browser_db): committed for real so
that the live server sees it, emptied after each test — also of audit rows, which
the append-only trigger would refuse to delete on SQLite — and the data
migrations' rows (the default criteria) restored before the next one."""

import pytest

from evaluations.campaigns import campaign_transition
from evaluations.models import AuditEntry, Criterion
from monitoring.holds import monitoring_finalise

pytestmark = pytest.mark.browser


def test_a_browser_test_may_run_services_that_write_the_audit_log(
    browser_db, enrollment, city_officer
):
    campaign_transition(enrollment.campaign, "close", actor=city_officer)
    monitoring_finalise(enrollment.campaign, actor=city_officer)
    assert AuditEntry.objects.filter(action="campaign_close").count() == 1
    assert Criterion.objects.filter(is_default=True).count() == 5


def test_the_next_one_starts_from_the_migrated_database(browser_db):
    assert not AuditEntry.objects.exists()
    assert Criterion.objects.filter(is_default=True).count() == 5
