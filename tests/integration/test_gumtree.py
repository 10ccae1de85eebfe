"""The Gumtree adapter against a local Gumtree serving pages in the real site's structure."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform
from core.errors import Blocked, InvalidCriteria, ParseError, RateLimited, Unavailable
from core.health import read_health
from core.ports import Marketplace, MarketplaceQuery
from core.runner import Runner
from core.scheduling import key_due, with_key_state
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.gumtree import GumtreeMarketplace, parse_search_page
from tests.fakes.clock import FakeClock
from tests.fakes.gumtree_site import GumtreeMode, GumtreeSite, running_gumtree

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
BASE = "https://www.gumtree.com"


def query(keywords: str = "iphone 13", **fields: object) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="gumtree", keywords=keywords, **fields)  # type: ignore[arg-type]


def fixture(name: str) -> str:
    return GumtreeSite().page(name)


@pytest.fixture
def site() -> GumtreeSite:
    return GumtreeSite()


@pytest.fixture
async def gumtree(site: GumtreeSite) -> AsyncIterator[GumtreeMarketplace]:
    async with running_gumtree(site) as base, aiohttp.ClientSession() as session:
        yield GumtreeMarketplace(
            session,
            base,
            timeout_seconds=0.5,
            min_interval_seconds=0,
            jitter_seconds=0,
            clock=lambda: NOW,
        )


async def test_search_reads_every_tile_field(gumtree: GumtreeMarketplace) -> None:
    assert isinstance(gumtree, Marketplace)
    listings = await gumtree.search(query())

    assert [item.external_id for item in listings] == [
        "1489912345", "1489908876", "1489901234", "1489876543", "1489850001",
    ]  # fmt: skip
    first = listings[0]
    assert first.marketplace == "gumtree"
    assert first.title == "Apple iPhone 13 128GB Midnight - unlocked, boxed"
    assert first.price == Decimal("320")
    assert first.currency == "GBP"
    assert first.location == "Hackney, London"
    assert first.description.startswith("Excellent condition, battery health 89%.")
    assert first.url.endswith(
        "/p/mobile-phones/apple-iphone-13-128gb-midnight-unlocked-boxed/1489912345"
    )
    assert first.url.startswith("http://127.0.0.1:")  # absolute, on the configured base URL
    assert first.image_url is not None and first.image_url.endswith("/86")
    assert first.posted_at == NOW - timedelta(minutes=2)
    by_id = {item.external_id: item for item in listings}
    lazy = by_id["1489908876"].image_url  # placeholder src, real URL in data-src
    assert lazy is not None and "placeholder" not in lazy
    assert by_id["1489901234"].image_url is None  # a tile without a photo
    assert by_id["1489876543"].price is None  # "please message for price": no price shown
    assert by_id["1489850001"].price == Decimal("1050")  # "£1,050"
    assert by_id["1489850001"].posted_at == NOW - timedelta(days=1)  # "Yesterday"


async def test_search_sends_gumtree_parameters_and_browser_headers(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    await gumtree.search(
        query(
            "ps5 disc",
            location="leeds",
            radius_miles=15,
            min_price=Decimal("99.50"),
            max_price=Decimal("300.20"),
        )
    )
    sent = site.requests[-1]
    assert dict(sent) == {
        "q": "ps5 disc",
        "search_category": "all",
        "search_location": "leeds",
        "distance": "15",
        "min_price": "99",
        "max_price": "301",
        "sort": "date",
    }
    headers = site.headers[-1]
    assert "Chrome/" in headers["User-Agent"]
    assert headers["Accept-Language"].startswith("en-GB")
    assert headers["Accept"].startswith("text/html")


async def test_a_gumtree_category_extra_narrows_the_search(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    await gumtree.search(query(extra=(("category", "mobile-phones"),)))
    assert site.requests[-1]["search_category"] == "mobile-phones"


async def test_search_without_a_place_searches_the_whole_uk(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    await gumtree.search(query(radius_miles=10))
    assert site.requests[-1]["search_location"] == "uk"
    assert "distance" not in site.requests[-1]


async def test_search_keeps_to_the_limit(gumtree: GumtreeMarketplace) -> None:
    assert len(await gumtree.search(query(limit=2))) == 2


async def test_no_results_page_is_an_empty_list(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    site.mode = GumtreeMode.NO_RESULTS
    assert await gumtree.search(query("zx81 gold edition")) == []


@pytest.mark.parametrize(
    ("mode", "error", "words"),
    [
        (GumtreeMode.CHANGED_LAYOUT, ParseError, 'no article[data-q="search-result"] tiles'),
        (GumtreeMode.MALFORMED, ParseError, "scraper needs updating"),
        (GumtreeMode.CHALLENGE, Blocked, "bot check"),
        (GumtreeMode.FORBIDDEN, Blocked, "HTTP 403"),
        (GumtreeMode.SERVER_ERROR, Unavailable, "HTTP 503"),
        (GumtreeMode.SLOW, Unavailable, "did not answer within"),
    ],
)
async def test_failures_become_the_right_error(
    gumtree: GumtreeMarketplace,
    site: GumtreeSite,
    mode: GumtreeMode,
    error: type[Exception],
    words: str,
) -> None:
    site.mode = mode
    with pytest.raises(error, match=re.escape(words)) as caught:
        await gumtree.search(query())
    assert caught.value.marketplace == "gumtree"  # type: ignore[attr-defined]


async def test_429_is_rate_limited_with_the_sites_delay(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    site.mode = GumtreeMode.TOO_MANY
    with pytest.raises(RateLimited) as caught:
        await gumtree.search(query())
    assert caught.value.retry_after == 120
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, Exception)


async def test_pasted_results_url_is_fetched(
    gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    base = site_base(gumtree)
    listings = await gumtree.fetch_url(f"{base}/search?q=iphone+13&search_location=london")
    assert len(listings) == 5
    assert site.requests[-1]["q"] == "iphone 13"


def test_pasted_gumtree_urls_are_fetched_from_gumtree_url() -> None:
    adapter = GumtreeMarketplace(None, BASE)  # type: ignore[arg-type]  # no request is made
    pasted = "https://gumtree.com/search?q=bike&search_location=york#results"
    assert adapter.validate_url(pasted) == f"{BASE}/search?q=bike&search_location=york"


async def test_pasted_urls_must_be_gumtree_results_pages(gumtree: GumtreeMarketplace) -> None:
    base = site_base(gumtree)
    with pytest.raises(InvalidCriteria, match="not a Gumtree address"):
        gumtree.validate_url("https://evil.example/search?q=x")
    with pytest.raises(InvalidCriteria, match="single Gumtree ad"):
        gumtree.validate_url(f"{base}/p/mobile-phones/iphone/1489912345")
    with pytest.raises(Unavailable, match="saved Gumtree URL cannot be used") as caught:
        await gumtree.fetch_url("http://169.254.169.254/latest/meta-data")
    assert isinstance(caught.value.__cause__, InvalidCriteria)


async def test_runner_records_the_block_and_backs_off(
    db: str, gumtree: GumtreeMarketplace, site: GumtreeSite
) -> None:
    clock = FakeClock()
    account = await identify(Platform.CONSOLE, "tester")
    destination = await destination_for(account, Platform.CONSOLE, "console")
    markets = {"gumtree": gumtree}
    searches = SearchService(TierTable.demo(fastest_seconds=60), markets, clock=clock)
    runner = Runner(markets, clock=clock)
    draft = SearchDraft("iphone", Criteria(keywords="iphone 13"), ("gumtree",), 60)
    search = await searches.create(account, destination, draft)
    assert len(await runner.prime(search)) > 0  # the baseline: today's listings, as a preview

    site.mode = GumtreeMode.TOO_MANY
    clock.advance(91)  # past the next check: at most 1.5 intervals after the first
    await runner.tick()
    await search.refresh_from_db()
    await with_key_state([search])
    due = await key_due(search)
    assert search.last_error is not None and "HTTP 429" in search.last_error
    assert (due - clock.now).total_seconds() >= 120  # the site's Retry-After
    health = await read_health("gumtree")
    assert health.last_success_at is not None
    assert health.last_error is not None and "HTTP 429" in health.last_error


def site_base(gumtree: GumtreeMarketplace) -> str:
    return gumtree._base_url  # the fake's address, as GUMTREE_URL would give it


# --- the page parser on variations of the real structure ---------------------------------


def test_data_layer_fills_fields_a_tile_lacks() -> None:
    html = re.sub(
        r'<div data-q="tile-(location|price)"[^>]*>[^<]*</div>', "", fixture("search_results")
    )
    listings = parse_search_page(html, BASE, NOW)
    first = listings[0]
    assert first.location == "Hackney, London"  # from listListingDetails
    assert first.price == Decimal("320.00")  # from pricePennies


def test_data_layer_alone_still_gives_listings() -> None:
    html = fixture("search_results")
    start = html.index('<div class="css-11ba3ss e1jvvvkt2" data-q="search-results">')
    end = html.index('<nav data-q="pagination"')
    listings = parse_search_page(html[:start] + html[end:], BASE, NOW)
    assert len(listings) == 5
    assert listings[0].title == "Apple iPhone 13 128GB Midnight - unlocked, boxed"
    # the canonical URL comes from the JSON-LD SearchResultsPage
    assert listings[0].url == (
        f"{BASE}/p/mobile-phones/apple-iphone-13-128gb-midnight-unlocked-boxed/1489912345"
    )


def test_plain_json_data_layer_is_read_too() -> None:
    html = fixture("search_results")
    encoded = re.search(r"b64ToUtf8\('([A-Za-z0-9+/=]+)'\)\)\]", html)
    assert encoded is not None
    event = json.loads(base64.b64decode(encoded[1]))
    plain = f"window.gumtreeDataLayer = [{json.dumps(event)}];"
    html = html[: encoded.start()] + html[encoded.end() :]
    html = html.replace("window.gumtreeDataLayer = [JSON.parse(", plain + "//")
    html = re.sub(r'<div data-q="tile-price"[^>]*>[^<]*</div>', "", html)
    assert parse_search_page(html, BASE, NOW)[0].price == Decimal("320.00")


def test_empty_data_layer_without_tiles_means_no_results() -> None:
    event = {"event": "pageDeclaration", "listListingDetails": []}
    blob = base64.b64encode(json.dumps(event).encode()).decode()
    script = f"window.gumtreeDataLayer = [JSON.parse(b64ToUtf8('{blob}'))];"
    html = f"<html><title>zx81 | Gumtree</title><h1>zx81</h1><script>{script}</script>"
    assert parse_search_page(html, BASE, NOW) == []


def test_tiles_without_links_are_a_changed_layout() -> None:
    html = (
        fixture("search_results")
        .replace('data-q="search-result-anchor"', "")
        .replace('href="/p/', 'href="/ad/')
    )
    with pytest.raises(ParseError, match="none with a listing link"):
        parse_search_page(html, BASE, NOW)


def test_a_tile_missing_optional_fields_is_still_a_listing() -> None:
    html = """<html><body><article data-q="search-result">
      <a data-q="search-result-anchor" href="/p/bikes/carrera/1500000001">
      <h2 data-q="tile-title">Carrera Vengeance</h2></a></article></body></html>"""
    (listing,) = parse_search_page(html, BASE, NOW)
    assert listing.title == "Carrera Vengeance"
    assert listing.price is None and listing.location == "" and listing.image_url is None
    assert listing.posted_at is None
