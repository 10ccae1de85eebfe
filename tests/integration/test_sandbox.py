"""The sandbox marketplace server and its adapter, over real local HTTP."""

from __future__ import annotations

import asyncio
import io
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from core.criteria import Criteria
from core.enums import Condition
from core.errors import Blocked, MarketplaceError, ParseError, RateLimited, Unavailable
from core.fetchkeys import upstream_query
from core.matching import matches, normalise
from core.ports import ListingData, Marketplace, MarketplaceQuery
from scrapers import SandboxConfig, SandboxMarketplace
from scrapers.sandbox import ListingGenerator, running_sandbox
from scrapers.sandbox.catalogue import find_town, towns_within
from scrapers.sandbox.marketplace import NOTHING_TO_LIST

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def query(keywords: str, **fields: Any) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="sandbox", keywords=keywords, **fields)


def tokens(listing: ListingData) -> set[str]:
    return set(normalise(f"{listing.title} {listing.description}"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def base(clock: FakeClock) -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(), clock=clock) as url:
        yield url


@pytest.fixture
def sandbox(session: aiohttp.ClientSession, base: str) -> SandboxMarketplace:
    return SandboxMarketplace(session, base)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def get_json(session: aiohttp.ClientSession, url: str, **params: str) -> Any:
    async with session.get(url, params=params) as response:
        assert response.status == 200, await response.text()
        return await response.json()


# --- the generator ------------------------------------------------------------------


def test_generation_is_deterministic_however_it_is_advanced() -> None:
    at_once = ListingGenerator(3, START, 6.0, initial_stock=50)
    stepwise = ListingGenerator(3, START, 6.0, initial_stock=50)
    at_once.advance_to(START + timedelta(minutes=10))
    for minute in range(11):
        stepwise.advance_to(START + timedelta(minutes=minute))
    assert len(at_once.listings) == 50 + 60
    assert at_once.listings == stepwise.listings
    other_seed = ListingGenerator(4, START, 6.0, initial_stock=50)
    other_seed.advance_to(START)
    assert [x.title for x in other_seed.listings] != [x.title for x in at_once.listings[:50]]


def test_listings_look_real() -> None:
    generator = ListingGenerator(7, START, 6.0, initial_stock=300)
    generator.advance_to(START)
    listings = generator.listings
    assert listings[0].id == "sbx-000000"
    assert len({x.category for x in listings}) >= 8
    assert all(x.price > 0 and x.price.as_tuple().exponent == -2 for x in listings)
    assert all(find_town(x.location) is not None for x in listings)
    assert {x.condition for x in listings} == {Condition.NEW, Condition.USED}
    assert all(" – " in x.title and x.description and x.seller for x in listings)
    assert [x.posted_at for x in listings] == sorted(x.posted_at for x in listings)
    assert listings[-1].posted_at < START


def test_price_drops_touch_prices_only() -> None:
    steady = ListingGenerator(5, START, 60.0, initial_stock=100, price_drop_rate=0.0)
    dropping = ListingGenerator(5, START, 60.0, initial_stock=100, price_drop_rate=1.0)
    later = START + timedelta(minutes=5)
    steady.advance_to(later)
    dropping.advance_to(later)
    assert [x.title for x in steady.listings] == [x.title for x in dropping.listings]
    pairs = list(zip(steady.listings, dropping.listings, strict=True))
    assert all(b.price <= a.price for a, b in pairs)
    assert sum(b.price < a.price for a, b in pairs) > 50


# --- the server, through the adapter --------------------------------------------------


async def test_adapter_implements_the_port(sandbox: SandboxMarketplace) -> None:
    assert isinstance(sandbox, Marketplace)
    assert sandbox.name == "sandbox"


async def test_same_seed_same_results(session: aiohttp.ClientSession) -> None:
    async with (
        running_sandbox(SandboxConfig(seed=11), clock=FakeClock()) as first,
        running_sandbox(SandboxConfig(seed=11), clock=FakeClock()) as second,
    ):
        one = await get_json(session, f"{first}/api/search", q="apple", limit="100")
        two = await get_json(session, f"{second}/api/search", q="apple", limit="100")
    strip = [
        {k: v for k, v in item.items() if k not in ("url", "image_url")} for item in one["items"]
    ]
    assert strip == [
        {k: v for k, v in item.items() if k not in ("url", "image_url")} for item in two["items"]
    ]
    assert one["total"] == two["total"] > 0


async def test_search_maps_items_and_filters_by_words(
    sandbox: SandboxMarketplace, base: str
) -> None:
    found = await sandbox.search(query("iphone"))
    assert 0 < len(found) <= 50
    first = found[0]
    assert first.marketplace == "sandbox"
    assert first.external_id.startswith("sbx-")
    assert first.url == f"{base}/item/{first.external_id}"
    assert first.image_url == f"{base}/img/{first.external_id}.png"
    assert isinstance(first.price, Decimal) and first.currency == "GBP"
    assert first.posted_at is not None and first.posted_at.utcoffset() == timedelta(0)
    assert first.condition in (Condition.NEW, Condition.USED)
    assert all("iphone" in tokens(x) for x in found)
    assert all(
        {"iphone", "13", "pro"} <= tokens(x) for x in await sandbox.search(query("iPhone 13 Pro"))
    )


async def test_or_expression_takes_any_word(sandbox: SandboxMarketplace) -> None:
    found = await sandbox.search(query("leica or brompton", limit=200))
    words = [tokens(x) & {"leica", "brompton"} for x in found]
    assert all(words)
    assert {"leica", "brompton"} <= set().union(*words)


async def test_price_condition_and_category_filters(sandbox: SandboxMarketplace) -> None:
    low, high = Decimal("100"), Decimal("400")
    found = await sandbox.search(
        query("apple", min_price=low, max_price=high, condition=Condition.USED, category="phones")
    )
    assert found
    assert all(low <= x.price <= high for x in found if x.price is not None)
    assert all(x.condition is Condition.USED and x.category == "phones" for x in found)


async def test_location_radius(sandbox: SandboxMarketplace) -> None:
    leeds = find_town("Leeds")
    assert leeds is not None
    nearby = towns_within(leeds, 40)
    assert {"Leeds", "York", "Sheffield"} <= nearby and "London" not in nearby
    found = await sandbox.search(query("used", location="leeds", radius_miles=40, limit=200))
    assert found and {x.location for x in found} <= nearby
    assert len({x.location for x in found}) > 1
    only_leeds = await sandbox.search(query("used", location="Leeds"))
    assert only_leeds and {x.location for x in only_leeds} == {"Leeds"}


async def test_newest_first(sandbox: SandboxMarketplace) -> None:
    found = await sandbox.search(query("used", limit=100))
    moments = [x.posted_at for x in found if x.posted_at is not None]
    assert len(moments) == 100
    assert moments == sorted(moments, reverse=True)


async def test_listings_appear_as_time_passes(
    session: aiohttp.ClientSession, base: str, clock: FakeClock
) -> None:
    before = await get_json(session, f"{base}/health")
    clock.advance(minutes=10)
    after = await get_json(session, f"{base}/health")
    assert after["listings"] - before["listings"] == 60  # 6 a minute by default
    newest = await get_json(session, f"{base}/api/search", limit="1")
    assert newest["items"][0]["posted_at"] == clock.now.isoformat(timespec="seconds")


async def test_posted_listing_appears_in_next_search(
    sandbox: SandboxMarketplace, session: aiohttp.ClientSession, base: str
) -> None:
    assert await sandbox.search(query("zebra lamp")) == []
    body = {"title": "Zebra lamp, retro", "price": "35.5", "location": "York", "condition": "new"}
    async with session.post(f"{base}/api/listings", json=body) as response:
        assert response.status == 201
        created = await response.json()
    assert created["price"] == "35.50"
    [found] = await sandbox.search(query("zebra lamp"))
    assert found.external_id == created["id"]
    assert (found.title, found.price, found.location) == (
        "Zebra lamp, retro",
        Decimal("35.50"),
        "York",
    )
    assert found.condition is Condition.NEW


async def test_price_change_is_visible(
    sandbox: SandboxMarketplace, session: aiohttp.ClientSession, base: str
) -> None:
    async with session.post(f"{base}/api/listings", json={"title": "Okapi rug", "price": 120}) as r:
        listing_id = (await r.json())["id"]
    async with session.post(
        f"{base}/api/listings/{listing_id}/price", json={"price": "99.99"}
    ) as r:
        assert r.status == 200
        assert (await r.json())["price"] == "99.99"
    [found] = await sandbox.search(query("okapi"))
    assert found.price == Decimal("99.99")
    async with session.post(f"{base}/api/listings/sbx-999999/price", json={"price": "1"}) as r:
        assert r.status == 404


@pytest.mark.parametrize(
    "body",
    [{"price": "10"}, {"title": "Lamp"}, {"title": "Lamp", "price": "ten"}, ["Lamp", 10]],
)
async def test_bad_new_listing_is_refused(
    session: aiohttp.ClientSession, base: str, body: Any
) -> None:
    async with session.post(f"{base}/api/listings", json=body) as response:
        assert response.status == 400
        assert "error" in await response.json()


async def test_bad_search_parameters_are_refused(session: aiohttp.ClientSession, base: str) -> None:
    for params in ({"min_price": "cheap"}, {"condition": "mint"}, {"limit": "x"}):
        async with session.get(f"{base}/api/search", params=params) as response:
            assert response.status == 400, params


# --- knobs ---------------------------------------------------------------------------


async def test_latency_knob(session: aiohttp.ClientSession) -> None:
    async with running_sandbox(SandboxConfig(latency_ms=300, initial_stock=20)) as url:
        started = time.perf_counter()
        await SandboxMarketplace(session, url).search(query("apple"))
        assert time.perf_counter() - started >= 0.3


async def test_timeout_is_unavailable(session: aiohttp.ClientSession) -> None:
    async with running_sandbox(SandboxConfig(latency_ms=300, initial_stock=20)) as url:
        with pytest.raises(Unavailable):
            await SandboxMarketplace(session, url, timeout_seconds=0.1).search(query("apple"))


async def test_error_rate_one_is_unavailable(session: aiohttp.ClientSession) -> None:
    async with running_sandbox(SandboxConfig(error_rate=1.0, initial_stock=20)) as url:
        with pytest.raises(Unavailable) as caught:
            await SandboxMarketplace(session, url, name="sbx").search(query("apple"))
    assert caught.value.marketplace == "sbx"


async def test_rate_limit_every_nth_request(session: aiohttp.ClientSession) -> None:
    async with running_sandbox(SandboxConfig(rate_limit_every=2, initial_stock=20)) as url:
        sandbox = SandboxMarketplace(session, url)
        await sandbox.search(query("apple"))
        with pytest.raises(RateLimited) as caught:
            await sandbox.search(query("apple"))
    assert caught.value.retry_after == 2.0


async def test_connection_refused_is_unavailable(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unavailable) as caught:
        await SandboxMarketplace(session, f"http://127.0.0.1:{port}").search(query("apple"))
    assert isinstance(caught.value.__cause__, aiohttp.ClientError)


def _answer(status: int, body: str, headers: dict[str, str] | None = None) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, headers=headers)

    app = web.Application()
    app.router.add_get("/api/search", handler)
    return app


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "retry_after"),
    [
        (200, "<html>not json</html>", None, ParseError, None),
        (200, '{"results": []}', None, ParseError, None),
        (200, '{"items": "none"}', None, ParseError, None),
        (200, '{"items": [{"id": "x1", "title": "no url"}]}', None, ParseError, None),
        (
            200,
            '{"items": [{"id": "x", "url": "u", "title": "t", "price": "£5"}]}',
            None,
            ParseError,
            None,
        ),
        (
            200,
            '{"items": [{"id": "x", "url": "u", "title": "t", "posted_at": "soon"}]}',
            None,
            ParseError,
            None,
        ),
        (403, "captcha", None, Blocked, None),
        (429, "slow down", {"Retry-After": "7"}, RateLimited, 7.0),
        (429, "slow down", None, RateLimited, 30.0),
        (500, "oops", None, Unavailable, None),
        (503, "maintenance", None, Unavailable, None),
        (404, "no such API", None, ParseError, None),
    ],
)
async def test_failures_map_to_core_errors(
    session: aiohttp.ClientSession,
    status: int,
    body: str,
    headers: dict[str, str] | None,
    error: type[MarketplaceError],
    retry_after: float | None,
) -> None:
    async with serving(_answer(status, body, headers)) as url:
        with pytest.raises(error) as caught:
            await SandboxMarketplace(session, url).search(query("apple"))
    assert caught.value.marketplace == "sandbox"
    if retry_after is not None:
        assert isinstance(caught.value, RateLimited)
        assert caught.value.retry_after == retry_after


async def test_minimal_item_is_accepted(session: aiohttp.ClientSession) -> None:
    body = '{"items": [{"id": "x", "url": "http://x/1", "title": "Lamp", "price": null}]}'
    async with serving(_answer(200, body)) as url:
        [found] = await SandboxMarketplace(session, url).search(query("lamp"))
    assert (found.external_id, found.price, found.condition) == ("x", None, Condition.ANY)
    assert found.posted_at is None and found.image_url is None


# --- echo, pages, image --------------------------------------------------------------


async def test_a_saved_search_gets_a_catalogue_listing_after_its_first_search(
    session: aiohttp.ClientSession,
) -> None:
    config = SandboxConfig(echo_delay_seconds=0.2, initial_stock=50)
    criteria = Criteria(
        "road bike", exclude=("kids",), location="york", radius_miles=30,
        max_price=Decimal("600"), condition=Condition.USED, category="bicycles",
    )  # fmt: skip
    wanted = upstream_query(criteria, "sandbox")
    async with running_sandbox(config, clock=FakeClock()) as url:
        sandbox = SandboxMarketplace(session, url)
        assert await sandbox.search_saved(criteria, ["sandbox"]) is None
        assert await sandbox.search_saved(criteria, ["sandbox"]) is None  # a second search
        await asyncio.sleep(0.4)
        before = await sandbox.search(wanted)  # the first search releases the picks…
        await asyncio.sleep(0.4)  # …which are listed after the delay
        found = await sandbox.search(wanted)
    new = [x for x in found if x.external_id not in {b.external_id for b in before}]
    assert len(new) == 2  # one per saved search, not one per query
    for listing in new:
        assert matches(criteria, listing, listing.posted_at or START)
        assert listing.location in towns_within(find_town("York"), 30)  # type: ignore[arg-type]


async def test_a_search_the_catalogue_cannot_match_is_told_so(
    session: aiohttp.ClientSession,
) -> None:
    config = SandboxConfig(echo_delay_seconds=0.1, initial_stock=50)
    async with running_sandbox(config, clock=FakeClock()) as url:
        sandbox = SandboxMarketplace(session, url)
        note = await sandbox.search_saved(Criteria("quokka lamp"), ["sandbox"])
        assert note == NOTHING_TO_LIST
        assert await sandbox.search_saved(Criteria("quokka"), ["ebay"]) is None  # not ours
        wanted = query("quokka lamp")
        assert await sandbox.search(wanted) == []
        await asyncio.sleep(0.3)
        assert await sandbox.search(wanted) == []  # nothing made up from the words


async def test_watch_without_the_echo_lists_nothing(
    sandbox: SandboxMarketplace, session: aiohttp.ClientSession, base: str
) -> None:
    assert await sandbox.search_saved(Criteria("quokka lamp"), ["sandbox"]) is None
    body = {"criteria": {"keywords": ""}, "query": {}}
    async with session.post(f"{base}/api/watch", json=body) as response:
        assert response.status == 400


async def test_echo_is_off_by_default(sandbox: SandboxMarketplace) -> None:
    assert await sandbox.search(query("quokka")) == []
    await asyncio.sleep(0.05)
    assert await sandbox.search(query("quokka")) == []


async def test_image_is_a_png(session: aiohttp.ClientSession, base: str) -> None:
    items = (await get_json(session, f"{base}/api/search", q="camera", limit="1"))["items"]
    async with session.get(items[0]["image_url"]) as response:
        assert response.status == 200
        assert response.content_type == "image/png"
        data = await response.read()
    assert data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(data)).size == (320, 240)
    async with session.get(f"{base}/img/sbx-999999.png") as response:
        assert response.status == 404


async def test_item_page_escapes_everything(session: aiohttp.ClientSession, base: str) -> None:
    body = {"title": "<script>alert(1)</script> lamp", "price": "5", "seller": "Bob & Co"}
    async with session.post(f"{base}/api/listings", json=body) as response:
        created = await response.json()
    async with session.get(created["url"]) as response:
        assert response.status == 200
        page = await response.text()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "Bob &amp; Co" in page


async def test_index_and_health(session: aiohttp.ClientSession, base: str) -> None:
    async with session.get(f"{base}/") as response:
        assert response.status == 200
        assert "Sandbox marketplace" in await response.text()
    health = await get_json(session, f"{base}/health")
    assert health == {"status": "ok", "listings": 500}


async def test_further_pages_continue_the_newest_first_results(
    sandbox: SandboxMarketplace,
) -> None:
    # The runner reads page 2, 3… after an all-new page (core.runner's overflow).
    query = MarketplaceQuery(marketplace="sandbox", keywords="", limit=10)
    first = await sandbox.search_page(query, 1)
    second = await sandbox.search_page(query, 2)
    both = await sandbox.search(MarketplaceQuery(marketplace="sandbox", keywords="", limit=20))
    assert [i.external_id for i in first] == [i.external_id for i in await sandbox.search(query)]
    assert len(first) == len(second) == 10
    assert [i.external_id for i in first + second] == [i.external_id for i in both]
