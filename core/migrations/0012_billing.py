from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import Tier
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_frontdoor')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='cancel_at_period_end',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Account',
            name='comp_tier',
            field=fields.CharEnumField(null=True, description='FREE: free\nSTARTER: starter\nPRO: pro\nBUSINESS: business', enum_type=Tier, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='period_end',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Account',
            name='sms_month',
            field=fields.CharField(default='', max_length=7),
        ),
        ops.AddField(
            model_name='Account',
            name='sms_sent',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='Account',
            name='stripe_tier',
            field=fields.CharEnumField(null=True, description='FREE: free\nSTARTER: starter\nPRO: pro\nBUSINESS: business', enum_type=Tier, max_length=16),
        ),
        ops.AddField(
            model_name='Account',
            name='subscription_created',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Account',
            name='subscription_status',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Search',
            name='paused_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Search',
            name='paused_reason',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='StripeEvent',
            name='outcome',
            field=fields.CharField(default='', max_length=32),
        ),
    ]
