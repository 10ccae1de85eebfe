from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_price_verdicts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='QueryCategory',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('marketplace', fields.CharField(max_length=32)),
                ('signature', fields.CharField(max_length=255)),
                ('counts', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('refreshed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'query_category', 'app': 'models', 'unique_together': (('marketplace', 'signature'),), 'pk_attr': 'id', 'table_description': "Where one distinct query's listings fall (issue 18): leaf category id → weight of"},
            bases=['Model'],
        ),
    ]
