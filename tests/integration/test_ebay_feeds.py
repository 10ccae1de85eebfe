"""eBay category feeds through the production path: EbayMarketplace's aiohttp client
against the fake Browse API with a category model (tests/fakes/ebay_catalogue.py), the
runner and the database. A search served by a feed must get exactly what its own query
would have got: compared with a second EbayMarketplace that polls every query itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Condition, Platform, Tier
from core.feeds import DatabaseFeedHost
from core.matching import matches
from core.models import FetchKey, Match, QueryCategory, Search
from core.ports import KeyDemand, MarketplaceQuery
from core.quota import DailyQuota
from core.runner import Runner
from core.scheduling import with_key_state
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.ebay import EbayMarketplace
from scrapers.ebay.feeds import signature
from scrapers.ebay.sites import site_for
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi, item
from tests.fakes.ebay_catalogue import CategoryCatalogue
from tests.fakes.feed_host import MemoryFeedHost

PHONES, CASES, CONSOLES = "9355", "20349", "139971"


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def model() -> CategoryCatalogue:
    catalogue = CategoryCatalogue(parents={PHONES: "15032", CASES: "15032", CONSOLES: "1249"})
    catalogue.vocabulary = {
        PHONES: frozenset({"iphone", "13", "14", "15", "samsung", "s22", "pixel", "7"}),
        CASES: frozenset({"iphone", "13", "14", "15", "case"}),
        CONSOLES: frozenset({"ps5", "xbox", "switch", "oled"}),
    }
    catalogue.common_words = frozenset({"boxed", "used"})
    return catalogue


class Listings:
    """New listings, numbered and dated one second apart from ``clock``."""

    def __init__(self, catalogue: CategoryCatalogue, clock: FakeClock) -> None:
        self.catalogue, self.clock, self.number = catalogue, clock, 0

    def add(self, title: str, leaf: str = PHONES, *, price: str = "100.00", **extra: Any) -> str:
        self.number += 1
        created = self.clock() - timedelta(seconds=1000 - self.number)
        self.catalogue.add(item(self.number, title, stamp(created), price=price, **extra), leaf)
        return f"v1|{self.number}|0"


CRITERIA = [
    Criteria(keywords="iphone 13"),
    Criteria(keywords="iphone 14", max_price=Decimal(150)),
    Criteria(keywords="iphone 15", condition=Condition.USED),
    Criteria(keywords="samsung s22"),
    Criteria(keywords="pixel 7", exclude=("spares",)),
    Criteria(keywords="ps5"),
]


def history(listings: Listings) -> None:
    for title in ("iPhone 13 128GB", "iPhone 13 case", "iPhone 14 Pro", "iPhone 15 used",
                  "Samsung S22", "Pixel 7 boxed"):  # fmt: skip
        listings.add(title, CASES if "case" in title else PHONES, conditionId="3000")
    listings.add("PS5 disc", CONSOLES)


def arrivals(listings: Listings) -> None:
    """What arrives after the searches were primed: each search's edge cases."""
    listings.add("Apple iPhone 13 mini", conditionId="1000")
    listings.add("iPhone 13 leather case", CASES)  # a case: the iphone 13 search wants it too
    listings.add("iPhone 14 boxed", price="120.00")
    listings.add("iPhone 14 boxed", price="199.00")  # over the cap: upstream filters it
    listings.add("iPhone 15 sealed", conditionId="1000")  # new: the used search's filter
    listings.add("iPhone 15 scratched", conditionId="3000")
    listings.add("iPhone 15 as is")  # condition not given: eBay's USED filter drops it
    listings.add("Samsung phone", shortDescription="an S22 in good order")  # description only
    listings.add("Pixel 7 for spares")  # excluded locally
    listings.add("Pixel 7 mint")
    listings.add("PS5 slim", CONSOLES)


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi(model=model())


@pytest.fixture
async def api_url(fake: FakeEbayApi) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


def make_ebay(
    session: aiohttp.ClientSession, api_url: str, clock: FakeClock, **options: Any
) -> EbayMarketplace:
    return EbayMarketplace(
        session,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=api_url,
        min_interval_seconds=0.0,
        clock=clock,
        quota=DailyQuota("ebay", 5000, clock=clock),
        batching=False,
        **options,
    )


def feed_reads(fake: FakeEbayApi) -> list[dict[str, str]]:
    return [dict(r.query) for r in fake.searches if "category_ids" in r.query]


def own_searches(fake: FakeEbayApi) -> list[dict[str, str]]:
    return [dict(r.query) for r in fake.searches if "category_ids" not in r.query]


async def test_feeds_answer_queries_as_their_own_requests_would(
    db: str, session: aiohttp.ClientSession, api_url: str, fake: FakeEbayApi
) -> None:
    assert fake.model is not None
    clock = FakeClock()
    listings = Listings(fake.model, clock)
    history(listings)
    queries = [MarketplaceQuery("ebay", c.keywords, max_price=c.max_price,
                                condition=c.condition) for c in CRITERIA]  # fmt: skip
    host = MemoryFeedHost([KeyDemand(f"d{n}", q, 300, "pro") for n, q in enumerate(queries)])
    ebay = make_ebay(session, api_url, clock, feeds=host)
    solo = make_ebay(session, api_url, clock)
    assert ebay.feeds is not None
    for query in queries:  # each query's first check is its own request: it learns
        await ebay.search(query)
    assert len(host.stored) == len(queries)
    assert host.stored[signature(queries[0], site_for("EBAY_GB"))].counts == {
        PHONES: 0.5,
        CASES: 0.5,
    }
    await ebay.feeds.step()
    assert set(ebay.feeds.feeds) == {"15032"}  # phones and cases: their parent, one page
    assert all(ebay.feeds.serves(q) for q in queries[:5])
    assert not ebay.feeds.serves(queries[5])  # one console query: cheaper polled
    before = {q: {x.external_id for x in await solo.search(q)} for q in queries}
    clock.advance(300)
    arrivals(listings)
    reads = len(feed_reads(fake))
    await ebay.feeds.step()
    assert len(feed_reads(fake)) == reads + 1
    assert sorted(host.woken) == ["d0", "d1", "d2", "d4"]
    polled = len(own_searches(fake))
    for criteria, query in zip(CRITERIA[:5], queries[:5], strict=True):
        got = [x for x in await ebay.search(query) if matches(criteria, x, clock())]
        own = [x for x in await solo.search(query) if matches(criteria, x, clock())]
        new = {x.external_id for x in own} - before[query]
        assert {x.external_id for x in got} - before[query] == new, criteria.keywords
    assert len(own_searches(fake)) == polled + 5  # only the solo marketplace's calls
    assert all(r["sort"] == "newlyListed" and "q" not in r for r in feed_reads(fake))


async def test_a_query_without_listings_yet_asks_for_category_suggestions(
    db: str, session: aiohttp.ClientSession, api_url: str, fake: FakeEbayApi
) -> None:
    clock = FakeClock()
    host = MemoryFeedHost()
    ebay = make_ebay(session, api_url, clock, feeds=host)
    query = MarketplaceQuery("ebay", "Xbox OLED")
    assert await ebay.search(query) == []
    assert [r.query["q"] for r in fake.suggest_requests] == ["xbox oled"]
    assert fake.suggest_requests[0].path.endswith("/category_tree/3/get_category_suggestions")
    stored = host.stored[signature(query, site_for("EBAY_GB"))]
    assert stored.counts == {CONSOLES: 1.0}


async def test_the_runner_alerts_from_a_feed_without_a_call_per_search(
    db: str, session: aiohttp.ClientSession, api_url: str, fake: FakeEbayApi
) -> None:
    assert fake.model is not None
    clock = FakeClock()
    listings = Listings(fake.model, clock)
    history(listings)
    ebay = make_ebay(session, api_url, clock, feeds=DatabaseFeedHost(clock))
    assert ebay.feeds is not None
    account = await identify(Platform.CONSOLE, "feeds")
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    service = SearchService(TierTable.demo(fastest_seconds=60), {"ebay": ebay}, clock=clock)
    runner = Runner({"ebay": ebay}, clock=clock)
    ids = {}
    for criteria in CRITERIA:
        draft = SearchDraft(criteria.keywords, criteria, ("ebay",), interval_seconds=60)
        ids[criteria.keywords] = (await service.create(account, destination, draft)).id
    assert await runner.tick() == len(CRITERIA)  # first checks: each its own request
    assert await QueryCategory.filter(marketplace="ebay").count() == len(CRITERIA)
    await ebay.feeds.step()  # plans from the keys in the database: one feed
    assert set(ebay.feeds.feeds) == {"15032"}
    clock.advance(30)
    assert await runner.tick() == 0  # nothing due yet
    arrivals(listings)
    calls = len(fake.searches)
    clock.advance(30)
    assert await ebay.feeds.step() == 4  # the feed is due (60 s): keys with news woken
    assert await runner.tick() >= 4  # the woken keys (and any due on their own schedule)
    new = [dict(r.query) for r in fake.searches[calls:]]
    # The feed's one read, and at most the polled ps5 key's own request: no call for the
    # searches the feed serves.
    assert [r["category_ids"] for r in new if "category_ids" in r] == ["15032"]
    assert {r["q"] for r in new if "q" in r} <= {"ps5"}
    found = {
        keywords: sorted(
            await Match.filter(search_id=search_id).values_list("listing__title", flat=True)
        )
        for keywords, search_id in ids.items()
    }
    assert found["iphone 13"] == ["Apple iPhone 13 mini", "iPhone 13 leather case"]
    assert found["iphone 14"] == ["iPhone 14 boxed"]
    assert found["iphone 15"] == ["iPhone 15 scratched"]
    assert found["samsung s22"] == []
    assert found["pixel 7"] == ["Pixel 7 mint"]


async def test_over_budget_free_searches_slow_down_and_say_so(
    db: str, session: aiohttp.ClientSession, api_url: str, fake: FakeEbayApi
) -> None:
    assert fake.model is not None
    clock = FakeClock()
    history(Listings(fake.model, clock))
    # 50 calls a day (45 planned) for two free searches owed a check every 30 min (96).
    ebay = make_ebay(session, api_url, clock, feeds=DatabaseFeedHost(clock), daily_calls=50)
    assert ebay.feeds is not None
    account = await identify(Platform.CONSOLE, "slowed")
    destination = await destination_for(account, Platform.CONSOLE, "console")
    service = SearchService(TierTable.default(), {"ebay": ebay}, clock=clock)
    runner = Runner({"ebay": ebay}, clock=clock)
    created = []
    for keywords in ("ps5", "samsung s22"):
        draft = SearchDraft(keywords, Criteria(keywords=keywords), ("ebay",), 1800)
        created.append(await service.create(account, destination, draft))
    assert await runner.tick() == 2
    found = await ebay.feeds.replan()
    assert found.slowed("free") == pytest.approx(96 / 45, rel=0.01)
    calls = len(fake.searches)
    clock.advance(2700)  # due on their 30-minute grid
    assert await runner.tick() == 2
    assert len(fake.searches) == calls  # not yet: the plan gives them about 64 min
    keys = await FetchKey.filter().values_list("last_error", "consecutive_failures")
    assert all(e.startswith("Slowed: ") and "free plan" in e and n == 0 for e, n in keys)
    assert runner.breakers["ebay"].allow(clock())  # not the marketplace failing
    shown = await with_key_state(await Search.filter(id__in=[s.id for s in created]))
    assert all(s.last_error and "checked every 64 min" in s.last_error for s in shown)
    clock.advance(3900 - 2700)
    assert await runner.tick() == 2
    assert len(fake.searches) == calls + 2  # at the planned pace
