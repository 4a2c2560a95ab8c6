"""The audit log is a hash chain the database itself refuses to rewrite (issue 11,
item 2): verify_audit names the first broken link; triggers refuse UPDATE, DELETE
and TRUNCATE of history; SQLite refuses INSERT OR REPLACE; the chain cannot fork;
changes through the admin are audited."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse

from communities.models import Community
from evaluations.audit import audit_head, audit_record
from evaluations.audit_chain import GENESIS, hash_of
from evaluations.models import AuditEntry, Criterion, Rating, RatingAnswer
from evaluations.ratings import rating_submit
from tests.conftest import history_guards_off

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers")


def verify_audit(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue()


def verify_audit_fails(*args):
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=err)
    return str(failure.value), err.getvalue()


@pytest.fixture
def history(db):
    return [
        audit_record("campaign_created", subject=f"第{i}个", reason=f"原因{i}") for i in range(4)
    ]


def test_each_entry_carries_the_hash_of_the_one_before(history):
    entries = list(AuditEntry.objects.order_by("id"))
    assert entries[0].prev_hash == GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    assert all(hash_of(e) == e.entry_hash for e in entries)
    assert audit_head() == entries[-1].entry_hash


def test_verify_audit_accepts_an_honest_history(history):
    out = verify_audit("--head", history[1].entry_hash, "--head", audit_head())
    assert "4 entries" in out and "OK" in out


def test_verify_audit_names_a_rewritten_entry(history):
    with history_guards_off():
        AuditEntry.objects.filter(pk=history[1].pk).update(reason="篡改")
    message, err = verify_audit_fails()
    assert f"broken at entry #{history[1].pk}" in message
    assert "was rewritten" in err


def test_verify_audit_names_the_link_after_a_removed_entry(history):
    with history_guards_off():
        AuditEntry.objects.filter(pk=history[1].pk).delete()
    message, err = verify_audit_fails()
    assert f"broken at entry #{history[2].pk}" in message
    assert "does not follow" in err


def test_a_removed_tail_contradicts_the_published_head(history):
    published = audit_head()
    with history_guards_off():
        AuditEntry.objects.filter(pk=history[-1].pk).delete()
    assert "OK" in verify_audit()  # the shortened chain is consistent in itself …
    message, err = verify_audit_fails("--head", published)  # … but not with the copy
    assert published in err


def test_a_recomputed_chain_contradicts_the_published_head(history):
    published = audit_head()
    with history_guards_off():
        entries = list(AuditEntry.objects.order_by("id"))
        AuditEntry.objects.all().delete()
        prev = GENESIS
        for entry in entries:
            entry.pk = None
            entry.prev_hash = prev
            if entry.subject == "第1个":
                entry.reason = "改写"
            entry.entry_hash = hash_of(entry)
            AuditEntry.objects.bulk_create([entry])
            prev = entry.entry_hash
    assert "OK" in verify_audit()
    verify_audit_fails("--head", published)


def test_the_chain_cannot_fork(history):
    fork = AuditEntry(action="campaign_created", subject="分叉", prev_hash=history[1].prev_hash)
    fork.entry_hash = hash_of(fork)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEntry.objects.bulk_create([fork])


def test_the_database_refuses_update_and_delete_of_the_audit(history):
    entry = history[0]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(reason="篡改")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.reason == "原因0"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's INSERT OR REPLACE")
def test_sqlite_refuses_insert_or_replace_over_an_entry(history):
    entry = history[0]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT OR REPLACE INTO evaluations_auditentry (id, at, actor_name, action, "
            "subject, old_value, new_value, reason, prev_hash, entry_hash) "
            "VALUES (%s, '2020-01-01', '', 'approved', 'x', '', '', '篡改', 'p', 'e')",
            [entry.pk],
        )
    entry.refresh_from_db()
    assert (entry.reason, entry.action) == ("原因0", "campaign_created")
    assert "OK" in verify_audit()


@postgres_only
@pytest.mark.parametrize(
    "table",
    [
        "evaluations_auditentry",
        "evaluations_rating",
        "evaluations_ratinganswer",
        "evaluations_publication",
        "evaluations_publicationentry",
    ],
)
def test_postgresql_refuses_truncate_of_history(history, table):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test's own inserts leave deferred foreign-key checks pending; TRUNCATE
        # would refuse for that reason before the trigger could.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() == 4


@pytest.fixture
def rating(household_code, criteria):
    return rating_submit(
        household_code, overall="unsatisfied", answers={c.pk: "unsatisfied" for c in criteria}
    )


@postgres_only
def test_postgresql_refuses_changing_what_a_rating_said(rating):
    for change in ({"overall": "satisfied"}, {"comment": "改"}, {"receipt": "RXXXXXXXXXXXXXXX"}):
        with pytest.raises(DatabaseError, match="never changes"), transaction.atomic():
            Rating.objects.filter(pk=rating.pk).update(**change)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        RatingAnswer.objects.filter(rating=rating).update(answer="satisfied")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM evaluations_rating WHERE id = %s", [rating.pk])
    rating.refresh_from_db()
    assert rating.overall == "unsatisfied"
    assert set(rating.answers.values_list("answer", flat=True)) == {"unsatisfied"}


@postgres_only
def test_postgresql_lets_a_rating_be_superseded_held_and_forgotten_only(rating, city_officer):
    from django.utils import timezone

    now = timezone.now()
    Rating.objects.filter(pk=rating.pk).update(
        quarantined_at=now, quarantined_by=city_officer, quarantine_reason="异常"
    )
    Rating.objects.filter(pk=rating.pk).update(quarantined_at=None, quarantine_reason="")
    Rating.objects.filter(pk=rating.pk).update(client_ip=None, user_agent="", browser_id="")
    with pytest.raises(DatabaseError, match="forgotten"), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(client_ip="203.0.113.9")
    Rating.objects.filter(pk=rating.pk).update(is_current=False, superseded_at=now)
    with pytest.raises(DatabaseError, match="never counts again"), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(is_current=True)
    rating.refresh_from_db()
    assert (rating.is_current, rating.client_ip) == (False, None)


# --- the admin ---------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="a-long-test-password-1")


def _form_data(client, url):
    """The admin change form's current values, as the browser would send them back."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    return data


def test_renaming_a_community_in_the_admin_is_audited(client, superuser, community):
    client.force_login(superuser)
    url = reverse("admin:communities_community_change", args=[community.pk])
    data = _form_data(client, url)
    data["name"] = "汉口春天（改名）"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    community.refresh_from_db()
    assert community.name == "汉口春天（改名）"
    entry = AuditEntry.objects.get(action="admin_changed")
    assert entry.actor_name == "root"
    assert entry.old_value == "name=汉口春天" and entry.new_value == "name=汉口春天（改名）"
    assert "汉口春天（改名）" in entry.subject
    assert "OK" in verify_audit()


def test_adding_and_changing_a_criterion_in_the_admin_is_audited(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:evaluations_criterion_add"),
        {"name": "物业费公开到位", "code": "fees", "order": "9", "short_name": "公开"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    criterion = Criterion.objects.get(code="fees")
    added = AuditEntry.objects.get(action="admin_added")
    assert "物业费公开到位" in added.subject and "code=fees" in added.new_value
    url = reverse("admin:evaluations_criterion_change", args=[criterion.pk])
    data = _form_data(client, url)
    data["order"] = "1"
    client.post(url, data)
    changed = AuditEntry.objects.get(action="admin_changed")
    assert (changed.old_value, changed.new_value) == ("order=9", "order=1")


def test_changing_a_campaign_in_the_admin_is_audited(client, superuser, open_campaign):
    client.force_login(superuser)
    url = reverse("admin:evaluations_campaign_change", args=[open_campaign.pk])
    data = _form_data(client, url)
    data["name"] = "改过名的评选"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="admin_changed")
    assert entry.campaign == open_campaign
    assert entry.new_value == "name=改过名的评选"


def test_a_company_deleted_in_the_admin_is_audited(client, superuser):
    from communities.models import PropertyCompany

    company = PropertyCompany.objects.create(name="无小区物业公司")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:communities_propertycompany_delete", args=[company.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="admin_deleted")
    assert "无小区物业公司" in entry.subject and "name=无小区物业公司" in entry.old_value
    assert not Community.objects.filter(company=company).exists()
