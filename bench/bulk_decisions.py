"""Bulk review decisions at district scale (issue 13): 1,000 enrollments of one
district taken through "all checks met", "recommend" and "approve" by the bulk
service, on a fresh database of its own.

    python -m bench.bulk_decisions [--database-url sqlite:////tmp/manyi-bulk.sqlite3] [--n 1000]

Times each step with a monotonic clock and prints one line per step; the figures
go to docs/benchmarks.md ("Bulk review decisions"). Not part of `make bench`: it
loads one core for a few seconds, not the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="sqlite:////tmp/manyi-bench-bulk.sqlite3")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        path = args.database_url.removeprefix("sqlite:///")
        if os.path.exists(path):
            os.remove(path)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django.utils.translation import activate

    from accounts.models import StaffProfile
    from accounts.roles import role_group
    from communities.models import Community, District, PropertyCompany, Street
    from evaluations.campaigns import campaign_apply_default_rules
    from evaluations.codes import generate_receipt
    from evaluations.models import Campaign, Enrollment, HouseholdCode, Rating
    from reviews.bulk import enrollments_decide

    activate("zh-hans")
    now = timezone.now()
    district = District.objects.create(code="420111", name="洪山区")
    street = Street.objects.create(district=district, name="关山街道")
    company = PropertyCompany.objects.create(name="洪山示例物业有限公司")
    campaign = Campaign.objects.create(
        slug="bench-bulk",
        name="批量审核基准",
        opens_at=now - timedelta(days=10),
        closes_at=now - timedelta(days=1),
        status=Campaign.Status.CLOSED,
        min_responses=5,
        min_coverage_percent=0,
    )
    campaign_apply_default_rules(campaign)
    communities = Community.objects.bulk_create(
        Community(
            district=district,
            street=street,
            name=f"洪山小区{i:04d}",
            households=50,
            company=company,
        )
        for i in range(args.n)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(campaign=campaign, community=c, company=company, households=50)
        for c in communities
    )
    codes = HouseholdCode.objects.bulk_create(
        HouseholdCode(enrollment=e, code_hash=f"bench-{e.pk}-{i}")
        for e in enrollments
        for i in range(10)
    )
    Rating.objects.bulk_create(
        Rating(
            household_code=c,
            enrollment_id=c.enrollment_id,
            overall="satisfied",
            receipt=generate_receipt(),
        )
        for c in codes
    )

    def staff(name, role, districts=()):
        user = get_user_model().objects.create_user(name)
        profile = StaffProfile.objects.create(user=user, role=role)
        profile.districts.set(districts)
        user.groups.add(role_group(role))
        return user

    reviewer = staff("hongshan", StaffProfile.Role.DISTRICT, [district])
    city = staff("city", StaffProfile.Role.CITY)
    rows = list(campaign.enrollments.select_related("campaign", "community", "company"))
    for decision, actor in (("checks_met", reviewer), ("recommend", reviewer), ("approve", city)):
        started = time.monotonic()
        outcome = enrollments_decide(rows, decision, actor=actor)
        elapsed = time.monotonic() - started
        print(
            f"{decision:<11} {len(outcome.done):>5} done {len(outcome.refused):>3} refused "
            f"{elapsed:6.2f} s ({elapsed / len(rows) * 1000:.1f} ms each)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
