from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import Platform
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_fetchkey')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='CONSOLE: console\nTELEGRAM: telegram\nDISCORD: discord', enum_type=Platform, max_length=16)),
                ('chat_key', fields.CharField(max_length=64)),
                ('user_key', fields.CharField(max_length=64)),
                ('schema_version', fields.IntField()),
                ('version', fields.IntField(default=1)),
                ('state', fields.TextField()),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'conversation', 'app': 'models', 'unique_together': (('platform', 'chat_key', 'user_key'),), 'pk_attr': 'id', 'table_description': 'A chat conversation in progress (core.conversations), per (platform, chat, user).'},
            bases=['Model'],
        ),
    ]
