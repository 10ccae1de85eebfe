from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0004_delivery')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Match',
            options={'table': 'match', 'app': 'models', 'unique_together': (('search', 'listing'),), 'indexes': [Index(fields=['search_id', 'status'], name='match_status_idx')], 'pk_attr': 'id', 'table_description': 'A listing that satisfied a search after the search existed: it was (or is) alerted.'},
        ),
        ops.RemoveField(model_name='Match', name='baseline'),
        ops.AddField(
            model_name='Search',
            name='primed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RemoveField(model_name='Search', name='primed'),
    ]
