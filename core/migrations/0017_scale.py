"""The fetch key becomes the unit of scheduled work (issue 15): due time, lease, backoff,
last result and overflow state move onto ``fetch_key``.

The data step fills them from the searches that use each key (``core.scheduling.
recompute_keys``, plain SQL): interval = the fastest active search's, next check = the
earliest of their next checks, last check and error = the latest of theirs.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

from core.clock import utcnow
from core.keystate import recompute_keys


async def fill_key_schedules(apps, schema_editor) -> None:
    await recompute_keys(schema_editor.client, None, utcnow(), from_searches=True)


async def nothing(apps, schema_editor) -> None:
    """Going back: the columns are dropped by the reversed AddFields."""


def _add(name, field):
    return ops.AddField(model_name='FetchKey', name=name, field=field)


class Migration(migrations.Migration):
    dependencies = [('models', '0016_resellers')]

    initial = False

    operations = [
        _add('interval_seconds', fields.IntField(default=300, db_default=300)),
        _add('tier', fields.CharField(default='free', db_default='free', max_length=16)),
        _add('next_check_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        _add('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        _add('last_checked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        _add('last_error', fields.TextField(null=True)),
        _add('consecutive_failures', fields.IntField(default=0, db_default=0)),
        _add('failure_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        _add('checks_count', fields.IntField(default=0, db_default=0)),
        _add('overflows', fields.IntField(default=0, db_default=0)),
        _add('overflow_notified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
        ops.AddIndex(
            model_name='FetchKey',
            index=Index(fields=['next_check_at'], name='fetch_key_due_idx'),
        ),
        ops.RunPython(fill_key_schedules, nothing),
    ]
