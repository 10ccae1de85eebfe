"""eBay batching: concurrent searches share one Browse request through the OR syntax ``(a, b)``.

The fake eBay API answers from a catalogue as Browse does (AND by spaces, OR in parentheses,
newest first, ``total`` and ``next``), so each caller's items can be compared with what the
same search gets with batching off.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.errors import RateLimited, Unavailable
from core.models import MarketplaceState
from core.ports import ListingData, MarketplaceQuery
from core.quota import DailyQuota
from core.runner import Runner
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.ebay import DEFAULT_DAILY_CALL_QUOTA, EbayMarketplace
from scrapers.ebay.batching import mergeable_words, merged_q
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi, item


def query(keywords: str, **fields: Any) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="ebay", keywords=keywords, **fields)


def when(minute: int) -> str:
    """Creation dates: a higher minute is newer."""
    return f"2026-01-05T{minute // 60:02d}:{minute % 60:02d}:00.000Z"


CATALOGUE = [
    item(1, "Apple iPhone 13 128GB Midnight unlocked", when(50)),
    item(2, "iPhone 14 Pro 256GB Deep Purple boxed", when(49)),
    item(3, "iPhone 13 and 14 clear cases bundle x3", when(48)),  # matches both
    item(4, "LEGO Star Wars 75192 Millennium Falcon", when(47)),
    item(5, "Lego star wars minifigures job lot", when(46)),
    item(6, "Nintendo Switch OLED white with games", when(45)),
    item(7, "iPhone 13 mini 64GB red spares", when(44)),
    item(8, "Star Wars lightsaber (not lego)", when(43)),
    item(9, "Sony PS5 disc console boxed", when(42)),
    item(10, "Xbox Series X 1TB console", when(41)),
    item(11, "iPhone 14 128GB blue", when(40)),
    item(12, "Switch Lite yellow", when(39)),
]


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi(catalogue=list(CATALOGUE))


@pytest.fixture
async def api_url(fake: FakeEbayApi) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


def make_ebay(session: aiohttp.ClientSession, api_url: str, **options: Any) -> EbayMarketplace:
    clock = FakeClock()
    return EbayMarketplace(
        session,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=api_url,
        min_interval_seconds=0.0,
        clock=clock,
        quota=DailyQuota("ebay", DEFAULT_DAILY_CALL_QUOTA, clock=clock),
        **options,
    )


@pytest.fixture
def ebay(db: str, session: aiohttp.ClientSession, api_url: str) -> EbayMarketplace:
    return make_ebay(session, api_url)


@pytest.fixture
def solo(db: str, session: aiohttp.ClientSession, api_url: str) -> EbayMarketplace:
    return make_ebay(session, api_url, batching=False)


async def search_all(
    ebay: EbayMarketplace, queries: Sequence[MarketplaceQuery]
) -> list[list[ListingData]]:
    """As the runner does: every query of a batch searched concurrently."""
    return list(await asyncio.gather(*(ebay.search(q) for q in queries)))


def ids(listings: list[ListingData]) -> list[str]:
    return [x.external_id for x in listings]


# --- merging -------------------------------------------------------------------------


async def test_concurrent_searches_become_one_request(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    found = await search_all(
        ebay, [query("iphone 13"), query("iphone 14"), query("lego star wars")]
    )
    [request] = fake.searches
    assert request.query["q"] == "(iphone, lego) (13, 14, star)"
    assert request.query["limit"] == "200" and request.query["sort"] == "newlyListed"
    assert request.query["filter"] == "buyingOptions:{FIXED_PRICE|AUCTION},itemLocationCountry:GB"
    assert [ids(x) for x in found] == [
        ["v1|1|0", "v1|3|0", "v1|7|0"],
        ["v1|2|0", "v1|3|0", "v1|11|0"],
        ["v1|4|0", "v1|5|0", "v1|8|0"],  # "(not lego)" holds the word: eBay finds it too
    ]


async def test_each_caller_gets_what_it_would_get_alone(
    ebay: EbayMarketplace, solo: EbayMarketplace, fake: FakeEbayApi
) -> None:
    queries = [
        query("iphone 13"),
        query("iphone 14", limit=2),  # cut to its own limit, newest first
        query("iphone"),
        query("star wars"),
        query('"star wars" lego'),  # a phrase is sent as its words: it merges
        query("switch"),
        query("ps5"),
        query("xbox"),
        query("iPhone-13 mini"),
        query("zzqx"),  # nothing
    ]
    alone = [await solo.search(q) for q in queries]
    calls_alone = len(fake.searches)
    merged = await search_all(ebay, queries)
    assert merged == alone
    assert ids(merged[0]) == ["v1|1|0", "v1|3|0", "v1|7|0"]  # item 3 also in "iphone 14"
    assert ids(merged[1]) == ["v1|2|0", "v1|3|0"]
    calls_merged = len(fake.searches) - calls_alone
    assert calls_alone == len(queries) and calls_merged <= 3
    assert all(r.query["limit"] == "200" for r in fake.searches[calls_alone:])


async def test_a_full_page_falls_back_and_nothing_is_lost(
    ebay: EbayMarketplace, solo: EbayMarketplace, fake: FakeEbayApi
) -> None:
    fake.catalogue = [item(100 + n, f"iPhone 13 lot{n}", when(n)) for n in range(150)] + [
        item(300 + n, f"iPhone 14 lot{n}", when(n)) for n in range(100)
    ]
    queries = [query("iphone 13", limit=200), query("iphone 14", limit=150)]
    alone = [await solo.search(q) for q in queries]
    before = len(fake.searches)
    merged = await search_all(ebay, queries)
    assert merged == alone
    assert [len(x) for x in merged] == [150, 100]
    first, *fallback = fake.searches[before:]
    assert first.query["q"] == "iphone (13, 14)"  # 250 matches: a full page, "next" set
    # Neither has its limit of matches on that page: both are asked again, each as alone.
    assert sorted((r.query["q"], r.query["limit"]) for r in fallback) == [
        ("iphone 13", "200"),
        ("iphone 14", "150"),
    ]
    # Their sizes are now known: together they cannot fit one page, so no merge is tried.
    before = len(fake.searches)
    assert await search_all(ebay, queries) == alone
    assert sorted(r.query["q"] for r in fake.searches[before:]) == ["iphone 13", "iphone 14"]


async def test_a_cut_page_settles_the_queries_it_holds_enough_of(
    ebay: EbayMarketplace, solo: EbayMarketplace, fake: FakeEbayApi
) -> None:
    fake.catalogue = [item(100 + n, f"lego star wars set {n}", when(n)) for n in range(230)]
    fake.catalogue += CATALOGUE
    queries = [query("ps5"), query("xbox"), query("switch"), query("lego")]
    alone = [await solo.search(q) for q in queries]
    before = len(fake.searches)
    assert await search_all(ebay, queries) == alone
    # The page holds the 200 newest: lego's newest 50 are among them, the rest are older.
    assert [r.query["q"] for r in fake.searches[before:]] == [
        "(lego, ps5, switch, xbox)",
        "(ps5, switch, xbox)",
    ]
    assert [len(x) for x in alone] == [1, 1, 2, 50]


async def test_incompatible_queries_are_not_merged(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    await search_all(
        ebay,
        [
            query("ps5"),
            query("xbox", max_price=Decimal("300")),  # another server-side filter
            query("switch", category="gaming"),  # another category
            query("ps5 OR xbox"),  # its own OR group
            query("iphone or ipad"),  # lower-case "or" is sent as OR too
        ],
    )
    qs = sorted(r.query["q"] for r in fake.searches)
    assert qs == ["(iphone, ipad)", "(ps5, xbox)", "ps5", "switch", "xbox"]
    assert all(r.query["limit"] == "50" for r in fake.searches)  # each sent as alone


async def test_batching_off_sends_every_search_alone(
    solo: EbayMarketplace, fake: FakeEbayApi
) -> None:
    await search_all(solo, [query("iphone 13"), query("iphone 14"), query("ps5")])
    assert sorted(r.query["q"] for r in fake.searches) == ["iphone 13", "iphone 14", "ps5"]


# --- errors and quota ----------------------------------------------------------------


async def test_an_error_reaches_every_caller(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    await ebay.search(query("ps5"))  # the token first
    fake.search_status = 503
    results = await asyncio.gather(
        *(ebay.search(query(k)) for k in ("ps5", "xbox", "switch")), return_exceptions=True
    )
    assert all(isinstance(r, Unavailable) for r in results)
    assert len(fake.searches) == 2  # one merged request failed for all three
    fake.search_status, fake.search_headers = 429, {"Retry-After": "120"}
    results = await asyncio.gather(
        *(ebay.search(query(k)) for k in ("ps5", "xbox")), return_exceptions=True
    )
    assert all(isinstance(r, RateLimited) and r.retry_after == 120 for r in results)


async def test_quota_counts_one_call_per_request(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    await search_all(ebay, [query("ps5"), query("xbox"), query("switch"), query("iphone 13")])
    state = await MarketplaceState.get(name="ebay")
    assert len(fake.searches) == 2  # "(ps5, switch, xbox)" and "iphone 13"
    assert state.quota_used == 2


async def test_a_cancelled_caller_does_not_disturb_the_others(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    gone = asyncio.ensure_future(ebay.search(query("xbox")))
    staying = asyncio.ensure_future(ebay.search(query("ps5")))
    await asyncio.sleep(0)
    gone.cancel()
    assert ids(await staying) == ["v1|9|0"]
    assert [r.query["q"] for r in fake.searches] == ["ps5"]


# --- the runner ----------------------------------------------------------------------


async def test_the_runners_searches_share_one_request(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    clock = FakeClock()
    account = await identify(Platform.CONSOLE, "ebay-batcher")
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    service = SearchService(TierTable.demo(fastest_seconds=60), {"ebay": ebay}, clock=clock)
    runner = Runner({"ebay": ebay}, clock=clock)
    for keywords in ("ps5", "xbox", "switch"):
        draft = SearchDraft(keywords, Criteria(keywords=keywords), ("ebay",), interval_seconds=60)
        await service.create(account, destination, draft)
    clock.advance(3600)
    assert await runner.tick() == 3
    assert [r.query["q"] for r in fake.searches] == ["(ps5, switch, xbox)"]


# --- the q syntax --------------------------------------------------------------------


def test_which_keywords_can_merge() -> None:
    assert mergeable_words(query("iPhone-13 pro")) == ("iphone", "13", "pro")
    assert mergeable_words(query('"series x" xbox')) == ("series", "x", "xbox")
    assert mergeable_words(query("ps5 OR xbox")) is None
    assert mergeable_words(query("ps5 | xbox")) is None
    assert mergeable_words(query("!!!")) is None


def test_merged_q_covers_every_query() -> None:
    assert merged_q([("iphone", "13"), ("iphone", "14")]) == "iphone (13, 14)"
    assert merged_q([("ps5",), ("xbox",)]) == "(ps5, xbox)"
    assert merged_q([("iphone",), ("iphone", "13")]) == "iphone"
    assert merged_q([("lego", "star", "wars"), ("switch", "oled")]) == (
        "(lego, switch) (star, oled)"
    )
