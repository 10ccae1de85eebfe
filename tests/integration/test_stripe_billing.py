"""Paid plans end to end below the chat: the real StripeClient against the fake Stripe, its
signed webhooks into the web app, and core.billing's rules."""

from __future__ import annotations

import asyncio

import pytest

from core.enums import SearchStatus, Tier
from core.models import Account, Notice, Search, StripeEvent
from tests.integration.billing_world import billing_world, pay

pytestmark = pytest.mark.usefixtures("db")


async def test_upgrade_through_checkout_makes_the_account_pro() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        session_id = await world.checkout(account)
        created = [
            p
            for m, path, p in world.stripe.requests
            if path == "/v1/checkout/sessions" and m == "POST"
        ]
        params = created[-1]
        assert params["client_reference_id"] == str(account.id)
        assert params["subscription_data"]["metadata"]["account_id"] == str(account.id)
        assert params["success_url"].endswith("/billing/success?session_id={CHECKOUT_SESSION_ID}")
        assert params["allow_promotion_codes"] == "true"
        stored = await Account.get(id=account.id)
        assert params["customer"] == stored.stripe_customer_id  # created and stored first
        assert await pay(world, session_id) == 303
        pro = await world.tier_becomes(account.id, Tier.PRO)
        assert pro.stripe_tier is Tier.PRO and pro.subscription_status == "active"
        assert pro.period_end is not None
        await world.stripe.settle()
        texts = [n.text for n in await Notice.all()]
        assert len([t for t in texts if t.startswith("You're on Pro")]) == 1, texts


async def test_a_new_checkout_expires_the_open_one() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        first = await world.checkout(account)
        second = await world.checkout(account, Tier.STARTER)
        assert world.stripe.objects[first]["status"] == "expired"
        assert world.stripe.objects[second]["status"] == "open"


async def test_bad_missing_and_stale_signatures_are_400_and_change_nothing() -> None:
    async with billing_world() as world:
        world.stripe.hold()
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        events = list(world.stripe.queued)
        for event_id in events:
            assert await world.stripe.deliver(event_id, corrupt=True) == 400
            assert await world.stripe.deliver(event_id, stale=True) == 400
            assert await world.stripe.deliver(event_id, body_extra=b" ") == 400
        assert world.stats.signature_failures == 3 * len(events)
        assert (await Account.get(id=account.id)).tier is Tier.FREE
        assert await StripeEvent.all().count() == 0


async def test_replayed_and_reordered_events_end_in_the_current_state() -> None:
    async with billing_world() as world:
        world.stripe.hold()
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        sub_id = world.stripe.of("subscription")[0]["id"]
        world.stripe.cancel_at_period_end(sub_id)
        world.stripe.end_period(sub_id)  # the subscription ends: free again
        events = list(reversed(world.stripe.queued))
        for event_id in events:  # newest first: the worst order
            assert await world.stripe.deliver(event_id) == 200
        for event_id in events:  # and all of them again
            assert await world.stripe.replay(event_id) == 200
        account = await Account.get(id=account.id)
        assert account.tier is Tier.FREE and account.subscription_status == "canceled"
        assert await StripeEvent.all().count() == len(events)
        outcomes = {e.outcome for e in await StripeEvent.all()}
        assert "upgraded" not in outcomes  # never Pro for a moment from a stale event


async def test_cancel_at_period_end_downgrades_pausing_the_newest_searches() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        await world.tier_becomes(account.id, Tier.PRO)
        destination = (await account.destinations.all())[0]
        for i in range(4):
            await Search.create(
                account=account,
                destination=destination,
                name=f"s{i}",
                criteria={"keywords": "bike"},
                marketplaces=["ebay", "gumtree"],
                channels=["chat"],
                interval_seconds=300,
                next_check_at=account.created_at,
            )
        sub_id = world.stripe.of("subscription")[0]["id"]
        world.stripe.cancel_at_period_end(sub_id)
        await world.stripe.settle()
        ending = [n.text for n in await Notice.all() if "is cancelled" in n.text]
        assert len(ending) == 1, ending
        world.stripe.end_period(sub_id)
        await world.tier_becomes(account.id, Tier.FREE)
        await world.stripe.settle()
        searches = await Search.filter(account_id=account.id).order_by("id")
        assert [s.status for s in searches] == [SearchStatus.ACTIVE] * 2 + [SearchStatus.PAUSED] * 2
        assert all(s.paused_reason == "plan" for s in searches[2:])
        assert all(s.interval_seconds == 1800 and s.marketplaces == ["ebay"] for s in searches)
        told = [n.text for n in await Notice.all() if "Free plan now" in n.text]
        assert len(told) == 1 and "paused “s3”, “s2”" in told[0] and "gumtree" in told[0], told


async def test_failed_payment_is_told_once_and_the_plan_stays() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        await world.tier_becomes(account.id, Tier.PRO)
        sub_id = world.stripe.of("subscription")[0]["id"]
        invoice = world.stripe.fail_payment(sub_id)
        await world.stripe.settle()
        failed = [e["id"] for e in world.stripe.events if e["type"] == "invoice.payment_failed"]
        await world.stripe.replay(failed[0])
        told = [n.text for n in await Notice.all() if "didn't go through" in n.text]
        assert len(told) == 1 and f"{world.stripe.url}/portal/" in told[0]
        assert invoice["id"]
        account = await Account.get(id=account.id)
        assert account.tier is Tier.PRO and account.subscription_status == "past_due"
        world.stripe.give_up(sub_id)
        await world.tier_becomes(account.id, Tier.FREE)


async def test_unknown_customer_and_unknown_types_are_200() -> None:
    async with billing_world() as world:
        world.stripe.dispute("cus_nobody")
        await world.stripe.settle()
        assert [d.status for d in world.stripe.deliveries] == [200]
        assert (await StripeEvent.get()).outcome == "dispute"


async def test_a_comped_tier_is_never_lowered_by_stripe() -> None:
    from core.billing import set_comp
    from core.tiers import TierTable

    async with billing_world() as world:
        account = await world.new_account()
        await set_comp(account.id, Tier.BUSINESS, TierTable.default())
        await pay(world, await world.checkout(account, Tier.STARTER))
        await world.stripe.settle()
        account = await Account.get(id=account.id)
        assert account.tier is Tier.BUSINESS and account.stripe_tier is Tier.STARTER
        world.stripe.give_up(world.stripe.of("subscription")[0]["id"])
        await world.stripe.settle()
        await asyncio.sleep(0.1)
        assert (await Account.get(id=account.id)).tier is Tier.BUSINESS


async def test_two_live_subscriptions_keep_the_newer_and_cancel_the_older() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        world.stripe.hold()
        first = await world.checkout(account)
        # Two tabs: the first session is expired by the second /upgrade, but it was paid
        # in the other tab a moment before (Stripe lets a racing payment through).
        await pay(world, first)
        second_url, _ = await world.service.checkout_url(account.id, Tier.BUSINESS)
        await pay(world, second_url.rsplit("/", 1)[1])
        older, newer = sorted(world.stripe.of("subscription"), key=lambda s: s["created"])
        newer["created"] = older["created"] + 1
        for event_id in list(world.stripe.queued):
            await world.stripe.deliver(event_id)
        world.stripe.release()
        await world.stripe.settle()
        account = await Account.get(id=account.id)
        assert account.stripe_subscription_id == newer["id"] and account.tier is Tier.BUSINESS
        assert older["status"] == "canceled" and newer["status"] == "active"


async def test_stripe_errors_become_payment_errors() -> None:
    from billing.stripe_gateway import StripeGateway, stripe_client
    from core.errors import PaymentError
    from tests.fakes.stripe_api import running_stripe

    async with (
        running_stripe() as fake,
        stripe_client("sk_test_wrong", fake.url, timeout_seconds=2) as client,
    ):
        with pytest.raises(PaymentError) as refused:
            await StripeGateway(client).create_customer(1)
        assert not refused.value.temporary
    async with stripe_client("sk_test_x", "http://127.0.0.1:9", timeout_seconds=1) as client:
        with pytest.raises(PaymentError) as unreachable:
            await StripeGateway(client).create_customer(1)
        assert unreachable.value.temporary


async def test_a_retried_create_makes_one_customer() -> None:
    async with billing_world() as world:
        account = await world.new_account()
        gateway = world.service.gateway
        first = await gateway.create_customer(account.id)
        again = await gateway.create_customer(account.id)  # same idempotency key
        assert first == again and len(world.stripe.of("customer")) == 1


async def test_a_crash_before_the_effect_leaves_the_event_for_stripes_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.billing

    real = core.billing.queue_notice
    crashes = [1]

    async def crash_once(*args: object, **kwargs: object) -> None:
        if crashes:
            crashes.pop()
            raise RuntimeError("process died mid-way")
        await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(core.billing, "queue_notice", crash_once)
    async with billing_world() as world:
        world.stripe.hold()
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        paid = next(e["id"] for e in world.stripe.events if e["type"] == "invoice.paid")
        assert await world.stripe.deliver(paid) == 500  # the upgrade's notice failed
        assert not await StripeEvent.filter(event_id=paid).exists()  # rolled back together
        assert (await Account.get(id=account.id)).tier is Tier.FREE
        assert await world.stripe.replay(paid) == 200  # Stripe's retry does the work
        assert (await Account.get(id=account.id)).tier is Tier.PRO
        assert len([n for n in await Notice.all() if n.text.startswith("You're on Pro")]) == 1


async def test_billing_figures_on_metrics() -> None:
    from prometheus_client import generate_latest

    async with billing_world() as world:
        account = await world.new_account()
        await pay(world, await world.checkout(account))
        await world.tier_becomes(account.id, Tier.PRO)
        await world.stripe.settle()
        paid = next(e["id"] for e in world.stripe.events if e["type"] == "invoice.paid")
        await world.stripe.deliver(paid, corrupt=True)
        assert world.service.metrics is not None
        text = generate_latest(world.service.metrics.registry).decode()
        assert 'monitor_subscriptions_active{tier="pro"} 1.0' in text
        assert 'monitor_stripe_events_total{outcome="upgraded",type=' in text
        assert "monitor_stripe_signature_failures_total 1.0" in text


async def test_the_fake_refuses_a_reused_idempotency_key_as_stripe_does() -> None:
    import stripe

    from billing.stripe_gateway import stripe_client
    from tests.fakes.stripe_api import SECRET_KEY, running_stripe

    async with running_stripe() as fake, stripe_client(SECRET_KEY, fake.url) as client:
        options: dict[str, str] = {"idempotency_key": "k1"}
        first = await client.v1.customers.create_async(
            params={"email": "a@example.com"}, options=options
        )  # type: ignore[arg-type]
        again = await client.v1.customers.create_async(
            params={"email": "a@example.com"}, options=options
        )  # type: ignore[arg-type]
        assert first.id == again.id
        with pytest.raises(stripe.IdempotencyError):
            await client.v1.customers.create_async(
                params={"email": "b@example.com"}, options=options
            )  # type: ignore[arg-type]
