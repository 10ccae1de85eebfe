from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import Platform
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_billing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ManagerRole',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharEnumField(description='CONSOLE: console\nTELEGRAM: telegram\nDISCORD: discord', enum_type=Platform, max_length=16)),
                ('scope_id', fields.CharField(max_length=64)),
                ('role_id', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'manager_role', 'app': 'models', 'unique_together': (('platform', 'scope_id'),), 'pk_attr': 'id', 'table_description': "A role whose members manage a server's searches besides its Manage Server members"},
            bases=['Model'],
        ),
    ]
