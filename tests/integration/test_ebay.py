"""EbayMarketplace against a local eBay API (token + Browse search) in the real wire format."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import aiohttp
import pytest

from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Condition, Platform, Tier
from core.errors import Blocked, ConfigurationError, ParseError, RateLimited, Unavailable
from core.models import MarketplaceState
from core.ports import Marketplace, MarketplaceQuery
from core.quota import DailyQuota
from core.runner import Runner
from core.scheduling import key_due, with_key_state
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.ebay import DEFAULT_DAILY_CALL_QUOTA, EbayMarketplace, ebay_keywords
from scrapers.ebay.parse import parse_search
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi, fixture


def query(keywords: str = "ps5", **fields: object) -> MarketplaceQuery:
    return MarketplaceQuery(marketplace="ebay", keywords=keywords, **fields)  # type: ignore[arg-type]


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi()


@pytest.fixture
async def api_url(fake: FakeEbayApi) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_ebay(
    session: aiohttp.ClientSession, api_url: str, clock: FakeClock, **options: object
) -> EbayMarketplace:
    settings: dict[str, object] = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "api_url": api_url,
        "min_interval_seconds": 0.0,
        "clock": clock,
        "quota": DailyQuota("ebay", DEFAULT_DAILY_CALL_QUOTA, clock=clock),
        **options,
    }
    return EbayMarketplace(session, **settings)  # type: ignore[arg-type]


@pytest.fixture
def ebay(
    db: str, session: aiohttp.ClientSession, api_url: str, clock: FakeClock
) -> EbayMarketplace:
    return make_ebay(session, api_url, clock)


# --- mapping -------------------------------------------------------------------------


async def test_is_a_marketplace(ebay: EbayMarketplace) -> None:
    assert isinstance(ebay, Marketplace)
    assert ebay.name == "ebay"


async def test_item_summaries_become_listings(ebay: EbayMarketplace) -> None:
    found = await ebay.search(query())
    by_id = {x.external_id: x for x in found}
    assert len(found) == 6
    bin_ = by_id["v1|276412345678|0"]
    assert bin_.title.startswith("Sony PlayStation 5 Disc Edition")
    assert bin_.price == Decimal("289.99") and bin_.currency == "GBP"
    assert bin_.url == "https://www.ebay.co.uk/itm/276412345678"  # tracking query dropped
    # the 1600-px picture from thumbnailImages, not image.imageUrl's 225-px thumbnail
    assert bin_.image_url == "https://i.ebayimg.com/images/g/7dEAAOSwq5Zm1b2c/s-l1600.jpg"
    assert bin_.location == "Leeds, LS1****, GB"
    assert bin_.seller == "gamez_direct_uk"
    assert bin_.condition is Condition.USED
    assert bin_.posted_at == datetime(2024, 5, 1, 11, 58, 7, tzinfo=UTC)
    assert bin_.marketplace == "ebay"


def test_a_converted_price_keeps_the_sellers_own() -> None:
    item = {
        "itemId": "v1|1|0",
        "title": "Nintendo Switch",
        "itemWebUrl": "https://www.ebay.com/itm/1",
        "price": {
            "value": "189.21",
            "currency": "USD",
            "convertedFromValue": "150.00",
            "convertedFromCurrency": "GBP",
        },
        "image": {"imageUrl": "https://i.ebayimg.com/images/g/abc/s-l500.jpg"},
        "thumbnailImages": [{"imageUrl": "https://i.ebayimg.com/images/g/abc/s-l140.jpg"}],
    }
    (listing,) = parse_search({"total": 1, "itemSummaries": [item]})
    assert (listing.price, listing.currency) == (Decimal("150.00"), "GBP")
    assert listing.image_url == "https://i.ebayimg.com/images/g/abc/s-l500.jpg"


async def test_auctions_carry_their_current_bid(ebay: EbayMarketplace) -> None:
    by_id = {x.external_id: x for x in await ebay.search(query())}
    auction = by_id["v1|156234567890|0"]  # auction-only: no price, a current bid
    assert auction.price == Decimal("152.00")
    assert auction.description.startswith("Auction, 7 bids, ends 06 May 19:30 UTC")
    both = by_id["v1|305512349876|0"]  # auction with Buy It Now: the BIN price
    assert both.price == Decimal("380.00")
    assert "Auction, 1 bid," in both.description


async def test_conditions_and_sparse_items(ebay: EbayMarketplace) -> None:
    by_id = {x.external_id: x for x in await ebay.search(query())}
    assert by_id["v1|395678901234|0"].condition is Condition.NEW
    assert by_id["v1|395678901234|0"].location == ("Manchester, Greater Manchester, M1****, GB")
    assert "Best offer" in by_id["v1|395678901234|0"].description
    assert by_id["v1|226655443322|525612341234"].condition is Condition.NEW  # opened, unused
    sparse = by_id["v1|134987654321|0"]
    assert (sparse.image_url, sparse.seller, sparse.location, sparse.posted_at) == (
        None,
        "",
        "",
        None,
    )
    assert sparse.condition is Condition.ANY and sparse.price == Decimal("12.50")


async def test_no_results_is_an_empty_list(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.payload = fixture("search_empty.json")  # eBay leaves itemSummaries out entirely
    assert await ebay.search(query("zzqx unobtainium")) == []


# --- the request ---------------------------------------------------------------------


async def test_request_follows_the_browse_api(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    await ebay.search(
        query(
            'ps5 or xbox "series x"',
            min_price=Decimal("100"),
            max_price=Decimal("300"),
            condition=Condition.USED,
            category="gaming",
            limit=50,
        )
    )
    [request] = fake.searches
    params = request.query
    assert params["q"] == "(ps5, xbox) series x"
    assert params["filter"] == (
        "price:[100..300],priceCurrency:GBP,conditions:{USED},"
        "buyingOptions:{FIXED_PRICE|AUCTION},itemLocationCountry:GB"
    )
    assert params["sort"] == "newlyListed"
    assert params["limit"] == "50"
    assert params["category_ids"] == "139971"
    assert request.headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_GB"
    assert request.headers["Authorization"] == f"Bearer {fake.tokens_minted[0]}"
    [grant] = fake.token_requests
    assert grant == {
        "grant_type": "client_credentials",
        "scope": "https://api.ebay.com/oauth/api_scope",
    }


async def test_one_sided_price_and_other_marketplace(
    db: str, session: aiohttp.ClientSession, api_url: str, clock: FakeClock, fake: FakeEbayApi
) -> None:
    ebay = make_ebay(session, api_url, clock, marketplace_id="EBAY_US")
    await ebay.search(query("lego", max_price=Decimal("50"), currency="USD"))
    await ebay.search(query("lego", min_price=Decimal("20"), currency="USD"))
    first, second = (r.query["filter"] for r in fake.searches)
    assert first.startswith("price:[..50],priceCurrency:USD,")
    assert second.startswith("price:[20],priceCurrency:USD,")
    assert first.endswith("itemLocationCountry:US")
    assert fake.searches[0].headers["X-EBAY-C-MARKETPLACE-ID"] == "EBAY_US"
    assert "category_ids" not in fake.searches[0].query


def test_keywords_in_browse_syntax() -> None:
    assert ebay_keywords("ps5 controller") == "ps5 controller"
    assert ebay_keywords("ps5|xbox") == "(ps5, xbox)"
    assert ebay_keywords("iphone-13 pro") == "iphone 13 pro"


def test_unknown_marketplace_id_names_the_setting(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ConfigurationError, match="EBAY_MARKETPLACE_ID"):
        EbayMarketplace(
            session,
            client_id="a",
            client_secret="b",
            marketplace_id="EBAY_XX",
            quota=DailyQuota("ebay", 5),
        )


# --- the token -----------------------------------------------------------------------


async def test_token_is_reused_until_it_expires(
    ebay: EbayMarketplace, fake: FakeEbayApi, clock: FakeClock
) -> None:
    await ebay.search(query())
    await ebay.search(query())
    assert len(fake.tokens_minted) == 1
    clock.advance(7200 - 60)  # inside the renewal margin: a new one before it lapses
    await ebay.search(query())
    assert len(fake.tokens_minted) == 2
    assert fake.searches[-1].headers["Authorization"] == f"Bearer {fake.tokens_minted[1]}"


async def test_a_401_mints_a_new_token_and_retries_once(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    await ebay.search(query())
    fake.revoke_tokens()
    found = await ebay.search(query())
    assert len(found) == 6
    assert len(fake.tokens_minted) == 2
    assert [r.headers["Authorization"] for r in fake.searches[1:]] == [
        f"Bearer {fake.tokens_minted[0]}",
        f"Bearer {fake.tokens_minted[1]}",
    ]


async def test_wrong_credentials_are_blocked_with_the_settings_named(
    db: str, session: aiohttp.ClientSession, api_url: str, clock: FakeClock, fake: FakeEbayApi
) -> None:
    ebay = make_ebay(session, api_url, clock, client_secret="not-the-secret")
    with pytest.raises(Blocked, match=r"invalid_client.*EBAY_CLIENT_ID and EBAY_CLIENT_SECRET"):
        await ebay.search(query())
    assert fake.searches == []


async def test_a_token_refused_twice_is_blocked(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.accept_tokens = False
    with pytest.raises(Blocked, match=r"refused a fresh access token.*1001 Invalid access"):
        await ebay.search(query())
    assert len(fake.tokens_minted) == 2 and len(fake.searches) == 2


# --- failures ------------------------------------------------------------------------


async def test_429_is_rate_limited_with_the_asked_delay(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    fake.search_status, fake.search_headers = 429, {"Retry-After": "120"}
    with pytest.raises(RateLimited) as caught:
        await ebay.search(query())
    assert caught.value.retry_after == 120
    assert caught.value.marketplace == "ebay"


async def test_403_is_blocked_with_ebays_message(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.search_status = 403
    with pytest.raises(Blocked, match=r"HTTP 403.*eBay says: 1100 Access denied") as caught:
        await ebay.search(query())
    assert caught.value.__cause__ is not None


async def test_server_error_is_unavailable(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.search_status = 503
    with pytest.raises(Unavailable, match="HTTP 503"):
        await ebay.search(query())


async def test_timeout_is_unavailable(
    db: str, session: aiohttp.ClientSession, api_url: str, clock: FakeClock, fake: FakeEbayApi
) -> None:
    ebay = make_ebay(session, api_url, clock, timeout_seconds=0.3)
    await ebay.search(query())  # token first, quickly
    fake.search_delay = 2.0
    with pytest.raises(Unavailable, match="did not answer within") as caught:
        await ebay.search(query())
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_malformed_json_is_a_parse_error(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.search_body = b'{"total": 3, "itemSummaries": [{"itemId": '
    with pytest.raises(ParseError, match="not valid JSON") as caught:
        await ebay.search(query())
    assert isinstance(caught.value.__cause__, ValueError)


async def test_changed_payload_is_a_parse_error(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    fake.payload = fixture("search_changed.json")
    with pytest.raises(ParseError, match="neither itemSummaries nor total"):
        await ebay.search(query())


async def test_items_without_required_fields_are_a_parse_error(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    fake.payload = {"total": 2, "itemSummaries": [{"name": "x"}, {"itemId": "v1|1|0"}]}
    with pytest.raises(ParseError, match="none of eBay's 2 item summaries"):
        await ebay.search(query())


async def test_api_warnings_are_logged(
    ebay: EbayMarketplace, fake: FakeEbayApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.payload = {
        **fixture("search_empty.json"),
        "warnings": [{"errorId": 12002, "message": "The 'conditions' value is invalid."}],
    }
    with caplog.at_level(logging.WARNING, logger="scrapers.ebay.parse"):
        assert await ebay.search(query()) == []
    assert "'conditions' value is invalid" in caplog.text


# --- health and the runner -----------------------------------------------------------


async def test_the_scraper_leaves_health_to_the_runner(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    await ebay.search(query())
    fake.search_status = 503
    with pytest.raises(Unavailable):
        await ebay.search(query())
    state = await MarketplaceState.get(name="ebay")  # the quota's row, nothing else
    assert (state.last_success_at, state.last_error, state.last_error_at) == (None, None, None)
    assert state.quota_used == 2


async def test_the_runner_backs_off_for_the_asked_delay(
    ebay: EbayMarketplace, fake: FakeEbayApi, clock: FakeClock
) -> None:
    account = await identify(Platform.CONSOLE, "ebay-tester")
    account.tier = Tier.BUSINESS
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "console")
    service = SearchService(TierTable.demo(fastest_seconds=60), {"ebay": ebay}, clock=clock)
    draft = SearchDraft("ps5", Criteria(keywords="ps5"), ("ebay",), interval_seconds=60)
    search = await service.create(account, destination, draft)
    runner = Runner({"ebay": ebay}, clock=clock)
    await runner.prime(search)
    fake.search_status, fake.search_headers = 429, {"Retry-After": "900"}
    clock.advance(91)  # past the next check: at most 1.5 intervals after the first
    await runner.tick()
    await search.refresh_from_db()
    await with_key_state([search])
    due = await key_due(search)
    assert (due - clock.now).total_seconds() >= 900
    assert search.last_error is not None and "429" in search.last_error
