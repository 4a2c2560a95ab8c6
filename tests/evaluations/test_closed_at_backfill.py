"""evaluations 0018: campaigns closed before 0014 get closed_at from the audit log.

A real database migrated with the migrations themselves (django-test-migrations'
migrator, as tests/system/test_layout_migration.py): rows written with the models
of 0017, then 0018 applied, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import remove_audit_rows_on_sqlite

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BEFORE = ("evaluations", "0017_criterion_code_unique_per_campaign")
AFTER = ("evaluations", "0018_campaign_closed_at_from_the_audit_log")
OPENS = datetime(2024, 11, 1, 9, 0, tzinfo=UTC)
PLANNED_CLOSE = datetime(2024, 12, 1, 18, 0, tzinfo=UTC)


@pytest.fixture
def backfill_migrator(migrator):
    yield migrator
    try:
        migrator.reset()
    finally:
        remove_audit_rows_on_sqlite()


def _campaign(Campaign, slug, status, **extra):
    return Campaign.objects.create(
        slug=slug,
        name=slug,
        opens_at=OPENS,
        closes_at=PLANNED_CLOSE,
        status=status,
        threshold_percent=Decimal("90.00"),
        min_responses=1,
        min_coverage_percent=Decimal("0.50"),
        **extra,
    )


def _audit(AuditEntry, campaign, action, at, n):
    # The historical model has no save() of the chain: hashes written by hand, each
    # distinct (the chain's no-fork constraint).
    return AuditEntry.objects.create(
        at=at,
        actor_name="",
        action=action,
        campaign=campaign,
        subject=campaign.name,
        prev_hash=f"{n:064x}",
        entry_hash=f"{n + 1000:064x}",
    )


def test_closed_campaigns_get_the_time_of_their_last_close(backfill_migrator):
    old = backfill_migrator.apply_initial_migration([BEFORE])
    Campaign = old.apps.get_model("evaluations", "Campaign")
    AuditEntry = old.apps.get_model("evaluations", "AuditEntry")
    early = PLANNED_CLOSE - timedelta(days=9, hours=3)
    closed_early = _campaign(Campaign, "closed-early", "closed")
    _audit(AuditEntry, closed_early, "campaign_open", OPENS, 1)
    _audit(AuditEntry, closed_early, "campaign_close", early - timedelta(days=2), 2)
    _audit(AuditEntry, closed_early, "campaign_reopen", early - timedelta(days=1), 3)
    _audit(AuditEntry, closed_early, "campaign_close", early, 4)
    published = _campaign(Campaign, "published-on-time", "published")
    _audit(AuditEntry, published, "campaign_close", PLANNED_CLOSE, 5)
    no_record = _campaign(Campaign, "closed-before-the-log", "closed")
    still_open = _campaign(Campaign, "still-open", "open")
    _audit(AuditEntry, still_open, "campaign_close", early, 6)  # odd, but not closed now
    already = _campaign(
        Campaign, "closed-after-0014", "closed", closed_at=early + timedelta(hours=1)
    )
    _audit(AuditEntry, already, "campaign_close", early, 7)

    new = backfill_migrator.apply_tested_migration([AFTER])

    Campaign = new.apps.get_model("evaluations", "Campaign")
    closed = dict(Campaign.objects.values_list("slug", "closed_at"))
    assert closed == {
        "closed-early": early,
        "published-on-time": PLANNED_CLOSE,
        "closed-before-the-log": None,
        "still-open": None,
        "closed-after-0014": early + timedelta(hours=1),
    }
    assert no_record.pk and still_open.pk

    # And the application's model now says the real end, not the planned one.
    from evaluations.models import Campaign as AppCampaign

    backfill_migrator.reset()
    assert AppCampaign.objects.get(slug="closed-early").rating_ended_at == early
    assert AppCampaign.objects.get(slug="closed-before-the-log").rating_ended_at == PLANNED_CLOSE
