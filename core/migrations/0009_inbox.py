from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import InboxStatus, Platform
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0008_web')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InboxChat',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='CONSOLE: console\nTELEGRAM: telegram\nDISCORD: discord', enum_type=Platform, max_length=16)),
                ('chat_key', fields.CharField(max_length=64)),
                ('claim_token', fields.CharField(null=True, max_length=32)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('served_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('throttled', fields.BooleanField(default=False)),
            ],
            options={'table': 'inbox_chat', 'app': 'models', 'unique_together': (('platform', 'chat_key'),), 'pk_attr': 'id', 'table_description': "One chat's claim: whoever holds a live lease here handles that chat's next update."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InboxUpdate',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='CONSOLE: console\nTELEGRAM: telegram\nDISCORD: discord', enum_type=Platform, max_length=16)),
                ('chat_key', fields.CharField(max_length=64)),
                ('update_id', fields.BigIntField()),
                ('payload', fields.TextField()),
                ('status', fields.CharEnumField(default=InboxStatus.PENDING, description='PENDING: pending\nHANDLED: handled\nFAILED: failed', enum_type=InboxStatus, max_length=16)),
                ('claim_token', fields.CharField(null=True, max_length=32)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('handled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'inbox_update', 'app': 'models', 'unique_together': (('platform', 'update_id'),), 'indexes': [Index(fields=['platform', 'status', 'chat_key'], name='inbox_pending_idx'), Index(fields=['status', 'handled_at'], name='inbox_handled_idx')], 'pk_attr': 'id', 'table_description': 'An update a chat platform sent us, stored before it is acknowledged (core.inbox).'},
            bases=['Model'],
        ),
    ]
