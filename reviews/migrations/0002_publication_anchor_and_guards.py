"""Publications carry the audit head that anchors them, and the database guards the
published lists (issue 11).

PostgreSQL triggers (the function manyi_refuse_history_change is made by
evaluations 0013):
- evaluations_publication: DELETE and TRUNCATE refused; UPDATE refused except to
  fill ratings_digest or audit_head once, while still empty — both are computed in
  the transaction that publishes, after the list's entries exist — and to end a
  notice period earlier (demo_end_notice, DEBUG only, audited), never later;
- evaluations_publicationentry: UPDATE, DELETE and TRUNCATE refused (a withdrawal
  is a new revision, never an edit).
"""

from django.db import migrations, models

PG_UP = """
CREATE OR REPLACE FUNCTION manyi_publication_guard() RETURNS trigger AS $$
DECLARE
    fillable text[] := ARRAY['ratings_digest', 'audit_head', 'notice_ends_at'];
BEGIN
    IF (to_jsonb(NEW) - fillable) IS DISTINCT FROM (to_jsonb(OLD) - fillable)
        OR (OLD.ratings_digest <> '' AND NEW.ratings_digest IS DISTINCT FROM OLD.ratings_digest)
        OR (OLD.audit_head <> '' AND NEW.audit_head IS DISTINCT FROM OLD.audit_head)
        OR (NEW.notice_ends_at IS DISTINCT FROM OLD.notice_ends_at
            AND (NEW.notice_ends_at IS NULL OR OLD.notice_ends_at IS NULL
                 OR NEW.notice_ends_at > OLD.notice_ends_at)) THEN
        RAISE EXCEPTION 'evaluations_publication: a published list is frozen';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_publication_guard
    BEFORE UPDATE ON evaluations_publication
    FOR EACH ROW EXECUTE FUNCTION manyi_publication_guard();
CREATE TRIGGER evaluations_publication_no_delete
    BEFORE DELETE ON evaluations_publication
    FOR EACH ROW EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_publication_no_truncate
    BEFORE TRUNCATE ON evaluations_publication
    FOR EACH STATEMENT EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_publicationentry_no_change
    BEFORE UPDATE OR DELETE ON evaluations_publicationentry
    FOR EACH ROW EXECUTE FUNCTION manyi_refuse_history_change();
CREATE TRIGGER evaluations_publicationentry_no_truncate
    BEFORE TRUNCATE ON evaluations_publicationentry
    FOR EACH STATEMENT EXECUTE FUNCTION manyi_refuse_history_change();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS evaluations_publication_guard ON evaluations_publication;
DROP TRIGGER IF EXISTS evaluations_publication_no_delete ON evaluations_publication;
DROP TRIGGER IF EXISTS evaluations_publication_no_truncate ON evaluations_publication;
DROP TRIGGER IF EXISTS evaluations_publicationentry_no_change ON evaluations_publicationentry;
DROP TRIGGER IF EXISTS evaluations_publicationentry_no_truncate ON evaluations_publicationentry;
DROP FUNCTION IF EXISTS manyi_publication_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN + PG_UP, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("evaluations", "0015_audit_chain_and_history_guards"),
    ]

    operations = [
        migrations.AddField(
            model_name="publication",
            name="audit_head",
            field=models.CharField(
                blank=True, editable=False, max_length=64, verbose_name="audit chain head"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
