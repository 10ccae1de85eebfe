"""Property: however Stripe orders and repeats one subscription's events, the account ends
on the plan the in-order sequence gives (the rules re-read the subscription's state)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.enums import Tier
from core.models import Account, Notice, Search, StripeEvent
from tests.integration.billing_world import BillingWorld, billing_world, pay

_USERS = itertools.count()
STEPS = ("cancel_at_period_end", "fail_payment", "renew", "change_to_business", "give_up")


async def _story(world: BillingWorld, steps: list[str]) -> None:
    """What happens on Stripe's side after the first payment."""
    sub_id = world.stripe.of("subscription")[0]["id"]
    for step in steps:
        sub = world.stripe.objects[sub_id]
        if sub["status"] == "canceled":
            return
        if step == "cancel_at_period_end":
            world.stripe.cancel_at_period_end(sub_id)
        elif step == "fail_payment":
            world.stripe.fail_payment(sub_id)
        elif step == "renew":
            world.stripe.end_period(sub_id)
        elif step == "change_to_business":
            world.stripe.change_price(sub_id, world.prices[Tier.BUSINESS])
        else:
            world.stripe.give_up(sub_id)


async def _reset(account_id: int) -> None:
    await StripeEvent.all().delete()
    await Notice.all().delete()
    await Search.filter(account_id=account_id).delete()
    await Account.filter(id=account_id).update(
        tier=Tier.FREE, stripe_tier=None, stripe_subscription_id=None, subscription_status=None,
        subscription_created=None, period_end=None, cancel_at_period_end=False,
    )  # fmt: skip


async def _final(world: BillingWorld, account_id: int, order: list[str]) -> tuple[Tier, str | None]:
    await _reset(account_id)
    for event_id in order:
        assert await world.stripe.deliver(event_id) == 200
    account = await Account.get(id=account_id)
    return account.tier, account.subscription_status


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(st.sampled_from(STEPS), max_size=4),
    data=st.data(),
)
async def test_any_order_and_repeats_end_on_the_in_order_plan(
    db: str, steps: list[str], data: st.DataObject
) -> None:
    async with billing_world() as world:
        world.stripe.hold()
        account = await world.new_account(f"p{next(_USERS)}")  # a new fake: a new customer
        await pay(world, await world.checkout(account))
        await _story(world, steps)
        events = [e["id"] for e in world.stripe.events if e["type"] != "checkout.session.expired"]
        in_order = await _final(world, account.id, events)
        shuffled = data.draw(st.permutations(events))
        repeats = data.draw(st.lists(st.sampled_from(events), max_size=len(events)))
        mixed = data.draw(st.permutations(shuffled + repeats))
        assert await _final(world, account.id, mixed) == in_order
