from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0007_outbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='email_link_version',
            field=fields.IntField(default=0),
        ),
    ]
