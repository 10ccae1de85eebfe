from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [('models', '0017_scale')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SavedListing',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('account', fields.ForeignKeyField('models.Account', source_field='account_id', db_constraint=True, to_field='id', related_name='saved_listings', on_delete=OnDelete.CASCADE)),
                ('listing', fields.ForeignKeyField('models.Listing', source_field='listing_id', db_constraint=True, to_field='id', related_name='saved_by', on_delete=OnDelete.CASCADE)),
                ('search_name', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'saved_listing', 'app': 'models', 'unique_together': (('account', 'listing'),), 'pk_attr': 'id', 'table_description': 'A listing one person saved from an alert in a shared chat (issue 12): the alert\'s match'},
            bases=['Model'],
        ),
    ]
