"""Domain operations. Each is atomic, checks the state it needs, and raises a
DomainError subclass (with a message for the person) when it cannot act."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import NamedTuple

from django.core.cache import cache
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, District, PropertyCompany

from .codes import generate_code, generate_receipt, hash_code, normalize_code
from .models import (
    Answer,
    Campaign,
    Criterion,
    Enrollment,
    HouseholdCode,
    Prerequisite,
    Rating,
    RatingAnswer,
    answer_pattern,
)

COMMENT_MAX_LENGTH = 500


class DomainError(Exception):
    """An operation the rules do not allow; str(error) is shown to the person."""


class CodeUnknown(DomainError):
    pass


class WindowClosed(DomainError):
    def __init__(self, message: str, campaign: Campaign):
        super().__init__(message)
        self.campaign = campaign


class InvalidRating(DomainError):
    pass


class CodesNotIssued(DomainError):
    pass


class EnrollmentRefused(DomainError):
    pass


# --- campaigns and enrollments ------------------------------------------------


def campaign_apply_default_rules(campaign: Campaign) -> None:
    """Give a campaign without criteria or prerequisites the default set."""
    if not campaign.criteria.exists():
        campaign.criteria.set(Criterion.objects.filter(is_default=True))
    if not campaign.prerequisites.exists():
        campaign.prerequisites.set(Prerequisite.objects.filter(is_default=True))


def enrollment_create(campaign: Campaign, community: Community) -> Enrollment:
    """Enroll a community; the company serving it now is recorded with the campaign."""
    if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise EnrollmentRefused(_("Communities can only be enrolled before a campaign closes."))
    if community.company_id is None:
        raise EnrollmentRefused(
            _("%(community)s has no property company on record; set it first.")
            % {"community": community.name}
        )
    enrollment, _created = Enrollment.objects.get_or_create(
        campaign=campaign,
        community=community,
        defaults={"company_id": community.company_id, "households": community.households},
    )
    return enrollment


# --- household codes ----------------------------------------------------------


@transaction.atomic
def codes_issue(enrollment: Enrollment, count: int, *, issued_by=None) -> list[str]:
    """Issue `count` new codes for an enrollment and return them in plain text.

    The plain codes exist only in the return value: print them now. At most one
    code per household is issued, so coverage cannot pass 100%.
    """
    enrollment = (
        Enrollment.objects.select_for_update().select_related("campaign").get(pk=enrollment.pk)
    )
    if count < 1:
        raise CodesNotIssued(_("Give a number of codes of at least 1."))
    if enrollment.campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.OPEN):
        raise CodesNotIssued(
            _("The campaign is %(status)s: codes are issued only before it closes.")
            % {"status": enrollment.campaign.get_status_display()}
        )
    existing = enrollment.household_codes.count()
    if existing + count > enrollment.households:
        raise CodesNotIssued(
            _(
                "%(community)s has %(households)d households and %(existing)d codes "
                "already; %(count)d more would exceed one code per household."
            )
            % {
                "community": enrollment.community.name,
                "households": enrollment.households,
                "existing": existing,
                "count": count,
            }
        )
    now = timezone.now()
    codes: list[str] = []
    while len(codes) < count:
        codes = list(dict.fromkeys(codes + [generate_code() for _ in range(count - len(codes))]))
    HouseholdCode.objects.bulk_create(
        [
            HouseholdCode(
                enrollment=enrollment, code_hash=hash_code(c), issued_at=now, issued_by=issued_by
            )
            for c in codes
        ]
    )
    return codes


def household_code_lookup(raw_code: str) -> HouseholdCode:
    """The household code, with its enrollment, campaign, community, district and
    company, and `has_rated` (whether it has a counted rating): one query.

    Every rating form and submit starts here, so the statement is written once per
    database connection (`_code_lookup_plan`) rather than compiled by the ORM on
    every request — that compilation (six models, an EXISTS) cost more than the
    query itself. The rows become full model instances through the fields' own
    converters, as the ORM's would."""
    code = normalize_code(raw_code)
    if code is None:
        raise CodeUnknown(
            _(
                "This is not a household code. A code has 12 letters and digits, "
                "printed on your household notice."
            )
        )
    connection = connections[router.db_for_read(HouseholdCode)]
    sql, plan = _code_lookup_plan(connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_code(code)])
        row = cursor.fetchone()
    if row is None:
        raise CodeUnknown(
            _("This code is not known. Check it against your household notice and try again.")
        )
    instances = []
    start = 0
    for model, attnames, converters in plan:
        values = list(row[start : start + len(attnames)])
        start += len(attnames)
        for i, convert in converters:
            values[i] = convert(values[i])
        instances.append(model.from_db(connection.alias, attnames, values))
    household_code, enrollment, campaign, community, district, company = instances
    _set_related(household_code, "enrollment", enrollment)
    _set_related(enrollment, "campaign", campaign)
    _set_related(enrollment, "community", community)
    _set_related(enrollment, "company", company)
    _set_related(community, "district", district)
    household_code.has_rated = bool(row[start])
    return household_code


def _set_related(instance, name: str, value) -> None:
    instance._meta.get_field(name).set_cached_value(instance, value)


_CODE_LOOKUP_PLANS: dict[str, tuple] = {}


def _code_lookup_plan(connection) -> tuple[str, list]:
    """The lookup's SQL for this database, and for each model (in the SELECT's order)
    its field names and the converters of the fields that need one."""
    key = f"{connection.alias}:{connection.vendor}"
    found = _CODE_LOOKUP_PLANS.get(key)
    if found is not None:
        return found
    qn = connection.ops.quote_name
    tables = [
        (HouseholdCode, "hc"),
        (Enrollment, "en"),
        (Campaign, "ca"),
        (Community, "co"),
        (District, "di"),
        (PropertyCompany, "pc"),
    ]
    columns, plan = [], []
    for model, alias in tables:
        fields = model._meta.concrete_fields
        converters = []
        for i, field in enumerate(fields):
            columns.append(f"{alias}.{qn(field.column)}")
            col = field.get_col(alias)
            functions = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if functions:
                converters.append((i, _converter(functions, col, connection)))
        plan.append((model, tuple(f.attname for f in fields), converters))

    def table(model):
        return qn(model._meta.db_table)

    def column(model, name):
        return qn(model._meta.get_field(name).column)

    def pk(model):
        return qn(model._meta.pk.column)

    # Identifiers only, from the models' metadata and quoted; the code's hash is a parameter.
    sql = (
        f"SELECT {', '.join(columns)}, EXISTS(SELECT 1 FROM {table(Rating)} r"  # noqa: S608
        f" WHERE r.{column(Rating, 'household_code')} = hc.{pk(HouseholdCode)}"
        f" AND r.{column(Rating, 'is_current')})"
        f" FROM {table(HouseholdCode)} hc"
        f" INNER JOIN {table(Enrollment)} en ON en.{pk(Enrollment)} = hc.{column(HouseholdCode, 'enrollment')}"
        f" INNER JOIN {table(Campaign)} ca ON ca.{pk(Campaign)} = en.{column(Enrollment, 'campaign')}"
        f" INNER JOIN {table(Community)} co ON co.{pk(Community)} = en.{column(Enrollment, 'community')}"
        f" INNER JOIN {table(District)} di ON di.{pk(District)} = co.{column(Community, 'district')}"
        f" INNER JOIN {table(PropertyCompany)} pc ON pc.{pk(PropertyCompany)} = en.{column(Enrollment, 'company')}"
        f" WHERE hc.{column(HouseholdCode, 'code_hash')} = %s"
    )
    _CODE_LOOKUP_PLANS[key] = (sql, plan)
    return sql, plan


def _converter(functions, expression, connection):
    def convert(value):
        for function in functions:
            value = function(value, expression, connection)
        return value

    return convert


CRITERIA_CACHE_SECONDS = 600
CRITERIA_VERSION_KEY = "campaign-criteria:version"


def campaign_criteria(campaign: Campaign) -> list[Criterion]:
    """The campaign's criteria in questionnaire order, kept in the shared cache: every
    rating form and submit needs them, and they do not change while residents rate.

    Stored with the version of the criteria it was read under, and read together
    with the current version (one round trip); any change of a criterion or of a
    campaign's criteria sets a new version (forget_campaign_criteria, connected in
    evaluations.apps), so a changed questionnaire is never served from the cache.
    """
    return campaign_criteria_versioned(campaign)[1]


def campaign_criteria_versioned(campaign: Campaign) -> tuple[str, list[Criterion]]:
    """campaign_criteria, with the version of the criteria they were read under: what
    is derived from them (the rating form's rendered questions, in evaluations.views)
    is kept under it."""
    key = f"campaign-criteria:{campaign.pk}"
    found = cache.get_many([CRITERIA_VERSION_KEY, key])
    version = found.get(CRITERIA_VERSION_KEY)
    if version is None:
        cache.add(CRITERIA_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(CRITERIA_VERSION_KEY)
    stored = found.get(key)
    if stored is not None and stored[0] == version:
        return version, stored[1]
    criteria = list(campaign.criteria.order_by("order", "code"))
    cache.set(key, (version, criteria), CRITERIA_CACHE_SECONDS)
    return version, criteria


def forget_campaign_criteria(**kwargs) -> None:
    """A signal receiver: any criteria change makes every cached list stale — at once,
    and again after the commit, since a request may have cached the old list under
    the first new version meanwhile."""

    def new_version():
        cache.set(CRITERIA_VERSION_KEY, uuid.uuid4().hex, None)

    new_version()
    transaction.on_commit(new_version)


def check_window(campaign: Campaign, now=None) -> None:
    now = now or timezone.now()
    if campaign.accepts_ratings(now):
        return
    if campaign.status == Campaign.Status.DRAFT or (
        campaign.status == Campaign.Status.OPEN and now < campaign.opens_at
    ):
        message = _("Rating has not started yet. It opens on %(date)s.")
        date = campaign.opens_at
    else:
        message = _("Rating for this campaign closed on %(date)s. Thank you for your interest.")
        date = campaign.closes_at
    raise WindowClosed(
        message % {"date": timezone.localtime(date).strftime("%Y-%m-%d %H:%M")}, campaign
    )


# --- ratings ------------------------------------------------------------------


def rating_submit(
    code: str | HouseholdCode,
    *,
    overall: str,
    answers: Mapping[int, str],
    comment: str = "",
    client_ip: str | None = None,
    user_agent: str = "",
    form_seconds: int | None = None,
    browser_id: str = "",
    now=None,
    criteria: list[Criterion] | None = None,
) -> Rating:
    """Record a household's rating. The previous counted rating of the same code,
    if any, stays as history and stops counting; exactly one counts.

    `code` is the code as typed, or the HouseholdCode the caller has looked up
    already (the rating view does, to show the form); `criteria` the campaign's, if
    the caller has them (campaign_criteria). Neither is looked up twice.

    Concurrent submits of one code are serialised by a row lock on the code
    (PostgreSQL) or the database's single writer (SQLite); the partial unique
    index `rating_one_current_per_code` guarantees the outcome either way.
    """
    if not isinstance(code, HouseholdCode):
        code = household_code_lookup(code)
    if criteria is None:
        criteria = campaign_criteria(code.enrollment.campaign)
    _validate_rating(overall, answers, comment, criteria)

    connection = connections[router.db_for_write(Rating)]
    statements = _rating_statements(connection)
    for attempt in range(3):
        try:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                # Lock the household's code row (only it): concurrent submits of the same
                # code queue here. The campaign is read again in the same query, after
                # the lock, so a campaign closed meanwhile refuses the rating.
                cursor.execute(statements.lock, [code.pk])
                row = cursor.fetchone()
                if row is None:
                    raise HouseholdCode.DoesNotExist("the household code is gone")
                enrollment_id, *window = row
                campaign = Campaign.from_db(
                    connection.alias,
                    ("status", "opens_at", "closes_at"),
                    [
                        convert(value)
                        for convert, value in zip(statements.window, window, strict=True)
                    ],
                )
                now_ = now or timezone.now()
                check_window(campaign, now_)
                cursor.execute(
                    statements.supersede,
                    [statements.prep_superseded_at(now_, connection), code.pk],
                )
                rating = Rating(
                    household_code_id=code.pk,
                    enrollment_id=enrollment_id,
                    overall=overall,
                    comment=comment.strip(),
                    receipt=generate_receipt(),
                    submitted_at=now_,
                    is_current=True,
                    client_ip=client_ip or None,
                    user_agent=(user_agent or "")[:300],
                    form_seconds=form_seconds,
                    browser_id=(browser_id or "")[:32],
                    answer_pattern=answer_pattern(criteria, answers),
                )
                _insert_rows(connection, cursor, [rating], returning_pk=True)
                _insert_rows(
                    connection,
                    cursor,
                    [
                        RatingAnswer(rating_id=rating.pk, criterion_id=c.pk, answer=answers[c.pk])
                        for c in criteria
                    ],
                )
                rating._state.adding = False
                rating._state.db = connection.alias
                return rating
        except IntegrityError:
            # Only reachable where the lock is not honoured: the unique index refused
            # a second current rating. Try again on top of the one that won.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# The submit's statements, written once per database connection: compiling them with
# the ORM on every rating cost several times what PostgreSQL takes to run them. No
# signal receiver listens to ratings or their answers (they would not be sent).


class _RatingStatements(NamedTuple):
    lock: str
    window: tuple  # converters of the campaign's status, opens_at, closes_at
    supersede: str
    prep_superseded_at: Callable


_RATING_STATEMENTS: dict[str, _RatingStatements] = {}


def _rating_statements(connection) -> _RatingStatements:
    key = f"{connection.alias}:{connection.vendor}"
    found = _RATING_STATEMENTS.get(key)
    if found is not None:
        return found
    qn = connection.ops.quote_name

    def column(model, name):
        return qn(model._meta.get_field(name).column)

    code_pk = qn(HouseholdCode._meta.pk.column)
    window_fields = [Campaign._meta.get_field(n) for n in ("status", "opens_at", "closes_at")]
    lock = (
        f"SELECT hc.{column(HouseholdCode, 'enrollment')}, "  # noqa: S608 — identifiers only
        + ", ".join(f"ca.{qn(f.column)}" for f in window_fields)
        + f" FROM {qn(HouseholdCode._meta.db_table)} hc"
        f" INNER JOIN {qn(Enrollment._meta.db_table)} en"
        f" ON en.{qn(Enrollment._meta.pk.column)} = hc.{column(HouseholdCode, 'enrollment')}"
        f" INNER JOIN {qn(Campaign._meta.db_table)} ca"
        f" ON ca.{qn(Campaign._meta.pk.column)} = en.{column(Enrollment, 'campaign')}"
        f" WHERE hc.{code_pk} = %s"
    )
    if connection.features.has_select_for_update_of:
        lock += " FOR UPDATE OF hc"
    elif connection.features.has_select_for_update:
        lock += " FOR UPDATE"
    window = []
    for field in window_fields:
        col = field.get_col("ca")
        functions = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
        window.append(_converter(functions, col, connection))
    is_current = column(Rating, "is_current")
    superseded_at = Rating._meta.get_field("superseded_at")
    false = "false" if connection.vendor == "postgresql" else "0"
    supersede = (
        f"UPDATE {qn(Rating._meta.db_table)} SET {is_current} = {false}, "  # noqa: S608
        f"{qn(superseded_at.column)} = %s"
        f" WHERE {column(Rating, 'household_code')} = %s AND {is_current}"
    )
    found = _RatingStatements(lock, tuple(window), supersede, superseded_at.get_db_prep_save)
    _RATING_STATEMENTS[key] = found
    return found


def _insert_rows(connection, cursor, objs: list, returning_pk: bool = False) -> None:
    """INSERT model instances (as built by their constructor, defaults applied) in one
    statement, written once per model, number of rows and connection."""
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    key = (connection.alias, connection.vendor, model, len(objs), returning_pk)
    sql = _INSERTS.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = (
            f"INSERT INTO {qn(model._meta.db_table)} "  # noqa: S608 — identifiers only
            f"({', '.join(qn(f.column) for f in fields)}) VALUES " + ", ".join([row] * len(objs))
        )
        if returning_pk and connection.features.can_return_columns_from_insert:
            sql += f" RETURNING {qn(model._meta.pk.column)}"
        _INSERTS[key] = sql
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    cursor.execute(sql, params)
    if returning_pk:
        if connection.features.can_return_columns_from_insert:
            objs[0].pk = cursor.fetchone()[0]
        else:
            objs[0].pk = cursor.lastrowid


_INSERTS: dict[tuple, str] = {}


def _validate_rating(
    overall: str, answers: Mapping[int, str], comment: str, criteria: list[Criterion]
) -> None:
    if overall not in Answer.values:
        raise InvalidRating(_("Choose your overall satisfaction."))
    missing = [c.display_name for c in criteria if answers.get(c.pk) not in Answer.values]
    if missing:
        raise InvalidRating(
            _("Answer every question: %(missing)s.") % {"missing": "、".join(missing)}
        )
    unknown = set(answers) - {c.pk for c in criteria}
    if unknown:
        raise InvalidRating(_("The form does not match this campaign's questions."))
    if len(comment or "") > COMMENT_MAX_LENGTH:
        raise InvalidRating(
            _("The comment is limited to %(n)d characters.") % {"n": COMMENT_MAX_LENGTH}
        )


def household_has_rated(code: HouseholdCode) -> bool:
    if hasattr(code, "has_rated"):  # annotated by household_code_lookup
        return code.has_rated
    return Rating.objects.filter(household_code=code, is_current=True).exists()
