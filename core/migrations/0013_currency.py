"""Currency (issue 13): the ECB's reference rates, and fetch keys that carry their bounds'
currency (FETCH_KEY_VERSION 2), so every search's keys are rebuilt
(``core.fetchkeys.recompute_all``, plain SQL, as in 0010_fetchkey)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from core.clock import utcnow
from core.fetchkeys import recompute_all


async def recompute_fetch_keys(apps, schema_editor) -> None:
    await recompute_all(schema_editor.client, utcnow())


async def keep_fetch_keys(apps, schema_editor) -> None:
    """Going back: the old version's keys are rebuilt by running 0010's step again."""


class Migration(migrations.Migration):
    dependencies = [('models', '0012_api')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExchangeRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('currency', fields.CharField(max_length=3)),
                ('per_euro', fields.DecimalField(max_digits=18, decimal_places=6)),
                ('fetched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'exchange_rate', 'app': 'models', 'unique_together': (('day', 'currency'),), 'pk_attr': 'id', 'table_description': "One currency's ECB reference rate of one day: units per euro (``core.rates``)."},
            bases=['Model'],
        ),
        ops.RunPython(recompute_fetch_keys, keep_fetch_keys),
    ]
