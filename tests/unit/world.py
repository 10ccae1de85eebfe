"""A small world for runner tests: a fake clock, marketplace and notifier over the test DB.

Built by the production bootstrap (bot.bootstrap), with fakes for the ports, so these tests
exercise the same wiring as ``run`` and ``demo``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.bootstrap import BootConfig, Monitor, bootstrap
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import Platform, Tier
from core.models import Account, Destination, FetchKey, Search, SearchFetchKey
from core.runner import Runner
from core.scheduling import with_key_state
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from tests.fakes.clock import FakeClock
from tests.fakes.marketplace import FakeMarketplace
from tests.fakes.notifier import RecordingNotifier


@dataclass
class World:
    clock: FakeClock
    market: FakeMarketplace
    notifier: RecordingNotifier
    searches: SearchService
    runner: Runner
    dispatcher: Dispatcher
    account: Account
    destination: Destination
    monitor: Monitor

    async def create(self, keywords: str, interval: int = 60, **criteria: object) -> Search:
        draft = SearchDraft(
            name=keywords,
            criteria=Criteria(keywords=keywords, **criteria),  # type: ignore[arg-type]
            marketplaces=("fake",),
            interval_seconds=interval,
        )
        search = await self.searches.create(self.account, self.destination, draft)
        await self.runner.prime(search)
        return search

    async def cycle(self, seconds: float = 91) -> None:
        """Let time pass, run one check round and one delivery round."""
        self.clock.advance(seconds)
        await self.runner.tick()
        await self.dispatcher.tick()

    def restart(self) -> None:
        """A new process: fresh runner and dispatcher over the same database."""
        self.monitor = build_monitor(self.clock, self.market, self.notifier)
        self.runner = self.monitor.runner
        self.dispatcher = self.monitor.dispatcher


FAST_RETRY = DispatcherOptions(retry_base_seconds=1, retry_cap_seconds=4)


def build_monitor(
    clock: FakeClock, market: FakeMarketplace, notifier: RecordingNotifier
) -> Monitor:
    return bootstrap(
        BootConfig(dispatcher=FAST_RETRY),
        marketplaces={"fake": market},
        notifiers={"console": notifier},
        tiers=TierTable.demo(fastest_seconds=60),
        clock=clock,
    )


@pytest.fixture
async def world(db: str) -> World:
    clock = FakeClock()
    market = FakeMarketplace()
    notifier = RecordingNotifier()
    account = await identify(Platform.CONSOLE, "tester")
    account.tier = Tier.BUSINESS  # room for many searches; limits have their own tests
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    monitor = build_monitor(clock, market, notifier)
    return World(
        clock=clock,
        market=market,
        notifier=notifier,
        searches=monitor.searches,
        runner=monitor.runner,
        dispatcher=monitor.dispatcher,
        account=account,
        destination=destination,
        monitor=monitor,
    )


def titles(notifier: RecordingNotifier) -> list[str]:
    return [a.listing.title for a in notifier.sent]


async def refreshed(search: Search) -> Search:
    """``search`` re-read, with its last check and error as /searches shows them (its keys')."""
    await search.refresh_from_db()
    await with_key_state([search])
    return search


async def key_of(search: Search) -> FetchKey:
    """The (first) fetch key of ``search``: where its schedule lives."""
    link = await SearchFetchKey.filter(search_id=search.id).order_by("id").first()
    assert link is not None
    return await FetchKey.get(id=link.fetch_key_id)  # type: ignore[attr-defined]
