from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_sqlite_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Alert',
            name='claim_token',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Notice',
            name='claim_token',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
