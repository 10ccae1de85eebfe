"""Fetch keys: one row per upstream request (core.fetchkeys), linked to the searches using it.

The data step rebuilds every existing search's keys (and ``search.fetch_key``, which used
to be one digest over all of a search's marketplaces). It is a RunPython operation because
Tortoise runs it inside this migration's transaction, exactly once per database, before any
process serves: no search is ever seen without its keys. It reads and writes with plain SQL
(``core.fetchkeys.recompute_all``), so later model changes cannot break it. A future
``FETCH_KEY_VERSION`` adds a migration with the same step.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

from core.clock import utcnow
from core.fetchkeys import recompute_all


async def recompute_fetch_keys(apps, schema_editor) -> None:
    await recompute_all(schema_editor.client, utcnow())


async def forget_fetch_keys(apps, schema_editor) -> None:
    """Going back: the tables are dropped by the reversed CreateModel; nothing to undo."""


class Migration(migrations.Migration):
    dependencies = [('models', '0009_inbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FetchKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('marketplace', fields.CharField(max_length=32)),
                ('digest', fields.CharField(unique=True, max_length=32)),
                ('version', fields.IntField()),
                ('query', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'fetch_key', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One upstream request (a marketplace + the normalised query it is sent): see'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SearchFetchKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('search', fields.ForeignKeyField('models.Search', source_field='search_id', db_constraint=True, to_field='id', related_name='fetch_key_links', on_delete=OnDelete.CASCADE)),
                ('fetch_key', fields.ForeignKeyField('models.FetchKey', source_field='fetch_key_id', db_constraint=True, to_field='id', related_name='search_links', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'search_fetch_key', 'app': 'models', 'unique_together': (('search', 'fetch_key'),), 'indexes': [Index(fields=['fetch_key_id'], name='search_fetch_key_key_idx')], 'pk_attr': 'id', 'table_description': 'A search uses a fetch key: one row per marketplace of the search.'},
            bases=['Model'],
        ),
        ops.RunPython(recompute_fetch_keys, forget_fetch_keys),
    ]
