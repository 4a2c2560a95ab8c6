"""`python manage.py load_demo`: the demo data (SPEC, “Stable interfaces”).

Every district of Wuhan with some of its streets; the seven Qiaokou
communities of the source article with their companies and showcases; synthetic
communities and companies elsewhere, marked is_demo; the closed 2020 campaign
with synthetic ratings in which 23 Qiaokou communities meet the rules; and a
2026 campaign open now, with five try-it household codes printed on every run.
The data itself, and what in it is real, is in evaluations/demo_data.py.

Idempotent: rows are looked up by their natural keys, ratings are generated
only for enrollments that have none, and the try-it codes are derived from the
secret key, so a second run changes nothing and prints the same codes.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import StaffProfile
from accounts.roles import role_group
from communities.models import Community, District, PropertyCompany, Street
from demo import data
from demo import images as demo_images
from evaluations.campaigns import campaign_apply_default_rules, enrollment_create
from evaluations.codes import derived_code, format_code, generate_code, generate_receipt, hash_code
from evaluations.models import (
    Answer,
    Campaign,
    Criterion,
    Enrollment,
    HouseholdCode,
    Rating,
    RatingAnswer,
    ReviewStatus,
)
from evaluations.tally import campaign_tally
from monitoring import holds
from reviews import decisions, publishing
from showcases.models import ModerationStatus, Showcase, ShowcaseItem

SHANGHAI = ZoneInfo("Asia/Shanghai")
SATISFIED = Answer.SATISFIED.value
BASIC = Answer.BASICALLY_SATISFIED.value
UNSATISFIED = Answer.UNSATISFIED.value
ANSWERS = [SATISFIED, BASIC, UNSATISFIED]

# Per-criterion answers given the overall answer: (satisfied, basic, unsatisfied) weights.
CRITERION_WEIGHTS = {
    SATISFIED: (85, 13, 2),
    BASIC: (35, 55, 10),
    UNSATISFIED: (15, 35, 50),
}
COMMENT_SHARE = 0.06  # share of ratings with a comment
SUPERSEDED_SHARE = 0.03  # share of households that changed their rating


def shanghai(parts: tuple[int, ...]) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


class Command(BaseCommand):
    help = (
        "Load the demo data: Wuhan's districts, the seven Qiaokou communities of the "
        "source article, synthetic communities, the closed 2020 campaign and a campaign "
        "open now. Safe to run again: a second run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-accounts",
            action="store_true",
            help="also create a demo administrator and print its password (needs DEBUG=1; "
            "`make run` passes it)",
        )

    def handle(self, *args, demo_accounts=False, **options):
        if demo_accounts and not settings.DEBUG:
            raise CommandError(
                "--demo-accounts creates a superuser with a printed password: only with DEBUG=1."
            )
        started = time.monotonic()
        self.now = timezone.now()
        with transaction.atomic():
            districts = self._districts()
            companies = self._companies()
            synthetic_companies, synthetic_communities = data.synthetic_plan()
            companies.update(self._synthetic_companies(synthetic_companies))
            specs = data.real_plan() + synthetic_communities
            communities = self._communities(specs, districts, companies)
            self.criteria = list(Criterion.objects.filter(is_default=True).order_by("order"))

            closed = self._campaign_2020(specs, communities)
            self._showcases(closed, communities)
            self._publish_2020(closed)
            opened = self._campaign_open(specs, communities)
            try_it = self._try_it_codes(opened, communities)

        self._print_try_it(opened, try_it)
        if demo_accounts:
            self._demo_accounts()
        self._print_summary(closed, opened, time.monotonic() - started)

    def _publish_2020(self, campaign: Campaign) -> None:
        """Take the 2020 campaign through review and publication as the bureau did:
        every eligible community checked, recommended by its district and approved
        by the city; the others not recommended, with the rules' reasons; a
        preliminary list with one objection (answered), then the final list.
        Done once: a published campaign is left as it is."""
        if campaign.publications.exists():
            return
        actor = self._system_user()
        if campaign.monitoring_finalised_at is None:
            holds.monitoring_finalise(campaign, actor=actor)
            campaign.refresh_from_db()
        tally = campaign_tally(campaign)
        rules = [*campaign.prerequisites.all(), *campaign.criteria.all()]
        enrollments = campaign.enrollments.select_related("community", "company")
        for enrollment in enrollments.order_by("pk"):
            row = tally[enrollment.pk]
            if enrollment.review_status != ReviewStatus.PENDING:
                continue
            if not row.eligible:
                decisions.enrollment_reject(enrollment, actor=actor, reason=" ".join(row.reasons))
                continue
            for rule in rules:
                decisions.review_check_record(
                    enrollment, rule, actor=actor, met=True, note="现场核查（演示）"
                )
            decisions.enrollment_recommend(enrollment, actor=actor)
            decisions.enrollment_approve(enrollment, actor=actor)
        published = shanghai(data.CAMPAIGN_2020_PRELIMINARY)
        preliminary = publishing.publication_publish_preliminary(
            campaign, actor=actor, now=published
        )
        entry = preliminary.entries.filter(community_name__startswith="示例").first()
        if entry is not None:
            objection = publishing.objection_file(
                entry,
                contact_name="演示居民",
                contact="demo@example.invalid",
                text="（演示）小区东门夜间有时无人值守。",
                now=published + timedelta(days=1),
            )
            publishing.objection_answer(
                objection,
                actor=actor,
                upheld=False,
                answer="（演示）经区房管局现场核实，东门24小时有人值守，异议不成立。",
            )
        publishing.publication_publish_final(
            campaign, actor=actor, now=preliminary.notice_ends_at + timedelta(hours=1)
        )

    @staticmethod
    def _system_user():
        """The account the demo's review decisions are recorded under; it cannot log in."""
        user, created = get_user_model().objects.get_or_create(
            username="manyi-demo-loader", defaults={"is_active": False}
        )
        if created:
            user.set_unusable_password()
            user.save()
        return user

    DEMO_ACCOUNTS = [
        # username, role, district codes, company name
        ("demo-city", StaffProfile.Role.CITY, [], None),
        ("demo-qiaokou", StaffProfile.Role.DISTRICT, ["420104"], None),
        ("demo-company", StaffProfile.Role.COMPANY, [], "武汉惠之美物业服务有限公司"),
    ]

    def _demo_accounts(self) -> None:
        """Demo accounts, one per role plus an administrator, whose passwords are
        derived from the secret key: the same on every run of this checkout and
        unknown to anyone else."""
        User = get_user_model()
        port = os.environ.get("PORT", "8000")
        lines = []
        admin_password = "demo-" + derived_code("demo-admin-password").lower()
        admin, _created = User.objects.get_or_create(
            username="demo-admin", defaults={"email": "demo-admin@example.invalid"}
        )
        admin.is_staff = admin.is_superuser = admin.is_active = True
        if not admin.check_password(admin_password):
            admin.set_password(admin_password)
        admin.save()
        lines.append(("demo-admin", admin_password, "Django admin, superuser"))
        for username, role, district_codes, company_name in self.DEMO_ACCOUNTS:
            password = "demo-" + derived_code(f"{username}-password").lower()
            user, _created = User.objects.get_or_create(username=username)
            user.is_active = True
            user.is_staff = role == StaffProfile.Role.CITY
            if not user.check_password(password):
                user.set_password(password)
            user.save()
            user.groups.add(role_group(role))
            company = PropertyCompany.objects.get(name=company_name) if company_name else None
            profile, _created = StaffProfile.objects.update_or_create(
                user=user, defaults={"role": role, "company": company}
            )
            profile.districts.set(District.objects.filter(code__in=district_codes))
            scope = company_name or "、".join(
                District.objects.filter(code__in=district_codes).values_list("name", flat=True)
            )
            lines.append((username, password, f"{role.label}{f'（{scope}）' if scope else ''}"))
        self.stdout.write(self.style.MIGRATE_HEADING("Staff accounts (demo)"))
        self.stdout.write(f"  console: http://127.0.0.1:{port}/console/   admin: /admin/")
        for username, password, what in lines:
            self.stdout.write(f"  user {username}  password {password}  {what}")
        self.stdout.write("")

    # --- places and companies ------------------------------------------------------

    def _districts(self) -> dict[str, District]:
        districts = {}
        for code, name, name_en, _short, _short_en, streets in data.DISTRICTS:
            district, _ = District.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "city_code": data.CITY_CODE,
                    "city_name": data.CITY_NAME,
                },
            )
            for street, street_en in streets:
                Street.objects.update_or_create(
                    district=district, name=street, defaults={"name_en": street_en}
                )
            districts[code] = district
        return districts

    def _companies(self) -> dict[str, PropertyCompany]:
        """The real companies: no credit code (we do not know it; never invented).
        A code entered later by hand is left alone."""
        companies: dict[str, PropertyCompany] = {}
        for name, parent in data.REAL_COMPANIES:
            companies[name], _ = PropertyCompany.objects.update_or_create(
                name=name,
                defaults={"parent": companies[parent] if parent else None, "is_demo": False},
            )
        return companies

    def _synthetic_companies(self, specs) -> dict[str, PropertyCompany]:
        companies = {}
        for spec in specs:
            companies[spec.name], _ = PropertyCompany.objects.update_or_create(
                name=spec.name,
                defaults={"credit_code": spec.credit_code, "parent": None, "is_demo": True},
            )
        return companies

    def _communities(self, specs, districts, companies) -> dict[tuple[str, str], Community]:
        streets = {(s.district.code, s.name): s for s in Street.objects.select_related("district")}
        communities = {}
        for spec in specs:
            district = districts[spec.district_code]
            defaults = {
                "street": streets[(spec.district_code, spec.street)],
                "name_en": spec.name_en,
                "households": spec.households,
                "company": companies[spec.company],
                "is_demo": spec.is_demo,
            }
            community, created = Community.objects.get_or_create(
                district=district, name=spec.name, defaults=defaults
            )
            changed = [f for f, v in defaults.items() if getattr(community, f) != v]
            if changed:
                for field in changed:
                    setattr(community, field, defaults[field])
                community.save(update_fields=changed)
            communities[spec.key] = community
        return communities

    # --- the 2020 campaign, closed -----------------------------------------------------

    def _campaign_2020(self, specs, communities) -> Campaign:
        c = data.CAMPAIGN_2020
        campaign, created = Campaign.objects.update_or_create(
            slug=c["slug"],
            defaults={
                "name": c["name"],
                "name_en": c["name_en"],
                "description": c["description"],
                "opens_at": shanghai(c["opens"]),
                "closes_at": shanghai(c["closes"]),
            },
            create_defaults={
                "name": c["name"],
                "name_en": c["name_en"],
                "description": c["description"],
                "opens_at": shanghai(c["opens"]),
                "closes_at": shanghai(c["closes"]),
                "status": Campaign.Status.DRAFT,
            },
        )
        if created:
            Campaign.objects.filter(pk=campaign.pk).update(created_at=shanghai(c["created"]))
        campaign_apply_default_rules(campaign)

        enrollments = self._enroll(campaign, specs, communities, shanghai(c["enrolled"]))
        pending = self._without_ratings(enrollments)
        if pending:
            rng_base = f"{campaign.slug}:"
            plans = {}
            for spec in specs:
                enrollment = enrollments.get(spec.key)
                if enrollment is not None and enrollment.pk in pending:
                    rng = random.Random(rng_base + "|".join(spec.key))
                    plans[enrollment] = (rng, self._overall_answers(rng, spec, enrollment))
            self._rate(
                campaign,
                plans,
                issued_at=shanghai(c["codes_issued"]),
                start=campaign.opens_at,
                end=campaign.closes_at,
            )
        if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
            campaign.status = Campaign.Status.CLOSED
            campaign.save(update_fields=["status"])
        return campaign

    def _enroll(self, campaign, specs, communities, enrolled_at=None) -> dict:
        """Enroll the communities of `specs` (once); returns {spec.key: enrollment}.

        The service refuses enrollments once a campaign has closed; the demo
        reopens its own campaign as a draft, inside this transaction, only if a
        community is missing (e.g. after the demo data grew), then restores it.
        """
        existing = {
            (e.community.district.code, e.community.name): e
            for e in campaign.enrollments.select_related("community__district")
        }
        missing = [s for s in specs if s.key not in existing]
        if missing:
            status = campaign.status
            if status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
                campaign.status = Campaign.Status.DRAFT
                campaign.save(update_fields=["status"])
            new_pks = []
            for spec in missing:
                enrollment = enrollment_create(campaign, communities[spec.key])
                existing[spec.key] = enrollment
                new_pks.append(enrollment.pk)
            if enrolled_at is not None:
                Enrollment.objects.filter(pk__in=new_pks).update(created_at=enrolled_at)
            if campaign.status != status:
                campaign.status = status
                campaign.save(update_fields=["status"])
        return {s.key: existing[s.key] for s in specs}

    @staticmethod
    def _without_ratings(enrollments: dict) -> set[int]:
        pks = {e.pk for e in enrollments.values()}
        rated = set(
            Rating.objects.filter(enrollment_id__in=pks)
            .values_list("enrollment_id", flat=True)
            .distinct()
        )
        return pks - rated

    @staticmethod
    def _overall_answers(rng: random.Random, spec, enrollment) -> list[str]:
        """The counted overall answers of one enrollment, in random order."""
        if spec.scenario in data.SCENARIOS:
            _households, responses, satisfied = data.SCENARIOS[spec.scenario]
        else:
            households = enrollment.households
            responses = max(40, math.ceil(households * rng.uniform(0.105, 0.17)))
            satisfied = math.ceil(responses * rng.uniform(0.915, 0.99))
        fully = round(satisfied * rng.uniform(0.6, 0.85))
        answers = (
            [SATISFIED] * fully
            + [BASIC] * (satisfied - fully)
            + [UNSATISFIED] * (responses - satisfied)
        )
        rng.shuffle(answers)
        return answers

    def _rate(self, campaign, plans, *, issued_at, start, end) -> None:
        """One household code and one counted rating per answer in `plans`
        ({enrollment: (rng, [overall answers])}); a few households also get an
        earlier rating that their later one superseded."""
        span = (end - start).total_seconds()
        codes: list[HouseholdCode] = []
        pending: list[tuple] = []  # (code index, enrollment, rng, overall, submitted, earlier)
        for enrollment, (rng, answers) in plans.items():
            for overall in answers:
                submitted = start + timedelta(seconds=rng.uniform(0.02, 0.995) * span)
                earlier = None
                if rng.random() < SUPERSEDED_SHARE:
                    elapsed = (submitted - start).total_seconds()
                    gap = rng.uniform(0.1, 1) * min(elapsed, 5 * 86400)
                    earlier = (rng.choice(ANSWERS), submitted - timedelta(seconds=gap))
                codes.append(
                    HouseholdCode(
                        enrollment=enrollment,
                        code_hash=hash_code(generate_code()),
                        issued_at=issued_at,
                    )
                )
                pending.append((len(codes) - 1, enrollment, rng, overall, submitted, earlier))
        HouseholdCode.objects.bulk_create(codes, batch_size=2000)

        ratings: list[Rating] = []
        choices: list[list[str]] = []  # per rating, one answer per criterion
        for index, enrollment, rng, overall, submitted, earlier in pending:
            code = codes[index]
            if earlier is not None:
                earlier_overall, earlier_at = earlier
                ratings.append(
                    self._rating(
                        rng, code, enrollment, earlier_overall, earlier_at, superseded_at=submitted
                    )
                )
                choices.append(self._answers(rng, earlier_overall))
            ratings.append(self._rating(rng, code, enrollment, overall, submitted))
            choices.append(self._answers(rng, overall))
        Rating.objects.bulk_create(ratings, batch_size=2000)
        RatingAnswer.objects.bulk_create(
            [
                RatingAnswer(rating_id=rating.pk, criterion_id=criterion.pk, answer=answer)
                for rating, answers in zip(ratings, choices, strict=True)
                for criterion, answer in zip(self.criteria, answers, strict=True)
            ],
            batch_size=5000,
        )

    def _answers(self, rng, overall) -> list[str]:
        """One answer per criterion, leaning towards the overall answer."""
        return rng.choices(ANSWERS, weights=CRITERION_WEIGHTS[overall], k=len(self.criteria))

    @staticmethod
    def _rating(rng, code, enrollment, overall, submitted, superseded_at=None) -> Rating:
        comment = ""
        if rng.random() < COMMENT_SHARE:
            comment = rng.choice(data.COMMENTS[overall])
        return Rating(
            household_code=code,
            enrollment=enrollment,
            overall=overall,
            comment=comment,
            receipt=generate_receipt(),
            submitted_at=submitted,
            is_current=superseded_at is None,
            superseded_at=superseded_at,
        )

    # --- showcases ---------------------------------------------------------------------

    def _showcases(self, campaign, communities) -> None:
        enrollments = {e.community_id: e for e in campaign.enrollments.all()}
        criteria = {c.code: c for c in Criterion.objects.all()}
        for real in data.REAL_COMMUNITIES:
            community = communities[(data.QIAOKOU, real["name"])]
            showcase, _ = Showcase.objects.update_or_create(
                enrollment=enrollments[community.pk],
                defaults={"headline": real["headline"], "subheadline": real["subheadline"]},
            )
            for order, item in enumerate(real["items"], start=1):
                ShowcaseItem.objects.update_or_create(
                    showcase=showcase,
                    order=order,
                    defaults={
                        "kind": item["kind"],
                        "criterion": criteria[item["criterion"]] if item["criterion"] else None,
                        "title": item["title"],
                        "body": item["body"],
                        "figure_value": item.get("figure_value"),
                        "figure_unit": item.get("figure_unit", ""),
                        "status": ModerationStatus.APPROVED,
                    },
                )
        # The photo captions get drawn illustrations, labelled as such (demo_images.py).
        demo_images.illustrate_campaign(campaign)

    # --- the campaign open now -----------------------------------------------------------

    def _campaign_open(self, specs, communities) -> Campaign:
        c = data.CAMPAIGN_OPEN
        opens_at = self.now - timedelta(days=c["opened_days_ago"])
        closes_at = self.now + timedelta(days=c["closes_in_days"])
        texts = {"name": c["name"], "name_en": c["name_en"], "description": c["description"]}
        campaign, created = Campaign.objects.update_or_create(
            slug=c["slug"],
            defaults=texts,
            create_defaults={
                **texts,
                "status": Campaign.Status.OPEN,
                "opens_at": opens_at,
                "closes_at": closes_at,
            },
        )
        if not created and campaign.closes_at <= self.now:
            # Keep the demo campaign open however long ago it was loaded.
            campaign.closes_at = closes_at
            campaign.save(update_fields=["closes_at"])
        campaign_apply_default_rules(campaign)

        chosen = [s for s in specs if not s.is_demo]
        wanted = dict(data.OPEN_CAMPAIGN_SYNTHETIC)
        for spec in specs:
            if spec.is_demo and spec.scenario == "qualify" and wanted.get(spec.district_code):
                chosen.append(spec)
                wanted[spec.district_code] -= 1

        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
            existing = set(campaign.enrollments.values_list("community_id", flat=True))
            chosen = [s for s in chosen if communities[s.key].pk in existing]
            self.stderr.write(
                f"{campaign.slug} is {campaign.status}: no new enrollments or ratings added."
            )
            self.open_enrollments = self._enroll(campaign, chosen, communities)
            return campaign

        enrollments = self._enroll(campaign, chosen, communities)
        self.open_enrollments = enrollments
        pending = self._without_ratings(enrollments)
        plans = {}
        for spec in chosen:
            enrollment = enrollments[spec.key]
            if enrollment.pk in pending:
                rng = random.Random(f"{campaign.slug}:" + "|".join(spec.key))
                answers = rng.choices(
                    [SATISFIED, BASIC, UNSATISFIED], weights=(70, 22, 8), k=rng.randint(3, 12)
                )
                plans[enrollment] = (rng, answers)
        if plans:
            self._rate(
                campaign,
                plans,
                issued_at=campaign.opens_at - timedelta(days=1),
                start=campaign.opens_at,
                end=min(self.now, campaign.closes_at),
            )
        return campaign

    def _try_it_codes(self, campaign, communities) -> list[tuple[str, bool]]:
        """The same five codes on every run (derived from the secret key); only their
        hashes are stored, created once. Returns [(code, already rated)]."""
        key = (data.QIAOKOU, data.TRY_IT_COMMUNITY)
        enrollment = self.open_enrollments.get(key)
        if enrollment is None:
            return []
        result = []
        for i in range(data.TRY_IT_CODES):
            code = derived_code(f"demo-open-{i}")
            household_code, _ = HouseholdCode.objects.get_or_create(
                code_hash=hash_code(code),
                defaults={"enrollment": enrollment, "issued_at": campaign.opens_at},
            )
            rated = household_code.ratings.filter(is_current=True).exists()
            result.append((code, rated))
        return result

    # --- output ------------------------------------------------------------------------

    def _print_try_it(self, campaign, try_it) -> None:
        write = self.stdout.write
        if not try_it:
            write("No try-it codes: the open demo campaign has no enrollment to use.")
            return
        port = os.environ.get("PORT", "8000")
        closes = timezone.localtime(campaign.closes_at, SHANGHAI).strftime("%Y-%m-%d %H:%M")
        write("")
        write(
            self.style.MIGRATE_HEADING(
                f"Try it: household codes for {data.TRY_IT_COMMUNITY} (硚口区), "
                f"campaign {campaign.name}"
            )
        )
        write(
            "Each opens that household's rating page. One rating counts per code; rating "
            f"again replaces it until the window closes ({closes}, Asia/Shanghai). "
            "The codes are the same on every run."
        )
        for code, rated in try_it:
            shown = format_code(code)
            note = "  (already rated: a new rating replaces it)" if rated else ""
            write(f"  {shown}  http://127.0.0.1:{port}/r/{shown}{note}")
        write("")

    def _print_summary(self, closed, opened, seconds) -> None:
        write = self.stdout.write
        companies = PropertyCompany.objects.aggregate(
            all=Count("id"), demo=Count("id", filter=Q(is_demo=True))
        )
        communities = Community.objects.aggregate(
            all=Count("id"), demo=Count("id", filter=Q(is_demo=True))
        )
        write(self.style.MIGRATE_HEADING("Demo data"))
        write(
            f"  districts {District.objects.count()}, streets {Street.objects.count()}, "
            f"property companies {companies['all']} ({companies['demo']} demo), "
            f"communities {communities['all']} ({communities['demo']} demo)"
        )
        for campaign in (closed, opened):
            campaign.refresh_from_db()
            ratings = Rating.objects.filter(enrollment__campaign=campaign).aggregate(
                current=Count("id", filter=Q(is_current=True)),
                superseded=Count("id", filter=Q(is_current=False)),
            )
            line = (
                f"  {campaign.slug} ({campaign.status}): "
                f"{campaign.enrollments.count()} enrollments, "
                f"{HouseholdCode.objects.filter(enrollment__campaign=campaign).count()} "
                f"household codes, {ratings['current']} counted ratings "
                f"(+{ratings['superseded']} superseded)"
            )
            if campaign.rates_visible:
                eligible = Enrollment.objects.eligible(campaign).select_related(
                    "community__district"
                )
                by_district = Counter(e.community.district.name for e in eligible)
                line += (
                    f"; {sum(by_district.values())} meet the rules "
                    f"(硚口区 {by_district.get('硚口区', 0)})"
                )
            write(line)
        write(
            f"  rating answers {RatingAnswer.objects.count()}, showcases "
            f"{Showcase.objects.count()} with {ShowcaseItem.objects.count()} items"
        )
        write(self.style.SUCCESS(f"Done in {seconds:.1f} s."))
