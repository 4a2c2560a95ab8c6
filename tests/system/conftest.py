"""Fixtures shared by the cross-cutting tests."""

import pytest

from accounts.models import StaffProfile
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from reviews.decisions import enrollment_approve, enrollment_recommend, review_check_record
from reviews.publishing import publication_publish_preliminary
from tests.conftest import add_ratings, make_campaign, make_staff


@pytest.fixture
def notice_entry(community, city_officer):
    campaign = make_campaign(slug="fuzz-notice", min_responses=1)
    enrollment = enrollment_create(campaign, community)
    add_ratings(enrollment, satisfied=30)
    campaign_transition(campaign, "close", actor=city_officer)
    monitoring_finalise(campaign, actor=city_officer)
    reviewer = make_staff(
        "fuzz-reviewer", StaffProfile.Role.DISTRICT, districts=[community.district]
    )
    for rule in [*campaign.prerequisites.all(), *campaign.criteria.all()]:
        review_check_record(enrollment, rule, actor=reviewer, met=True, note="现场核查")
    enrollment_recommend(enrollment, actor=reviewer)
    enrollment_approve(enrollment, actor=city_officer)
    publication = publication_publish_preliminary(campaign, actor=city_officer)
    return publication.entries.get()


# Redis for the tests that start app servers (test_several_servers, test_nginx_servers).
from tests.system.test_several_servers import shared_redis  # noqa: E402, F401
