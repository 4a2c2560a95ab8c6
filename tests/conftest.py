"""Shared fixtures: the places, companies and campaigns the tests talk about.

Personas follow SPEC: a resident holding a household code, a staff officer.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from communities.models import Community, District, PropertyCompany, Street
from communities.validators import make_uscc
from evaluations.campaigns import campaign_apply_default_rules, enrollment_create
from evaluations.households import codes_issue
from evaluations.models import Campaign, Criterion


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Production hashing is deliberately slow; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    # A request with Accept-Language: en leaves English active in the thread; every
    # test starts in the default language, Chinese.
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache; each test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Uploaded photos and the demo's illustrations are written to storage; never
    # into the checkout's media/ folder.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private-media")


@pytest.fixture
def qiaokou(db):
    return District.objects.create(code="420104", name="硚口区", name_en="Qiaokou District")


@pytest.fixture
def jiangan(db):
    return District.objects.create(code="420102", name="江岸区", name_en="Jiang'an District")


@pytest.fixture
def company(db):
    return PropertyCompany.objects.create(
        name="武汉惠之美物业服务有限公司", credit_code=make_uscc("91420104MA4K00001")
    )


@pytest.fixture
def community(qiaokou, company):
    street = Street.objects.create(district=qiaokou, name="古田街道")
    return Community.objects.create(
        district=qiaokou, street=street, name="汉口春天", households=100, company=company
    )


def make_campaign(slug="test-campaign", status=Campaign.Status.OPEN, **kwargs) -> Campaign:
    now = timezone.now()
    defaults = dict(
        name="测试评选",
        name_en="Test campaign",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=10),
        status=status,
        min_responses=1,
        min_coverage_percent=0,
    )
    if status in (Campaign.Status.CLOSED, Campaign.Status.PUBLISHED, Campaign.Status.ARCHIVED):
        # A campaign made past its close has its monitoring finalised (rates visible)
        # unless the test says otherwise.
        defaults["monitoring_finalised_at"] = now
    defaults.update(kwargs)
    campaign = Campaign.objects.create(slug=slug, **defaults)
    campaign_apply_default_rules(campaign)
    return campaign


@pytest.fixture
def open_campaign(db):
    return make_campaign()


@pytest.fixture
def enrollment(open_campaign, community):
    return enrollment_create(open_campaign, community)


@pytest.fixture
def household_code(enrollment) -> str:
    """A resident's plain household code, as printed on their notice."""
    return codes_issue(enrollment, 1)[0]


@pytest.fixture
def criteria(db):
    return list(Criterion.objects.filter(is_default=True).order_by("order"))


def rating_post_data(criteria, overall="satisfied", answer="satisfied", comment=""):
    data = {"overall": overall, "comment": comment}
    for criterion in criteria:
        data[f"criterion_{criterion.pk}"] = answer
    return data


# --- staff personas (issue 3) ---------------------------------------------------------


def make_staff(username, role, *, districts=(), company=None):
    from django.contrib.auth import get_user_model

    from accounts.models import StaffProfile
    from accounts.roles import role_group

    user = get_user_model().objects.create_user(
        username, password="a-long-test-password-1", is_staff=role == StaffProfile.Role.CITY
    )
    profile = StaffProfile.objects.create(user=user, role=role, company=company)
    profile.districts.set(districts)
    user.groups.add(role_group(role))
    return user


@pytest.fixture
def city_officer(db):
    from accounts.models import StaffProfile

    return make_staff("city", StaffProfile.Role.CITY)


@pytest.fixture
def qiaokou_reviewer(qiaokou):
    from accounts.models import StaffProfile

    return make_staff("qiaokou", StaffProfile.Role.DISTRICT, districts=[qiaokou])


@pytest.fixture
def jiangan_reviewer(jiangan):
    from accounts.models import StaffProfile

    return make_staff("jiangan", StaffProfile.Role.DISTRICT, districts=[jiangan])


@pytest.fixture
def company_staffer(company):
    from accounts.models import StaffProfile

    return make_staff("huizhimei", StaffProfile.Role.COMPANY, company=company)


@pytest.fixture
def outsider(db):
    """A logged-in account with no staff role at all."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("outsider", password="a-long-test-password-1")


def add_ratings(enrollment, satisfied=0, basic=0, unsatisfied=0, superseded=0):
    """Counted ratings with the given overall answers (and superseded history)."""
    from evaluations.codes import generate_code, generate_receipt, hash_code
    from evaluations.models import HouseholdCode, Rating, RatingAnswer, answer_pattern

    answers = ["satisfied"] * satisfied + ["basically_satisfied"] * basic
    answers += ["unsatisfied"] * unsatisfied
    codes = HouseholdCode.objects.bulk_create(
        [
            HouseholdCode(enrollment=enrollment, code_hash=hash_code(generate_code()))
            for _ in answers
        ]
    )
    criteria = list(enrollment.campaign.criteria.order_by("order", "code"))
    ratings = [
        Rating(
            household_code=c,
            enrollment=enrollment,
            overall=a,
            receipt=generate_receipt(),
            answer_pattern=answer_pattern(criteria, {k.pk: a for k in criteria}),
        )
        for c, a in zip(codes, answers, strict=True)
    ]
    ratings += [
        Rating(
            household_code=codes[i],
            enrollment=enrollment,
            overall="unsatisfied",
            receipt=generate_receipt(),
            is_current=False,
        )
        for i in range(superseded)
    ]
    Rating.objects.bulk_create(ratings)
    RatingAnswer.objects.bulk_create(
        [
            RatingAnswer(rating=r, criterion=c, answer=r.overall)
            for r in ratings
            if r.is_current
            for c in criteria
        ]
    )


# --- flushing guarded history (tests only) ------------------------------------------
#
# History is guarded by the database (evaluations 0013, reviews 0002): the audit,
# rating, answer and publication tables refuse DELETE and TRUNCATE. A transactional
# test (browser tests, the migration tests) ends with a flush, which is a TRUNCATE of
# every table on PostgreSQL and a DELETE per table on SQLite. This is the one place
# where tests step past the guards, and only for that flush:
#
# - PostgreSQL: the flush runs in one transaction; it starts with
#   `SET LOCAL session_replication_role = replica`, under which ordinary triggers do
#   not fire, until the commit. Only a superuser may set it — the test database's
#   user is one; the application's role in production is not (docs/deploy.md).
# - SQLite: remove_audit_rows_on_sqlite() deletes the audit rows with the delete
#   trigger dropped for that one statement and made again at once.


def _flush_with_guards_off(sql_flush):
    def wrapper(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        if statements:
            statements = ["SET LOCAL session_replication_role = replica", *statements]
        return statements

    wrapper.guards_off = True
    return wrapper


@pytest.fixture(autouse=True, scope="session")
def _flush_past_history_guards():
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush
    if not getattr(original, "guards_off", False):
        DatabaseOperations.sql_flush = _flush_with_guards_off(original)
    yield
    DatabaseOperations.sql_flush = original


@contextmanager
def history_guards_off():
    """Within a test: write history as only the tables' owner could (a test's setup
    planting a past state, or an insider's forgery that verification must catch).
    PostgreSQL: `SET LOCAL session_replication_role = replica` for the block (the
    test runs in a transaction; the default comes back at the end of the block).
    SQLite: the audit's triggers are dropped for the block and made again."""
    import importlib

    from django.db import connection, transaction

    migration = importlib.import_module(
        "evaluations.migrations.0015_audit_chain_and_history_guards"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                yield
            finally:
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        else:
            for sql in migration.SQLITE_DROP:
                cursor.execute(sql)
            try:
                yield
            finally:
                for sql in migration.SQLITE_GUARDS:
                    cursor.execute(sql)


def remove_audit_rows_on_sqlite() -> None:
    """SQLite's flush is a DELETE, which the audit's trigger refuses: the audit rows
    go first, with the trigger dropped for that one statement and made again at once
    (the browser tests and the migration tests call it). See the comment above."""
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module(
        "evaluations.migrations.0015_audit_chain_and_history_guards"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM evaluations_auditentry")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'evaluations_auditentry_no_delete'"
        )
        guarded = cursor.fetchone()[0]
        cursor.execute("DROP TRIGGER IF EXISTS evaluations_auditentry_no_delete")
        try:
            cursor.execute("DELETE FROM evaluations_auditentry")
        finally:
            if guarded:
                cursor.execute(migration.SQLITE_NO_DELETE)
