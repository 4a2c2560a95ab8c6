"""Indexes for the public search (issue 6), on PostgreSQL only.

The search (portal.queries.search) matches any part of a name: “汉口” in
汉口春天, “hankou” in its pinyin. A B-tree cannot serve a match in the middle of a
string, so on PostgreSQL:

* pg_trgm GIN indexes on UPPER(name) and on pinyin, of communities and companies:
  they serve a LIKE '%…%' of three characters or more (Chinese or Latin);
* for one or two characters, which have no trigram, a GIN index on the name's
  *grams* — every single character and every pair of neighbouring characters of
  UPPER(name), computed by the IMMUTABLE function manyi_name_grams — so that
  “汉口” is `manyi_name_grams(name) @> ARRAY['汉口']`, exactly what a LIKE '%汉口%'
  finds, from the index.

The GIN indexes are built without a pending list (fastupdate off): names change
seldom, and a pending list filled by an import (until the next VACUUM) makes the
planner price the index above a scan of every row.

SQLite (the laptop, the tests) has none of this and searches with a plain LIKE;
the migration does nothing there.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    CREATE OR REPLACE FUNCTION manyi_name_grams(t text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT COALESCE(array_agg(DISTINCT g), '{}')
        FROM (
            SELECT substr(upper(t), i, 1) AS g FROM generate_series(1, char_length(t)) AS i
            UNION ALL
            SELECT substr(upper(t), i, 2) FROM generate_series(1, char_length(t) - 1) AS i
        ) AS grams
    $$
    """,
]
for table, short in (
    ("communities_community", "community"),
    ("communities_propertycompany", "company"),
):
    FORWARD += [
        f"CREATE INDEX IF NOT EXISTS {short}_name_trgm ON {table} "
        "USING gin (UPPER(name) gin_trgm_ops) WITH (fastupdate = off)",
        f"CREATE INDEX IF NOT EXISTS {short}_pinyin_trgm ON {table} "
        "USING gin (pinyin gin_trgm_ops) WITH (fastupdate = off)",
        f"CREATE INDEX IF NOT EXISTS {short}_name_grams ON {table} "
        "USING gin (manyi_name_grams(name)) WITH (fastupdate = off)",
    ]

BACKWARD = [
    f"DROP INDEX IF EXISTS {short}_{kind}"
    for short in ("community", "company")
    for kind in ("name_trgm", "pinyin_trgm", "name_grams")
] + ["DROP FUNCTION IF EXISTS manyi_name_grams(text)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("communities", "0002_search_keys")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
