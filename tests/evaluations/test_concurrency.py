"""Concurrent submits of one household code: exactly one rating counts.

Threads need a database that lets several connections write at once, with
row locks: PostgreSQL (as in CI and production). SQLite has a single writer
and no SELECT … FOR UPDATE, so there this test is skipped and the partial
unique index (tested in test_rating.py on both databases) is the guarantee.
"""

import threading

import pytest
from django.conf import settings
from django.db import connections

from evaluations.models import Rating
from evaluations.ratings import rating_submit

THREADS = 12


@pytest.mark.postgres
# Skipped before its fixtures run: on SQLite the flush after a transactional test is a
# DELETE, which the audit log's trigger refuses (the fixtures enroll, which is audited).
@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs PostgreSQL: concurrent writers with row locks",
)
# Serialized rollback: the flush after a transactional test empties every table, and
# the next transactional test (e.g. a browser test) must find the migrated rows again
# (see tests/browser/conftest.py).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submits_of_one_code_leave_exactly_one_counted_rating(household_code, criteria):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    receipts: list[str] = []

    def submit(i: int) -> None:
        try:
            barrier.wait()
            answer = "satisfied" if i % 2 else "unsatisfied"
            rating = rating_submit(
                household_code, overall=answer, answers={c.pk: answer for c in criteria}
            )
            receipts.append(rating.receipt)
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(receipts) == THREADS
    assert Rating.objects.count() == THREADS  # every submit kept as history
    current = Rating.objects.filter(is_current=True)
    assert current.count() == 1
    # The one that counts is the last one written.
    assert current.get() == Rating.objects.order_by("-submitted_at", "-id").first()
