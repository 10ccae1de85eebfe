from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import AlertStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0002_delivery_and_health')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('destination', fields.ForeignKeyField('models.Destination', source_field='destination_id', db_constraint=True, to_field='id', related_name='notices', on_delete=OnDelete.CASCADE)),
                ('route', fields.CharField(max_length=16)),
                ('key', fields.CharField(unique=True, max_length=128)),
                ('text', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=AlertStatus.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nFAILED: failed\nCANCELLED: cancelled', enum_type=AlertStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notice', 'app': 'models', 'indexes': [Index(fields=['status', 'route', 'next_attempt_at'], name='notice_due_idx')], 'pk_attr': 'id', 'table_description': 'A chat message about the service itself (a search that cannot run, a failed channel).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Search',
            name='fetch_key',
            field=fields.CharField(default='', max_length=32),
        ),
        ops.AddIndex(
            model_name='Search',
            index=Index(fields=['fetch_key'], name='search_fetch_key_idx'),
        ),
    ]
