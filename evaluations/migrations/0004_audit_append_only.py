"""The audit log is append-only in the database itself: triggers refuse any
UPDATE or DELETE of evaluations_auditentry, whatever the code path (ORM, admin,
raw SQL from the application's role). Both PostgreSQL and SQLite are covered."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION evaluations_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'evaluations_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evaluations_auditentry_no_change
    BEFORE UPDATE OR DELETE ON evaluations_auditentry
    FOR EACH ROW EXECUTE FUNCTION evaluations_auditentry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS evaluations_auditentry_no_change ON evaluations_auditentry;
DROP FUNCTION IF EXISTS evaluations_auditentry_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER evaluations_auditentry_no_update BEFORE UPDATE ON evaluations_auditentry
       BEGIN SELECT RAISE(ABORT, 'evaluations_auditentry is append-only'); END;""",
    """CREATE TRIGGER evaluations_auditentry_no_delete BEFORE DELETE ON evaluations_auditentry
       BEGIN SELECT RAISE(ABORT, 'evaluations_auditentry is append-only'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS evaluations_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS evaluations_auditentry_no_delete;",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0003_review_publication_audit")]

    operations = [migrations.RunPython(forwards, backwards)]
