"""Billing (issue 11): where an account's tier comes from, the subscription's state, the
SMS allowance's count, why a search was paused, and each Stripe event's outcome.

Tiers set before billing existed (by hand, the demo) become comps, so that no Stripe event
can lower them: the account's tier is the higher of its comp and its paid tier.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from core.enums import Tier
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0013_currency')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Account',
            name='cancel_at_period_end',
            field=fields.BooleanField(default=False, db_default=False),
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
            field=fields.CharField(default='', db_default='', max_length=7),
        ),
        ops.AddField(
            model_name='Account',
            name='sms_sent',
            field=fields.IntField(default=0, db_default=0),
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
            field=fields.CharField(default='', db_default='', max_length=32),
        ),
        ops.RunSQL(
            "UPDATE account SET comp_tier = tier WHERE tier <> 'free'",
            "UPDATE account SET comp_tier = NULL",
        ),
    ]
