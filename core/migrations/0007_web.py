from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_sqlite_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='email_link_version',
            field=fields.IntField(default=0),
        ),
    ]
