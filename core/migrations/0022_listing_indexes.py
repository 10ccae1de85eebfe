"""Indexes the checks and retention read listings by.

- ``listing.last_seen_at``: retention deletes listings not seen since its cutoff
  (core.retention) and scanned the whole table for them.
- ``match.listing_id``: retention's "listings no match refers to" (NOT EXISTS), the
  cascade from a deleted listing, and a check's read-back of a listing's matches all look
  matches up by listing; only (search, listing) was indexed.
- ``(marketplace, lower(seller))``: a check with new listings looks up earlier listings of
  the same sellers once (core.reposts.repost_sources). An expression index, so it is not
  in the model; both SQLite (3.9+) and Postgres have them.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

SELLER_INDEX = (
    'CREATE INDEX IF NOT EXISTS "listing_seller_idx" ON "listing" ("marketplace", lower("seller"))'
)


async def add_seller_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(SELLER_INDEX)


async def drop_seller_index(apps, schema_editor) -> None:
    await schema_editor.client.execute_script('DROP INDEX IF EXISTS "listing_seller_idx"')


class Migration(migrations.Migration):
    dependencies = [('models', '0020_ebay_feeds')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Listing',
            index=Index(fields=['last_seen_at'], name='listing_last_seen_idx'),
        ),
        ops.AddIndex(
            model_name='Match',
            index=Index(fields=['listing_id'], name='match_listing_idx'),
        ),
        ops.RunPython(add_seller_index, drop_seller_index),
    ]
