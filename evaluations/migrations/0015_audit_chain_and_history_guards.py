"""The audit log becomes a hash chain, and the database guards history (issue 11).

1. Every audit entry gets prev_hash and entry_hash (evaluations.audit_chain); the
   entries already written are chained in the order they were written (by id).
   A unique prev_hash means the chain cannot fork.
2. Triggers, whatever the code path (ORM, admin, raw SQL from the application's role):

   PostgreSQL
     - evaluations_auditentry and evaluations_ratinganswer: UPDATE, DELETE and
       TRUNCATE refused;
     - evaluations_rating: DELETE and TRUNCATE refused; UPDATE allowed only for the
       columns that legitimately change after a rating is given —
         * superseding: is_current true → false and superseded_at set once (a
           superseded rating never counts again);
         * holds (暂扣): quarantined_at, quarantined_by_id, quarantine_reason and
           quarantine_flags (added by 0014);
         * forgetting addresses (forget_rating_addresses): client_ip, user_agent
           and browser_id may only be erased (to NULL / empty).
       The overall answer, comment, receipt, code, enrollment, time and the
       monitoring's signals can never change.
   SQLite
     - evaluations_auditentry: UPDATE and DELETE refused (as since 0004) and an
       INSERT whose id already exists refused — `INSERT OR REPLACE` would otherwise
       delete the old row without firing the delete trigger (recursive triggers
       are off) and write a new one in its place.

   The publication tables are guarded by reviews 0002.

Triggers do not stop the tables' owner, who may drop them: deploy.md runs the
application as a role that owns no table (docs/deploy.md, "Database roles").

SQLite rebuilds a table to add a column or a constraint, and the rebuild drops its
triggers: the old triggers are removed first and the new ones made at the end.
"""

from django.db import migrations, models

from evaluations.audit_chain import GENESIS, hash_of

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION manyi_refuse_history_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION manyi_rating_guard() RETURNS trigger AS $$
DECLARE
    changeable text[] := ARRAY['is_current', 'superseded_at', 'quarantined_at',
        'quarantined_by_id', 'quarantine_reason', 'quarantine_flags', 'client_ip', 'user_agent',
        'browser_id'];
BEGIN
    IF (to_jsonb(NEW) - changeable) IS DISTINCT FROM (to_jsonb(OLD) - changeable) THEN
        RAISE EXCEPTION 'evaluations_rating: what a rating said, and when, never changes';
    END IF;
    IF NEW.is_current AND NOT OLD.is_current THEN
        RAISE EXCEPTION 'evaluations_rating: a superseded rating never counts again';
    END IF;
    IF OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at THEN
        RAISE EXCEPTION 'evaluations_rating: superseded_at is set once';
    END IF;
    IF (NEW.client_ip IS DISTINCT FROM OLD.client_ip AND NEW.client_ip IS NOT NULL)
        OR (NEW.user_agent IS DISTINCT FROM OLD.user_agent AND NEW.user_agent <> '')
        OR (NEW.browser_id IS DISTINCT FROM OLD.browser_id AND NEW.browser_id <> '') THEN
        RAISE EXCEPTION 'evaluations_rating: addresses may only be forgotten';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

PG_GUARDS = PG_FUNCTIONS + """
CREATE TRIGGER evaluations_auditentry_no_change
    BEFORE UPDATE OR DELETE ON evaluations_auditentry
    FOR EACH ROW EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_auditentry_no_truncate
    BEFORE TRUNCATE ON evaluations_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_ratinganswer_no_change
    BEFORE UPDATE OR DELETE ON evaluations_ratinganswer
    FOR EACH ROW EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_ratinganswer_no_truncate
    BEFORE TRUNCATE ON evaluations_ratinganswer
    FOR EACH STATEMENT EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_rating_no_delete
    BEFORE DELETE ON evaluations_rating
    FOR EACH ROW EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_rating_no_truncate
    BEFORE TRUNCATE ON evaluations_rating
    FOR EACH STATEMENT EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_rating_guard
    BEFORE UPDATE ON evaluations_rating
    FOR EACH ROW EXECUTE FUNCTION manyi_rating_guard();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS evaluations_auditentry_no_change ON evaluations_auditentry;
DROP TRIGGER IF EXISTS evaluations_auditentry_no_truncate ON evaluations_auditentry;
DROP TRIGGER IF EXISTS evaluations_ratinganswer_no_change ON evaluations_ratinganswer;
DROP TRIGGER IF EXISTS evaluations_ratinganswer_no_truncate ON evaluations_ratinganswer;
DROP TRIGGER IF EXISTS evaluations_rating_no_delete ON evaluations_rating;
DROP TRIGGER IF EXISTS evaluations_rating_no_truncate ON evaluations_rating;
DROP TRIGGER IF EXISTS evaluations_rating_guard ON evaluations_rating;
DROP FUNCTION IF EXISTS evaluations_auditentry_append_only();
DROP FUNCTION IF EXISTS manyi_rating_guard();
"""

SQLITE_NO_DELETE = """CREATE TRIGGER evaluations_auditentry_no_delete BEFORE DELETE ON evaluations_auditentry
       BEGIN SELECT RAISE(ABORT, 'evaluations_auditentry is append-only'); END;"""
SQLITE_GUARDS = [
    """CREATE TRIGGER evaluations_auditentry_no_update BEFORE UPDATE ON evaluations_auditentry
       BEGIN SELECT RAISE(ABORT, 'evaluations_auditentry is append-only'); END;""",
    SQLITE_NO_DELETE,
    """CREATE TRIGGER evaluations_auditentry_no_replace BEFORE INSERT ON evaluations_auditentry
       WHEN EXISTS (SELECT 1 FROM evaluations_auditentry WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'evaluations_auditentry is append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS evaluations_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS evaluations_auditentry_no_delete;",
    "DROP TRIGGER IF EXISTS evaluations_auditentry_no_replace;",
]


def _run(schema_editor, postgres, sqlite):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgres, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def drop_guards(apps, schema_editor):
    _run(schema_editor, PG_DROP, SQLITE_DROP)


def install_guards(apps, schema_editor):
    _run(schema_editor, PG_DROP + PG_GUARDS, SQLITE_DROP + SQLITE_GUARDS)


def install_old_guards(apps, schema_editor):
    from importlib import import_module

    old = import_module("evaluations.migrations.0004_audit_append_only")
    _run(schema_editor, PG_DROP + old.POSTGRES_UP, SQLITE_DROP + old.SQLITE_UP)


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("evaluations", "AuditEntry")
    prev = GENESIS
    for entry in AuditEntry.objects.order_by("id").iterator():
        entry.prev_hash = prev
        entry.entry_hash = hash_of(entry)
        AuditEntry.objects.filter(pk=entry.pk).update(
            prev_hash=entry.prev_hash, entry_hash=entry.entry_hash
        )
        prev = entry.entry_hash


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0014_campaign_closed_at")]

    operations = [
        migrations.RunPython(drop_guards, install_old_guards),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="previous entry's hash"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(
                default="", editable=False, max_length=64, verbose_name="entry hash"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing_entries, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(fields=("prev_hash",), name="audit_chain_no_fork"),
        ),
        migrations.RunPython(install_guards, drop_guards),
    ]
