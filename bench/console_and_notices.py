"""Issue 12's measurements for `make bench`: the staff console at city scale and the
household notices.

- measure_console: the console's heaviest pages, in-process (Django's test client,
  no HTTP) as a city account — the published campaign's page, its results CSV (time
  to the first byte and to the last), its monitoring and approval pages, the open
  campaign's page — median of `n` runs with their number of queries. Target: each
  under 1 s (an export's first byte under 1 s).
- measure_notices: notices rendered per second (notices.rendering, the PDF the
  notice jobs write), in one process and in two processes at once (fork), and the
  bytes per notice. Targets: at least twice 237/s in one process, and ≥ 1.8× that
  with a second process.

Both read an existing city (bench/synthetic_city.py) and write nothing but a staff
account; tests/system/test_bench_console.py runs them against a small one.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time

CONSOLE_TARGET_MS = 1000.0
NOTICES_BASELINE_PER_S = 237.0  # main before issue 12, on the benchmark machine
NOTICES_TARGET_FACTOR = 2.0
TWO_PROCESS_TARGET = 1.8


def _city_account():
    from django.contrib.auth import get_user_model

    from accounts.models import StaffProfile
    from accounts.roles import role_group

    user, _created = get_user_model().objects.get_or_create(
        username="bench-city", defaults={"is_staff": True}
    )
    StaffProfile.objects.update_or_create(user=user, defaults={"role": StaffProfile.Role.CITY})
    user.groups.add(role_group(StaffProfile.Role.CITY))
    return user


def console_pages(published_slug: str, open_slug: str) -> dict[str, str]:
    return {
        "published campaign page": f"/console/campaigns/{published_slug}/",
        "results CSV": f"/console/campaigns/{published_slug}/results.csv",
        "monitoring": f"/console/campaigns/{published_slug}/monitoring/",
        "approval page": f"/console/campaigns/{published_slug}/approval/",
        "open campaign page": f"/console/campaigns/{open_slug}/",
    }


def measure_console(published_slug: str, open_slug: str, n: int = 5) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(_city_account())
    result = {}
    for name, path in console_pages(published_slug, open_slug).items():
        runs = []
        for _ in range(n + 1):  # the first one warms up
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(path)
                first_byte = None
                if getattr(response, "streaming", False):
                    body = 0
                    for chunk in response.streaming_content:
                        if first_byte is None:
                            first_byte = time.perf_counter() - started
                        body += len(chunk)
                else:
                    body = len(response.content)
                total = time.perf_counter() - started
            assert response.status_code == 200, (path, response.status_code)
            runs.append(
                (total * 1000, (first_byte or total) * 1000, len(ctx.captured_queries), body)
            )
        runs = runs[1:]
        ms = statistics.median(r[0] for r in runs)
        first = statistics.median(r[1] for r in runs)
        result[name] = {
            "path": path,
            "ms": round(ms, 1),
            "first_byte_ms": round(first, 1),
            "queries": runs[-1][2],
            "bytes": runs[-1][3],
            "target_ms": CONSOLE_TARGET_MS,
            "holds": first < CONSOLE_TARGET_MS if name == "results CSV" else ms < CONSOLE_TARGET_MS,
        }
    return result


_FORKED: dict = {}


def _render(count: int) -> tuple[int, int]:
    from evaluations.codes import generate_code
    from notices.rendering import NOTICES_PER_PAGE, household_notices_pdf

    enrollment = _FORKED["enrollment"]
    size = 0
    done = 0
    batch = NOTICES_PER_PAGE * 50  # one community's PDF of 200 notices at a time
    while done < count:
        codes = [generate_code() for _ in range(min(batch, count - done))]
        size += len(household_notices_pdf(enrollment, codes))
        done += len(codes)
    return done, size


def measure_notices(enrollment_pk: int, count: int = 2000) -> dict:
    """Notices per second in one process, then in two at once (each `count`)."""
    from django.db import connection

    from evaluations.models import Enrollment

    _FORKED["enrollment"] = Enrollment.objects.select_related(
        "campaign", "community__district"
    ).get(pk=enrollment_pk)
    _render(8)  # fonts registered, code paths warm
    started = time.perf_counter()
    done, size = _render(count)
    one = done / (time.perf_counter() - started)
    if not connection.in_atomic_block:  # nothing of the connection crosses the fork
        connection.close()
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        started = time.perf_counter()
        results = pool.map(_render, [count, count])
        two = sum(r[0] for r in results) / (time.perf_counter() - started)
    target = NOTICES_BASELINE_PER_S * NOTICES_TARGET_FACTOR
    return {
        "one_process_per_s": round(one, 1),
        "two_processes_per_s": round(two, 1),
        "speedup": round(two / one, 2),
        "bytes_per_notice": round(size / done),
        "target_per_s": target,
        "holds": one >= target,
        "speedup_target": TWO_PROCESS_TARGET,
        "speedup_holds": two / one >= TWO_PROCESS_TARGET,
        "hours_for_3_5_million_on_one_process": round(3_500_000 / one / 3600, 1),
    }
