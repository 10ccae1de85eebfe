from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import Channel
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MarketplaceState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(unique=True, max_length=32)),
                ('breaker', fields.CharField(default='closed', max_length=16)),
                ('open_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.TextField(null=True, unique=False)),
                ('last_error_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('quota_day', fields.CharField(default='', max_length=10)),
                ('quota_used', fields.IntField(default=0)),
            ],
            options={'table': 'marketplace_state', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Per-marketplace health shared by every process: circuit breaker and quota counters.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='VerificationCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='verification_codes', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharEnumField(description='CHAT: chat\nEMAIL: email\nSMS: sms\nWEBHOOK: webhook', enum_type=Channel, max_length=16)),
                ('target', fields.CharField(max_length=2048)),
                ('code_hash', fields.CharField(max_length=128)),
                ('attempts', fields.IntField(default=0)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'verification_code', 'app': 'models', 'indexes': [Index(fields=['account_id', 'channel', 'created_at'], name='verif_idx')], 'pk_attr': 'id', 'table_description': 'A code sent to an email address or phone number (or a test webhook) to prove it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Account',
            name='email_unsubscribed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Alert',
            name='click_token',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Alert',
            name='provider_message_id',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='Search',
            name='failure_notified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
