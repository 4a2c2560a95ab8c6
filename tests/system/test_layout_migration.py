"""The layout split keeps a database that the old layout migrated, row for row.

Before the split every model lived in `evaluations` (its last migration 0011,
communities 0003). The split moved ReviewCheck, Publication, PublicationEntry and
Objection to `reviews`, Showcase, ShowcaseItem and CompanyReply to `showcases`, and
StaffProfile to `console`: their tables keep their names (state-only migrations), and
their content types move to the new app labels, so that permissions and the groups
holding them follow.

These tests migrate a real database with the migrations themselves
(django-test-migrations' migrator): to the old layout, rows written with the
historical models, then forward to the latest state (and back again), on SQLite and
on PostgreSQL alike (the suite runs on both, DATABASE_URL selects).

The migrator drops every table first and rebuilds the database from the migrations,
with the migrate signals muted: so the content types and permissions of the old
layout are made here as Django's post_migrate made them then (create_contenttypes and
create_permissions on the old state's models). After the test it migrates to the
latest state (signals on: the role groups are rebuilt), and the database is flushed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

# The moved models: model name -> the app that has it now (it was in `evaluations`).
from tests.conftest import remove_audit_rows_on_sqlite

MOVED = {
    "reviewcheck": "reviews",
    "publication": "reviews",
    "publicationentry": "reviews",
    "objection": "reviews",
    "showcase": "showcases",
    "showcaseitem": "showcases",
    "companyreply": "showcases",
    "staffprofile": "console",
}
NEW_APPS = ("reviews", "showcases", "console")
# Where the moved models live at the latest state: StaffProfile went on from `console` to
# `accounts` (its own move, the same way, after the split).
LATEST_HOME = {**MOVED, "staffprofile": "accounts"}
# The project's last migrations before the split (commit d3f2e58).
OLD_LEAVES = {"communities": "0003_search_indexes", "evaluations": "0011_rating_answer_pattern"}
# The permissions a group kept across the split: (old name, new name).
KEPT_PERMISSIONS = [
    ("evaluations.answer_objection", "reviews.answer_objection"),
    ("evaluations.moderate_showcase", "showcases.moderate_showcase"),
]
AT = datetime(2024, 11, 5, 9, 30, tzinfo=UTC)

pytestmark = [
    # Migrations run DDL and the migrator drops every table: a transactional test. Every
    # transactional test of the suite uses serialized rollback (tests/browser/conftest.py):
    # the rows that data migrations made are put back for the next one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# --- migration targets --------------------------------------------------------------


# Apps made after the split (issue 12's notices): at zero in the old layout.
LATER_APPS = ("notices", "accounts", "questionnaires")


def _leaves() -> list[tuple[str, str]]:
    return list(MigrationLoader(connection, ignore_no_migrations=True).graph.leaf_nodes())


def old_layout() -> list[tuple[str, str | None]]:
    """The migration state of a database migrated by the old layout: the project's apps
    at their last migrations before the split, the new apps at zero, and every other
    app (Django's, django-axes, django-otp) at its latest."""
    targets: list[tuple[str, str | None]] = [(app, None) for app in (*NEW_APPS, *LATER_APPS)]
    targets += list(OLD_LEAVES.items())
    targets += [
        (app, name) for app, name in _leaves() if app not in {*NEW_APPS, *LATER_APPS, *OLD_LEAVES}
    ]
    return targets


def latest() -> list[tuple[str, str]]:
    return _leaves()


# The split itself: the first migrations of the new layout. Later migrations (issue 11's
# audit chain and monitoring fields add columns) are not part of what is tested here.
SPLIT = [
    ("evaluations", "0012_models_moved_to_their_apps"),
    ("reviews", "0001_initial"),
    ("showcases", "0001_initial"),
    ("console", "0001_initial"),
]


def applied() -> set[tuple[str, str]]:
    return set(MigrationLoader(connection, ignore_no_migrations=True).applied_migrations)


# --- the database, raw ----------------------------------------------------------------


def table_rows() -> dict[str, list[tuple]]:
    """Every row of every table, read with SQL (not through any model), except the
    migration history and the content types (whose labels are meant to change)."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in {"django_migrations", "django_content_type"}:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return rows


def content_types() -> dict[int, tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app_label, model FROM django_content_type")
        return {pk: (app_label, model) for pk, app_label, model in cursor.fetchall()}


def values(model, pk) -> dict:
    """A row as the database returns it, column by column (no field descriptors)."""
    return model._default_manager.filter(pk=pk).values().get()


# --- the old layout's rows --------------------------------------------------------------


def post_migrate_of_the_old_layout(state_apps) -> None:
    """What post_migrate made after a migrate of the old layout: the content types and
    the permissions of the models the old state has (e.g. `evaluations | objection` and
    its `answer_objection`)."""
    for app_config in global_apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0, apps=state_apps)
        create_permissions(app_config, verbosity=0, apps=state_apps)


def make_old_rows(old) -> dict[str, tuple[str, object]]:
    """One row of each kind the old layout had, written with its historical models.
    Returns name -> (the model's label in the old state, the saved object)."""
    get = old.get_model
    User = get("auth", "User")
    Group = get("auth", "Group")
    Permission = get("auth", "Permission")

    district = get("communities", "District").objects.create(
        code="420104", name="硚口区", name_en="Qiaokou District"
    )
    company = get("communities", "PropertyCompany").objects.create(
        name="武汉惠之美物业服务有限公司", credit_code="91420104MA4K000012"
    )
    street = get("communities", "Street").objects.create(district=district, name="古田街道")
    community = get("communities", "Community").objects.create(
        district=district, street=street, name="汉口春天", households=120, company=company
    )
    officer = User.objects.create(username="old-qiaokou", password="!", email="q@example.cn")
    resident_side = User.objects.create(username="old-company", password="!")

    criterion = get("evaluations", "Criterion").objects.order_by("order", "code").first()
    prerequisite = get("evaluations", "Prerequisite").objects.order_by("order", "code").first()
    assert criterion is not None and prerequisite is not None  # made by evaluations 0002
    campaign = get("evaluations", "Campaign").objects.create(
        slug="old-layout-2024",
        name="2024年度群众满意小区",
        name_en="Satisfied communities 2024",
        opens_at=AT,
        closes_at=datetime(2024, 12, 5, tzinfo=UTC),
        status="published",
        threshold_percent=Decimal("90.00"),
        min_responses=1,
        min_coverage_percent=Decimal("0.50"),
    )
    campaign.criteria.add(criterion)
    campaign.prerequisites.add(prerequisite)
    enrollment = get("evaluations", "Enrollment").objects.create(
        campaign=campaign,
        community=community,
        company=company,
        households=120,
        review_status="recommended",
        review_reason="核查通过",
    )
    code = get("evaluations", "HouseholdCode").objects.create(
        enrollment=enrollment, code_hash="a" * 64, issued_at=AT, issued_by=officer
    )
    rating = get("evaluations", "Rating").objects.create(
        household_code=code,
        enrollment=enrollment,
        overall="satisfied",
        comment="保洁很好",
        receipt="R-OLD-000001",
        submitted_at=AT,
        client_ip="192.0.2.7",
        user_agent="Mozilla/5.0",
        form_seconds=42,
        browser_id="b" * 32,
        answer_pattern=7,
    )
    answer = get("evaluations", "RatingAnswer").objects.create(
        rating=rating, criterion=criterion, answer="basically_satisfied"
    )
    check = get("evaluations", "ReviewCheck").objects.create(
        enrollment=enrollment,
        prerequisite=prerequisite,
        met=True,
        note="现场核查",
        evidence="evidence/2024/check.jpg",
        checked_by=officer,
        checked_at=AT,
    )
    publication = get("evaluations", "Publication").objects.create(
        campaign=campaign,
        kind="preliminary",
        revision=1,
        published_at=AT,
        published_by=officer,
        notice_ends_at=datetime(2024, 12, 10, tzinfo=UTC),
        change_note="初版",
        ratings_digest="c" * 64,
    )
    entry = get("evaluations", "PublicationEntry").objects.create(
        publication=publication,
        enrollment=enrollment,
        community_name="汉口春天",
        community_name_en="Hankou Spring",
        district_code="420104",
        district_name="硚口区",
        district_name_en="Qiaokou District",
        street_name="古田街道",
        company_name=company.name,
        company_credit_code=company.credit_code,
        households=120,
        responses=1,
        satisfied=1,
    )
    objection = get("evaluations", "Objection").objects.create(
        entry=entry,
        contact_name="张三",
        contact="13800000000",
        text="电梯常坏",
        photo="objections/2024/lift.jpg",
        filed_at=AT,
        client_ip="2001:db8::1",
        status="dismissed",
        answer="已核实",
        answered_by=officer,
        answered_at=AT,
    )
    showcase = get("evaluations", "Showcase").objects.create(
        enrollment=enrollment, headline="邻里一家亲", subheadline="汉口春天"
    )
    item = get("evaluations", "ShowcaseItem").objects.create(
        showcase=showcase,
        kind="figure",
        criterion=criterion,
        title="绿化率",
        body="小区绿化",
        figure_value=35,
        figure_unit="%",
        image="showcases/2024/green.jpg",
        image_width=800,
        image_height=600,
        order=2,
        status="approved",
        review_note="好",
        submitted_by=resident_side,
        submitted_at=AT,
        reviewed_by=officer,
        reviewed_at=AT,
    )
    reply = get("evaluations", "CompanyReply").objects.create(
        enrollment=enrollment,
        company=company,
        text="感谢监督",
        status="pending",
        submitted_by=resident_side,
        submitted_at=AT,
    )
    audit = get("evaluations", "AuditEntry").objects.create(
        at=AT,
        actor=officer,
        actor_name="old-qiaokou",
        action="objection_answered",
        campaign=campaign,
        enrollment=enrollment,
        subject="汉口春天",
        old_value="open",
        new_value="dismissed",
        reason="已核实",
    )
    profile = get("evaluations", "StaffProfile").objects.create(
        user=officer, role="district", company=None
    )
    profile.districts.add(district)
    company_profile = get("evaluations", "StaffProfile").objects.create(
        user=resident_side, role="company", company=company
    )

    group = Group.objects.create(name="老版审核组")
    for old_name, _new_name in KEPT_PERMISSIONS:
        app_label, codename = old_name.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    officer.groups.add(group)

    made = {
        "district": district,
        "company": company,
        "street": street,
        "community": community,
        "officer": officer,
        "company_user": resident_side,
        "campaign": campaign,
        "enrollment": enrollment,
        "code": code,
        "rating": rating,
        "answer": answer,
        "check": check,
        "publication": publication,
        "entry": entry,
        "objection": objection,
        "showcase": showcase,
        "item": item,
        "reply": reply,
        "audit": audit,
        "profile": profile,
        "company_profile": company_profile,
        "group": group,
    }
    # What each row is in the database, read back with the old layout's models.
    return {
        name: (obj._meta.label_lower, obj.pk, values(type(obj), obj.pk))
        for name, obj in made.items()
    }


def new_label(old_label: str) -> str:
    app_label, model = old_label.split(".")
    if app_label == "evaluations" and model in MOVED:
        return f"{MOVED[model]}.{model}"
    return old_label


# --- assertions -----------------------------------------------------------------------------


def assert_old_layout(state) -> None:
    """The state really is the old layout (nothing of the split applied yet)."""
    done = applied()
    assert not {key for key in done if key[0] in NEW_APPS}
    assert ("evaluations", OLD_LEAVES["evaluations"]) in done
    assert not {key for key in done if key[0] == "evaluations" and key[1][:4] > "0011"}
    for model in MOVED:
        state.apps.get_model("evaluations", model)
    assert not {app for app, _model in state.models if app in NEW_APPS}


def assert_rows_kept(state_apps, made, *, label=new_label) -> None:
    """Each row written by the old layout, read with the models of `state_apps` (the new
    apps' for the moved ones), has its id and every value."""
    for name, (old_label, pk, row) in made.items():
        got = values(state_apps.get_model(label(old_label)), pk)
        # Columns added after the split (issue 11) are not the split's business.
        assert {key: got.get(key) for key in row} == row, name


def assert_content_types_moved(before: dict[int, tuple[str, str]], home=MOVED) -> None:
    """The content types of the moved models keep their ids under the new labels (`home`:
    model -> app); no other content type changed, none was lost."""
    after = content_types()
    expected = {
        pk: (home[model], model)
        if app_label == "evaluations" and model in MOVED
        else (app_label, model)
        for pk, (app_label, model) in before.items()
    }
    assert {pk: after.get(pk) for pk in expected} == expected
    # No second content type for a moved model, under either label.
    pairs = list(after.values())
    for model, app_label in home.items():
        assert pairs.count((app_label, model)) == 1, model
        assert ("evaluations", model) not in pairs, model


def group_permissions(group_pk: int) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ct.app_label, p.codename FROM auth_group_permissions gp"
            " JOIN auth_permission p ON p.id = gp.permission_id"
            " JOIN django_content_type ct ON ct.id = p.content_type_id"
            " WHERE gp.group_id = %s",
            [group_pk],
        )
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


def staff_districts(profile_pk: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT district_id FROM evaluations_staffprofile_districts WHERE staffprofile_id = %s",
            [profile_pk],
        )
        return [row[0] for row in cursor.fetchall()]


# --- the migrator ------------------------------------------------------------------------


@pytest.fixture
def layout_migrator(migrator):
    from django.contrib.contenttypes.models import ContentType

    yield migrator
    try:
        migrator.reset()  # the latest state, post_migrate included (the role groups)
    finally:
        remove_audit_rows_on_sqlite()
        ContentType.objects.clear_cache()


def migrate_to_old_layout(migrator):
    """A clean database migrated by the old layout. The migrator's first step truncates
    the full plan at its targets, which would take in the new apps placed before a later
    target (console comes before sessions): so first the project's old leaves, then the
    rest of the old layout (django-otp, sessions) with the new apps held at zero."""
    migrator.apply_initial_migration(list(OLD_LEAVES.items()))
    # The truncated plan may also have taken in a later migration of an app of the old
    # leaves that depends on nothing of the split (communities 0004): back to the leaves
    # first, in a plan of its own (Django refuses plans both forwards and backwards).
    migrator.apply_tested_migration(list(OLD_LEAVES.items()))
    state = migrator.apply_tested_migration(old_layout())
    assert_old_layout(state)
    post_migrate_of_the_old_layout(state.apps)
    return state


# --- the tests ---------------------------------------------------------------------------


def test_a_database_of_the_old_layout_keeps_every_row_after_the_split(layout_migrator):
    old = migrate_to_old_layout(layout_migrator)
    made = make_old_rows(old.apps)
    rows_before, types_before = table_rows(), content_types()
    assert group_permissions(made["group"][1]) == {old for old, _new in KEPT_PERMISSIONS}
    # Not a vacuous comparison: every table written above has its rows.
    for label, _pk, _row in made.values():
        table = old.apps.get_model(label)._meta.db_table
        assert rows_before[table], table
    assert rows_before["evaluations_staffprofile_districts"]

    new = layout_migrator.apply_tested_migration(SPLIT)

    assert applied() >= set(SPLIT)
    assert not {app for app, model in new.models if app == "evaluations" and model in MOVED}
    # Every row of every table, as it was: the split touched no table.
    assert table_rows() == rows_before
    # Read with the new apps' models: same ids, same values.
    assert_rows_kept(new.apps, made)
    Objection = new.apps.get_model("reviews", "Objection")
    objection = Objection.objects.select_related("entry__publication").get()
    assert objection.entry.publication.campaign.slug == "old-layout-2024"
    StaffProfile = new.apps.get_model("console", "StaffProfile")
    profile = StaffProfile.objects.get(pk=made["profile"][1])
    assert list(profile.districts.values_list("pk", flat=True)) == [made["district"][1]]
    assert staff_districts(profile.pk) == [made["district"][1]]
    # The content types moved, ids kept; so the group's permissions are the new names.
    assert_content_types_moved(types_before)
    assert group_permissions(made["group"][1]) == {new for _old, new in KEPT_PERMISSIONS}

    # Then post_migrate, as `manage.py migrate` sends it: content types and permissions
    # for the new labels (none made twice), and the role groups (accounts.roles raises if
    # a permission it names is missing).
    call_command("migrate", verbosity=0)
    assert_content_types_moved(types_before, LATEST_HOME)
    assert group_permissions(made["group"][1]) == {new for _old, new in KEPT_PERMISSIONS}

    # And the application's own models see it all.
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import StaffProfile as AppStaffProfile
    from accounts.roles import GROUP_NAMES
    from reviews.models import Objection as AppObjection
    from reviews.models import Publication, PublicationEntry, ReviewCheck
    from showcases.models import CompanyReply, Showcase, ShowcaseItem

    ContentType.objects.clear_cache()
    for model, name in [
        (ReviewCheck, "check"),
        (Publication, "publication"),
        (PublicationEntry, "entry"),
        (AppObjection, "objection"),
        (Showcase, "showcase"),
        (ShowcaseItem, "item"),
        (CompanyReply, "reply"),
        (AppStaffProfile, "profile"),
        (AppStaffProfile, "company_profile"),
    ]:
        _label, pk, row = made[name]
        got = values(model, pk)  # the app's model: columns of later migrations too
        assert {key: got.get(key) for key in row} == row, name
        content_type = ContentType.objects.get_for_model(model)
        assert content_type.pk == next(
            pk
            for pk, pair in types_before.items()
            if pair == ("evaluations", model._meta.model_name)
        )
    officer = get_user_model().objects.get(pk=made["officer"][1])
    assert list(officer.staff_profile.districts.values_list("pk", flat=True)) == [
        made["district"][1]
    ]
    for old_name, new_name in KEPT_PERMISSIONS:
        assert officer.has_perm(new_name), new_name
        assert not officer.has_perm(old_name), old_name
    assert set(
        Group.objects.filter(name__in=GROUP_NAMES.values()).values_list("name", flat=True)
    ) == set(GROUP_NAMES.values())


def test_migrating_back_to_the_old_layout_keeps_every_row(layout_migrator):
    old = migrate_to_old_layout(layout_migrator)
    made = make_old_rows(old.apps)
    types_old = content_types()
    call_command("migrate", verbosity=0)  # forward, post_migrate and all, as deployed
    # … and back to the split itself: the later migrations (issue 11, its headline moderation) unapplied, so that
    # the rows compared below have the split's columns.
    call_command("migrate", "accounts", "zero", verbosity=0)
    call_command("migrate", "reviews", "0001_initial", verbosity=0)
    call_command("migrate", "showcases", "0001_initial", verbosity=0)  # issues 11 and 14
    call_command("migrate", "evaluations", "0012_models_moved_to_their_apps", verbosity=0)
    rows_forward = table_rows()
    assert_content_types_moved(types_old)

    back = layout_migrator.apply_tested_migration(
        [("evaluations", OLD_LEAVES["evaluations"])] + [(app, None) for app in NEW_APPS]
    )

    assert_old_layout(back)
    assert table_rows() == rows_forward
    assert_rows_kept(back.apps, made, label=lambda old_label: old_label)
    StaffProfile = back.apps.get_model("evaluations", "StaffProfile")
    profile = StaffProfile.objects.get(pk=made["profile"][1])
    assert list(profile.districts.values_list("pk", flat=True)) == [made["district"][1]]
    # The moved models' content types are `evaluations` ones again, with their ids.
    types_back = content_types()
    for pk, (app_label, model) in types_old.items():
        assert types_back[pk] == (app_label, model), (pk, model)
    for model in MOVED:
        assert [pair for pair in types_back.values() if pair[1] == model] == [
            ("evaluations", model)
        ]
    assert group_permissions(made["group"][1]) == {old for old, _new in KEPT_PERMISSIONS}
