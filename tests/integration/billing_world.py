"""A billing set-up for tests: the fake Stripe, the real StripeClient, the web app with the
webhook, and the core service, wired as bot/app.py wires them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from billing.setup import stripe_setup
from billing.stripe_gateway import StripeGateway, stripe_client
from core import accounts
from core.billing import BillingService
from core.enums import Platform, Tier
from core.metrics import Metrics
from core.models import Account
from core.tiers import TierTable
from tests.fakes.local_server import LocalServer
from tests.fakes.stripe_api import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, running_stripe
from web.billing import WebhookStats, add_billing_routes

PUBLIC = "http://127.0.0.1:9"  # only used in URLs we hand to Stripe


@dataclass
class BillingWorld:
    stripe: FakeStripe
    service: BillingService
    stats: WebhookStats
    web_url: str
    prices: dict[Tier, str]

    async def new_account(self, user: str = "1") -> Account:
        account = await accounts.identify(Platform.CONSOLE, user, "someone")
        await accounts.destination_for(account, Platform.CONSOLE, f"chat-{user}")
        return account

    async def checkout(self, account: Account, tier: Tier = Tier.PRO) -> str:
        url, portal = await self.service.checkout_url(account.id, tier)
        assert not portal
        return url.rsplit("/", 1)[1]

    async def tier_becomes(self, account_id: int, tier: Tier, seconds: float = 5.0) -> Account:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            account = await Account.get(id=account_id)
            if account.tier is tier:
                return account
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"tier is {account.tier}, not {tier}")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def billing_world(**fake_options: object) -> AsyncIterator[BillingWorld]:
    async with AsyncExitStack() as stack:
        fake = await stack.enter_async_context(running_stripe(**fake_options))  # type: ignore[arg-type]
        client = await stack.enter_async_context(
            stripe_client(SECRET_KEY, fake.url, timeout_seconds=5)
        )
        tiers = TierTable.default()
        setup = await stripe_setup(client, tiers, overrides={}, return_url=PUBLIC)
        service = BillingService(
            StripeGateway(client), setup.prices, tiers, PUBLIC, metrics=Metrics()
        )
        stats = WebhookStats()
        app = web.Application()
        add_billing_routes(app, service, webhook_secret=WEBHOOK_SECRET, tiers=tiers, stats=stats)
        server = LocalServer(app)
        await server.start()
        fake.webhook_url = f"{server.url}/stripe/webhook"
        try:
            yield BillingWorld(fake, service, stats, server.url, setup.prices)
        finally:
            await fake.settle()
            await server.close()


async def pay(world: BillingWorld, session_id: str, card: str = "4242424242424242") -> int:
    """The customer's browser: submit the hosted pay page's form."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{world.stripe.url}/pay/{session_id}", data={"card": card}, allow_redirects=False
        ) as resp,
    ):
        return resp.status
