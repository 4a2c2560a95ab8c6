"""bench/console_and_notices.py against a small city: the measurements `make bench`
adds for issue 12 run and report what they should (the figures themselves come from
the benchmark city, docs/benchmarks.md)."""

import pytest

from bench.console_and_notices import console_pages, measure_console, measure_notices
from evaluations.campaigns import campaign_transition, enrollment_create
from monitoring.holds import monitoring_finalise
from tests.conftest import add_ratings, make_campaign

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def small_city(community, city_officer):
    published = make_campaign(slug="closed-one")
    enrollment = enrollment_create(published, community)
    add_ratings(enrollment, satisfied=5, unsatisfied=1)
    campaign_transition(published, "close", actor=city_officer)
    monitoring_finalise(published, actor=city_officer)
    opened = make_campaign(slug="open-one")
    return published, opened, enrollment_create(opened, community)


def test_the_console_measurement_times_every_page_as_a_city_account(small_city):
    published, opened, _enrollment = small_city
    result = measure_console(published.slug, opened.slug, n=1)
    assert set(result) == set(console_pages(published.slug, opened.slug))
    for row in result.values():
        assert row["ms"] > 0 and row["queries"] > 0 and row["bytes"] > 0
    assert result["results CSV"]["first_byte_ms"] <= result["results CSV"]["ms"]


def test_the_notice_measurement_renders_in_one_and_two_processes(small_city):
    _published, _opened, enrollment = small_city
    result = measure_notices(enrollment.pk, count=12)
    assert result["one_process_per_s"] > 0 and result["two_processes_per_s"] > 0
    assert 1000 < result["bytes_per_notice"] < 20000
