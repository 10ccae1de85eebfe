"""Issue 16 end to end over the sandbox marketplace (real local HTTP): listings posted to the
sandbox build the usual price as the runner fetches them; a planted bargain then alerts with
"under the usual", and a deals-only search sharing the fetch skips the ordinary listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.bootstrap import BootConfig, Monitor, bootstrap
from bot.conversation import alert_lines
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.models import Search
from core.searches import SearchDraft
from core.tiers import TierTable
from scrapers import SandboxConfig, SandboxMarketplace
from scrapers.sandbox import running_sandbox
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import RecordingNotifier
from tests.unit.world import FAST_RETRY


@dataclass
class Shop:
    monitor: Monitor
    notifier: RecordingNotifier
    clock: FakeClock
    http: aiohttp.ClientSession
    base: str

    async def post(self, title: str, price: str, seller: str) -> None:
        body = {"title": title, "price": price, "seller": seller, "location": "York"}
        async with self.http.post(f"{self.base}/api/listings", json=body) as response:
            assert response.status == 201, await response.text()

    async def cycle(self) -> None:
        self.clock.advance(91)
        await self.monitor.runner.tick()
        await self.monitor.dispatcher.tick()


@pytest.fixture
async def shop(db: str) -> AsyncIterator[Shop]:
    clock = FakeClock()
    notifier = RecordingNotifier()
    config = SandboxConfig(listings_per_minute=0.0, initial_stock=0)
    async with running_sandbox(config) as base, aiohttp.ClientSession() as http:
        monitor = bootstrap(
            BootConfig(dispatcher=FAST_RETRY),
            marketplaces={"sandbox": SandboxMarketplace(http, base)},
            notifiers={"console": notifier},
            tiers=TierTable.demo(fastest_seconds=60),
            clock=clock,
        )
        yield Shop(monitor, notifier, clock, http, base)


async def _search(shop: Shop, name: str, criteria: Criteria) -> Search:
    account = await identify(Platform.CONSOLE, "hunter")
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    draft = SearchDraft(name, criteria, ("sandbox",), 60)
    search = await shop.monitor.searches.create(account, destination, draft)
    await shop.monitor.runner.prime(search)
    return search


async def test_a_planted_bargain_says_under_the_usual_and_deals_only_skips_the_ordinary(
    shop: Shop,
) -> None:
    # Thirty lamps at their usual £36–£44, and a case nobody should count.
    for n in range(30):
        await shop.post(f"Zebra lamp, retro, no. {n}", str(36 + (n * 7) % 9), f"seller{n}")
    await shop.post("Zebra lamp shade only", "6", "bits_and_bobs")
    plain = await _search(shop, "Lamps", Criteria(keywords="zebra lamp"))
    picky = await _search(
        shop, "Lamp deals", Criteria(keywords="zebra lamp", deals_only_percent=20)
    )
    await shop.post("Zebra lamp, retro, moving sale", "24", "mover")  # the bargain
    await shop.post("Zebra lamp, retro, as new", "41", "someone")  # an ordinary one
    await shop.cycle()
    by_search: dict[int, list[str]] = {}
    for alert in shop.notifier.sent:
        now = alert.listing.posted_at or datetime.now(UTC)
        by_search.setdefault(alert.search_id, []).append("\n".join(alert_lines(alert, now)))
    plain_lines = sorted(by_search[plain.id])
    assert len(plain_lines) == 2
    bargain = next(text for text in plain_lines if "moving sale" in text)
    # 30 lamps and the ordinary newcomer; the £6 shade is far off, the bargain not its own
    assert "£24 · 40 % under the usual £40 (31 listings, 30 days)" in bargain
    ordinary = next(text for text in plain_lines if "as new" in text)
    assert "about the usual price" in ordinary
    # The deals-only search shares the fetch: it heard of the bargain only.
    [picked] = by_search[picky.id]
    assert "moving sale" in picked and "under the usual" in picked
