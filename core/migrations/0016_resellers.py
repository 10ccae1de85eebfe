from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.enums import AlertKind, ListingState
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

# Altering alert.kind (AlertKind gained REPOST) rebuilds the table on SQLite, and the
# rebuilt table keeps neither its indexes nor its unique key (as 0005/0006 found): put them
# back under the names a fresh database has. Postgres alters in place.
SQLITE_STATEMENTS = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_alert_match_i_531b56" '
    'ON "alert" ("match_id", "channel", "event")',
    'CREATE INDEX IF NOT EXISTS "alert_due_idx" ON "alert" ("status", "route", "next_attempt_at")',
)


async def restore_sqlite_indexes(apps, schema_editor) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for statement in SQLITE_STATEMENTS:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0015_manager_role')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BlockedSeller',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='blocked_sellers', on_delete=OnDelete.CASCADE)),
                ('marketplace', fields.CharField(max_length=32)),
                ('seller', fields.CharField(max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blocked_seller', 'app': 'models', 'unique_together': (('account', 'marketplace', 'seller'),), 'pk_attr': 'id', 'table_description': 'A seller one account never wants to hear about (issue 14). Per account, applied after'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Alert',
            name='kind',
            field=fields.CharEnumField(default=AlertKind.NEW_LISTING, description='NEW_LISTING: new_listing\nPRICE_DROP: price_drop\nREPOST: repost', enum_type=AlertKind, max_length=16),
        ),
        ops.RunPython(restore_sqlite_indexes, ops.RunPython.noop),
        ops.AddField(
            model_name='Listing',
            name='details',
            field=fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Listing',
            name='state',
            field=fields.CharEnumField(default=ListingState.AVAILABLE, description='AVAILABLE: available\nSOLD: sold\nENDED: ended\nGONE: gone', enum_type=ListingState, max_length=16),
        ),
        ops.AddField(
            model_name='Listing',
            name='state_checked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
