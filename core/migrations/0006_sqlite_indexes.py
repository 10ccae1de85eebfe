"""Put back on SQLite the indexes and unique keys that 0005 lost there.

Tortoise's SQLite schema editor rebuilds a table to drop a column (0005 dropped
``match.baseline`` and ``search.primed``) and the rebuilt table keeps neither indexes nor
unique constraints. Without them the due-search claim and the match lookup scan whole
tables, and ``match`` no longer refuses a second row for the same (search, listing).
Postgres alters in place and kept them all, so this runs on SQLite only.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

# The names Tortoise gives these on a fresh database, so both paths end up identical.
SQLITE_STATEMENTS = (
    # A duplicate could have slipped in while the unique key was missing: keep the first.
    'DELETE FROM "match" WHERE "id" NOT IN '
    '(SELECT MIN("id") FROM "match" GROUP BY "search_id", "listing_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_match_search__5a0f07" '
    'ON "match" ("search_id", "listing_id")',
    'CREATE INDEX IF NOT EXISTS "match_status_idx" ON "match" ("search_id", "status")',
    'CREATE INDEX IF NOT EXISTS "search_due_idx" ON "search" ("status", "next_check_at")',
    'CREATE INDEX IF NOT EXISTS "search_fetch_key_idx" ON "search" ("fetch_key")',
)


async def restore_sqlite_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for statement in SQLITE_STATEMENTS:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0005_watermark')]

    initial = False

    operations = [ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop)]
