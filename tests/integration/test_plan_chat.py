"""/plan and /upgrade in the neutral conversation, over the real Stripe gateway and fake."""

from __future__ import annotations

import pytest

from bot.conversation import ChatServices, ChatSession
from bot.conversation.actions import Act, Action, decode
from bot.conversation.pressed import act
from core.enums import Tier
from core.searches import SearchService
from core.tiers import TierTable
from tests.integration.billing_world import BillingWorld, billing_world, pay

pytestmark = pytest.mark.usefixtures("db")


async def _session(world: BillingWorld) -> ChatSession:
    account = await world.new_account()
    destination = (await account.destinations.all())[0]
    services = ChatServices(SearchService(TierTable.default(), ["ebay"]), billing=world.service)
    return ChatSession(services, account, destination)


async def test_upgrade_shows_the_plans_and_a_payment_link() -> None:
    async with billing_world() as world:
        session = await _session(world)
        [plans] = await session.handle("/upgrade")
        assert "Pro" in plans.text and "£24.99/month" in plans.text
        pro = next(b for b in plans.buttons if b.label.startswith("Pro"))
        assert pro.action is not None and decode(pro.action.encode()) == pro.action
        pressed = await act(session, pro.action)
        [link] = pressed.replies
        assert link.buttons[0].url.startswith(f"{world.stripe.url}/pay/cs_test_")
        session_id = link.buttons[0].url.rsplit("/", 1)[1]
        assert await pay(world, session_id) == 303
        await world.tier_becomes(session.account.id, Tier.PRO)
        [shown] = await session.handle("/plan")
        assert "Your plan: Pro" in shown.text and "Searches: 0 of 25" in shown.text
        assert "Renews on" in shown.text and "SMS alerts this month: 0 of 200" in shown.text
        manage = next(b for b in shown.buttons if b.label == "Manage billing")
        assert manage.action == Action(Act.BILLING_PORTAL)
        [again] = await session.handle("/upgrade")  # a subscriber: the portal, not a 2nd sub
        assert again.buttons[0].url.startswith(f"{world.stripe.url}/portal/")


async def test_plan_without_billing_says_so() -> None:
    async with billing_world() as world:
        session = await _session(world)
        session.services = ChatServices(session.services.searches)
        [shown] = await session.handle("/plan")
        assert "aren't available" in shown.text


async def test_delete_account_cancels_the_subscription() -> None:
    async with billing_world() as world:
        session = await _session(world)
        session_id = await world.checkout(session.account)
        await pay(world, session_id)
        await world.tier_becomes(session.account.id, Tier.PRO)
        await session.handle("/deleteaccount")
        await session.handle("yes")
        [sub] = world.stripe.of("subscription")
        assert sub["status"] == "canceled"


async def test_searches_a_downgrade_paused_are_offered_back_but_not_the_users_own() -> None:
    from core.billing import set_comp
    from core.models import Search

    async with billing_world() as world:
        session = await _session(world)
        account, destination = session.account, session.destination
        tiers = TierTable.default()
        await set_comp(account.id, Tier.PRO, tiers)
        for i in range(4):
            await Search.create(
                account_id=account.id, destination_id=destination.id, name=f"s{i}",
                criteria={"keywords": "bike"}, marketplaces=["ebay"], channels=["chat"],
                interval_seconds=1800, next_check_at=account.created_at,
            )  # fmt: skip
        own = await Search.filter(name="s0").first()
        assert own is not None
        await session.services.searches.pause(account, own.id)  # the user's own pause
        await set_comp(account.id, None, tiers)  # back to Free: 2 searches
        paused = await Search.filter(paused_reason="plan").order_by("id")
        assert [s.name for s in paused] == ["s3"]
        await set_comp(account.id, Tier.PRO, tiers)
        [shown] = await session.handle("/plan")
        resume = next(b for b in shown.buttons if b.label.startswith("Resume the 1 search"))
        assert resume.action is not None
        pressed = await act(session, resume.action)
        assert pressed.toast == "1 search(es) running again."
        statuses = {s.name: s.status.value for s in await Search.all()}
        assert statuses == {"s0": "paused", "s1": "active", "s2": "active", "s3": "active"}
