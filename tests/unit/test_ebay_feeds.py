"""eBay category feeds: paging a feed until a listing seen before, choosing a query's
categories, the Browse rules a feed answers queries by, and routing new listings."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import generate_latest

from core.enums import BuyingFormat, Condition
from core.metrics import Metrics
from core.ports import KeyDemand, ListingData, MarketplaceQuery
from scrapers.ebay.feeds import (
    FeedOptions,
    FeedReader,
    FeedService,
    FeedState,
    feed_categories,
    feed_params,
    feedable,
    signature,
    suggestion_paths,
)
from scrapers.ebay.parse import categories_by_item
from scrapers.ebay.query import search_params
from scrapers.ebay.rules import BrowseRequest
from scrapers.ebay.sites import site_for
from tests.fakes.ebay_api import fixture, item
from tests.fakes.ebay_catalogue import CategoryCatalogue
from tests.fakes.feed_host import MemoryFeedHost

SITE = site_for("EBAY_GB")
T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def stamp(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def catalogue() -> CategoryCatalogue:
    found = CategoryCatalogue(parents={"9355": "15032", "20349": "15032"})
    found.names.update({"9355": "Mobile & Smart Phones", "20349": "Cases"})
    return found


class Counting:
    """The feed's fetch: the catalogue's answer, each call recorded."""

    def __init__(self, source: CategoryCatalogue) -> None:
        self.source = source
        self.calls: list[dict[str, str]] = []

    async def __call__(self, params: dict[str, str]) -> Mapping[str, Any]:
        self.calls.append(params)
        return self.source.answer(params)


def add(source: CategoryCatalogue, first: int, count: int, title: str = "Phone",
        leaf: str = "9355", at: float = 0.0) -> None:  # fmt: skip
    for n in range(first, first + count):
        source.add(item(n, f"{title} {n}", stamp(at + n)), leaf)


async def test_a_read_pages_until_a_listing_seen_before() -> None:
    source = catalogue()
    add(source, 1, 10)
    fetch = Counting(source)
    reader = FeedReader(fetch)
    feed = FeedState("9355", feed_params("9355", [], SITE), start=T0)
    first = await reader.read(feed, T0 + timedelta(minutes=1))
    assert len(first) == 10 and len(fetch.calls) == 1
    add(source, 11, 450)  # 450 new: three pages of 200
    second = await reader.read(feed, T0 + timedelta(minutes=6))
    assert [x.listing.external_id for x in second][:2] == ["v1|460|0", "v1|459|0"]
    assert len(second) == 450 and len(fetch.calls) == 4
    assert [c.get("offset", "0") for c in fetch.calls[1:]] == ["0", "200", "400"]
    assert all(c["category_ids"] == "9355" and "q" not in c for c in fetch.calls)
    assert all(c["sort"] == "newlyListed" and c["limit"] == "200" for c in fetch.calls)
    third = await reader.read(feed, T0 + timedelta(minutes=11))
    assert third == [] and len(fetch.calls) == 5  # nothing new: one page
    assert feed.gaps == 0


async def test_a_read_is_bounded_and_counts_the_gap(caplog: pytest.LogCaptureFixture) -> None:
    source = catalogue()
    add(source, 1, 5)
    fetch = Counting(source)
    reader = FeedReader(fetch, FeedOptions(max_pages=2))
    feed = FeedState("9355", feed_params("9355", [], SITE), start=T0)
    await reader.read(feed, T0)
    add(source, 6, 700)
    with caplog.at_level(logging.WARNING):
        found = await reader.read(feed, T0 + timedelta(minutes=5))
    assert len(found) == 400 and feed.gaps == 1
    assert "some were not read" in caplog.text


async def test_a_first_read_pages_back_to_the_feeds_start() -> None:
    source = catalogue()
    add(source, 1, 300, at=-1000.0)  # created at -999 … -700 s
    fetch = Counting(source)
    feed = FeedState("9355", feed_params("9355", [], SITE), start=T0 - timedelta(seconds=800))
    found = await FeedReader(fetch).read(feed, T0)
    assert len(found) == 101  # -800 … -700: what its queries are still owed
    assert len(fetch.calls) == 1  # the page reached listings older than the start


def test_a_concentrated_query_gets_its_categories() -> None:
    assert feed_categories({"9355": 0.95, "20349": 0.05}) == ("20349", "9355")
    assert feed_categories({"9355": 1.0}) == ("9355",)
    assert feed_categories({"a": 0.5, "b": 0.3, "c": 0.2}) == ("a", "b", "c")


def test_a_scattered_query_is_not_served_by_feeds() -> None:
    assert feed_categories({"a": 0.3, "b": 0.3, "c": 0.2, "d": 0.2}) is None
    assert feed_categories({"a": 0.91, "b": 0.03, "c": 0.03, "d": 0.03}) is None  # d missed
    assert feed_categories({}) is None


def test_only_plain_keyword_queries_are_feedable() -> None:
    assert feedable(MarketplaceQuery("ebay", "iphone 13"))
    assert not feedable(MarketplaceQuery("ebay", ""))
    assert not feedable(MarketplaceQuery("ebay", "iphone", sellers=("bob",)))
    assert not feedable(MarketplaceQuery("ebay", "iphone", ending_soon=True))
    assert not feedable(MarketplaceQuery("ebay", "iphone", extra=(("pickup", "SW1A 1AA"),)))


def test_a_feed_sends_the_filters_its_queries_share() -> None:
    used = [MarketplaceQuery("ebay", "a", condition=Condition.USED)] * 2
    assert "conditions:{USED}" in feed_params("9355", used, SITE)["filter"]
    mixed = [*used, MarketplaceQuery("ebay", "b")]
    assert "conditions" not in feed_params("9355", mixed, SITE)["filter"]


def listing(title: str, **fields: Any) -> ListingData:
    return ListingData("ebay", "v1|1|0", "https://x", title, fields.pop("price", Decimal(100)),
                       **fields)  # fmt: skip


def test_browse_rules_match_words_of_the_title_only() -> None:
    request = BrowseRequest.of(search_params(MarketplaceQuery("ebay", "iphone 13"), SITE))
    assert request.returns(listing("Apple iPhone 13 128GB"), ["9355"])
    assert not request.returns(listing("Apple iPhone 13128GB"), ["9355"])
    # Our matcher would find "13" in the description; eBay's q does not search it.
    assert not request.returns(listing("Apple iPhone", description="model 13"), ["9355"])


def test_browse_rules_apply_category_price_condition_and_format() -> None:
    query = MarketplaceQuery(
        "ebay", "ps5 OR xbox console", category="gaming", min_price=Decimal(100),
        max_price=Decimal(300), condition=Condition.USED,
    )  # fmt: skip
    request = BrowseRequest.of(search_params(query, SITE))
    good = listing("Xbox console", condition=Condition.USED)
    assert request.returns(good, ["139971", "1249"])
    assert not request.returns(good, ["9355"])  # another category
    assert not request.returns(listing("PS5 console", price=Decimal(301),
                                       condition=Condition.USED), ["139971"])  # fmt: skip
    assert not request.returns(listing("PS5 console", condition=Condition.ANY), ["139971"])
    auctions = BrowseRequest.of({"filter": "buyingOptions:{AUCTION}"})
    assert not auctions.returns(listing("x"), [])
    assert auctions.returns(listing("x", buying_format=BuyingFormat.BOTH), [])


async def test_new_listings_go_to_the_queries_whose_request_returns_them() -> None:
    source = catalogue()
    add(source, 1, 3, title="Apple iPhone 13")
    fetch = Counting(source)
    iphone13 = MarketplaceQuery("ebay", "iphone 13")
    iphone14 = MarketplaceQuery("ebay", "iphone 14", max_price=Decimal(50))
    host = MemoryFeedHost(keys=[KeyDemand("d13", iphone13, 300, "pro"),
                                KeyDemand("d14", iphone14, 300, "free")])  # fmt: skip
    clock = [T0]
    metrics = Metrics()
    service = FeedService(
        SITE, fetch, host, daily_calls=5000, clock=lambda: clock[0], metrics=metrics
    )
    for sig in (signature(iphone13, SITE), signature(iphone14, SITE)):
        await host.save_categories("ebay", sig, {"9355": 1.0}, T0)
    # One busy query alone would be polled: make the feed worth it with many more.
    host.keys += [KeyDemand(f"x{n}", MarketplaceQuery("ebay", f"iphone {n}"), 300, "pro")
                  for n in range(20, 40)]  # fmt: skip
    for key in host.keys[2:]:
        await host.save_categories("ebay", signature(key.query, SITE), {"9355": 1.0}, T0)
    await service.step()
    assert set(service.feeds) == {"9355"} and service.serves(iphone13)
    source.add(item(50, "iPhone 14 boxed", stamp(10), price="40.00"), "9355")
    source.add(item(51, "iPhone 14 boxed", stamp(11), price="60.00"), "9355")  # over 50
    source.add(item(52, "iPhone 13 mini", stamp(12)), "9355")
    source.add(item(53, "iPhone 13 case", stamp(13)), "20349")  # not in the feed's category
    clock[0] = T0 + timedelta(minutes=5)
    host.woken.clear()
    assert await service.step() == 2
    assert sorted(host.woken) == ["d13", "d14"]
    assert [x.external_id for x in service.answer(iphone14)] == ["v1|50|0"]
    # The feed's first read owed its queries the listings since one interval before.
    assert [x.external_id for x in service.answer(iphone13)] == [
        "v1|52|0", "v1|3|0", "v1|2|0", "v1|1|0",
    ]  # fmt: skip
    page = generate_latest(metrics.registry).decode()
    assert 'monitor_feed_queries{feed="9355",marketplace="ebay"} 22.0' in page
    assert 'monitor_feed_calls_total{feed="9355",marketplace="ebay"} 2.0' in page
    assert 'monitor_feed_new_listings_total{feed="9355",marketplace="ebay"} 6.0' in page
    assert 'monitor_plan_calls_per_day{marketplace="ebay",part="budget"} 4500.0' in page
    # A listing a second (the probe's page): read every 150 s, a useful page each time.
    assert 'monitor_plan_freshness_seconds{marketplace="ebay",tier="pro"} 150.0' in page
    assert 'monitor_plan_slowdown{marketplace="ebay",tier="free"} 1.0' in page


def test_an_items_categories_come_from_a_real_search_answer() -> None:
    """tests/fixtures/ebay/search_ps5.json is a captured Browse answer (SOURCES.md)."""
    payload = fixture("search_ps5.json")
    found = categories_by_item(payload)
    assert found and all(path[0] for path in found.values())
    first = payload["itemSummaries"][0]
    assert found[first["itemId"]] == ("139971", "1249")  # leaf, then its parent


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=6,
)
KEYS = st.sampled_from(["itemSummaries", "itemId", "leafCategoryIds", "categories",
                        "categoryId", "categorySuggestions", "category",
                        "categoryTreeNodeAncestors"])  # fmt: skip
SHAPED = st.recursive(
    JSON,
    lambda inner: st.dictionaries(KEYS, inner, max_size=4) | st.lists(inner, max_size=3),
    max_leaves=8,
)


@settings(suppress_health_check=[HealthCheck.too_slow])  # a loaded CI machine
@given(payload=st.dictionaries(KEYS, SHAPED, max_size=3))
def test_category_parsing_takes_any_json(payload: dict[str, Any]) -> None:
    """Answers from outside: whatever their shape, ids come out as tuples of strings."""
    for path in [*categories_by_item(payload).values(), *suggestion_paths(payload)]:
        assert path and all(isinstance(c, str) for c in path)


@given(q=st.text(max_size=40), filters=st.text(max_size=60), category=st.text(max_size=6))
def test_a_request_is_read_from_any_parameters(q: str, filters: str, category: str) -> None:
    request = BrowseRequest.of({"q": q, "filter": filters, "category_ids": category})
    request.returns(listing("Apple iPhone 13"), ["9355"])
