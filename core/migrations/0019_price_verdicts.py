"""Is it a deal? (issue 16): the bounded price samples per item, the items, "not a deal"
presses, and the verdict an alert was queued with."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0018_saved_listing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PriceFeedback',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('match', fields.ForeignKeyField('models.Match', source_field='match_id', db_constraint=True, to_field='id', related_name='price_feedback', on_delete=OnDelete.CASCADE)),
                ('account_id', fields.IntField()),
                ('verdict_kind', fields.CharField(max_length=8)),
                ('percent', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'price_feedback', 'app': 'models', 'unique_together': (('match', 'account_id'),), 'pk_attr': 'id', 'table_description': 'A "not a deal" press on a verdict alert (issue 16): one per match and account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PriceItem',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('digest', fields.CharField(unique=True, max_length=40)),
                ('marketplace', fields.CharField(max_length=32)),
                ('keywords', fields.CharField(max_length=512)),
                ('site', fields.CharField(default='', max_length=256)),
                ('condition', fields.CharField(max_length=16)),
                ('currency', fields.CharField(max_length=3)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'price_item', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What an item is, for /prices (issue 16): its marketplace, keywords and currency.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PriceSample',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('item', fields.CharField(max_length=40)),
                ('seen', fields.CharField(max_length=300)),
                ('listing_id', fields.IntField()),
                ('price', fields.DecimalField(max_digits=12, decimal_places=2)),
                ('seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'price_sample', 'app': 'models', 'unique_together': (('item', 'seen'),), 'indexes': [Index(fields=['item', 'seen_at'], name='price_sample_item_idx')], 'pk_attr': 'id', 'table_description': 'One recent asking price of an item (issue 16, core.prices): the bounded sample the'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Alert',
            name='verdict',
            field=fields.TextField(null=True, unique=False),
        ),
        ops.AddField(
            model_name='Alert',
            name='verdict_kind',
            field=fields.CharField(null=True, max_length=8),
        ),
    ]
