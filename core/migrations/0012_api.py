from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import ApiScope
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_frontdoor')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='api_tokens', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('hint', fields.CharField(max_length=8)),
                ('scope', fields.CharEnumField(default=ApiScope.READ, description='READ: read\nWRITE: write', enum_type=ApiScope, max_length=8)),
                ('expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'models', 'unique_together': (('account', 'name'),), 'pk_attr': 'id', 'table_description': 'A personal API token. Only the SHA-256 of its secret is kept: the secret (256 random'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiIdempotency',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.ForeignKeyField('models.ApiToken', source_field='token_id', db_constraint=True, to_field='id', related_name='idempotency_keys', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=128)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('status', fields.IntField(null=True)),
                ('body', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_idempotency', 'app': 'models', 'unique_together': (('token', 'key'),), 'pk_attr': 'id', 'table_description': 'The first answer to a POST sent with an Idempotency-Key, replayed for its retries.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ApiRateWindow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('token', fields.ForeignKeyField('models.ApiToken', source_field='token_id', db_constraint=True, to_field='id', related_name='rate_windows', on_delete=OnDelete.CASCADE)),
                ('window_start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('count', fields.IntField(default=0)),
            ],
            options={'table': 'api_rate_window', 'app': 'models', 'unique_together': (('token', 'window_start'),), 'pk_attr': 'id', 'table_description': 'Requests one token made in one minute: the rate limit every web process shares.'},
            bases=['Model'],
        ),
    ]
