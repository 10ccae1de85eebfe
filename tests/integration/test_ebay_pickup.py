"""eBay local pickup and price currency: what reaches Browse (the local eBay fake)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import aiohttp
import pytest

from core.criteria import Criteria
from core.fetchkeys import key_for
from core.ports import MarketplaceQuery
from core.quota import DailyQuota
from scrapers.ebay import DEFAULT_DAILY_CALL_QUOTA, EbayMarketplace
from scrapers.ebay.pickup import parse_postcode, pickup_question
from scrapers.ebay.sites import site_for
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi

Build = Callable[[str], EbayMarketplace]
PICKUP = "deliveryOptions:{SELLER_ARRANGED_LOCAL_PICKUP}"


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi()


@pytest.fixture
async def make(fake: FakeEbayApi, db: str) -> AsyncIterator[Build]:
    async with aiohttp.ClientSession() as session, fake.running() as url:
        clock = FakeClock()

        def build(marketplace_id: str = "EBAY_GB") -> EbayMarketplace:
            return EbayMarketplace(
                session,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                api_url=url,
                marketplace_id=marketplace_id,
                min_interval_seconds=0.0,
                clock=clock,
                quota=DailyQuota("ebay", DEFAULT_DAILY_CALL_QUOTA, clock=clock),
                batching=False,
            )

        yield build


def sent_filter(fake: FakeEbayApi) -> list[str]:
    return fake.searches[-1].query["filter"].split(",")


def query_for(criteria: Criteria) -> MarketplaceQuery:
    return key_for(criteria, "ebay").query  # exactly what the runner sends


async def test_local_pickup_sends_browses_pickup_filters(make: Build, fake: FakeEbayApi) -> None:
    ebay = make("EBAY_GB")
    criteria = Criteria(
        "road bike", location="Leeds", radius_miles=10, extra={"ebay.pickup": "LS1 4DY"}
    )
    await ebay.search(query_for(criteria))
    sent = sent_filter(fake)
    assert PICKUP in sent
    assert "pickupCountry:GB" in sent and "pickupPostalCode:LS1 4DY" in sent
    assert "pickupRadius:10" in sent and "pickupRadiusUnit:mi" in sent
    assert "itemLocationCountry:GB" in sent


async def test_pickup_without_a_radius_uses_25_miles_and_us_zip(
    make: Build, fake: FakeEbayApi
) -> None:
    ebay = make("EBAY_US")
    await ebay.search(query_for(Criteria("lego", extra={"ebay.pickup": "94103"})))
    sent = sent_filter(fake)
    assert {PICKUP, "pickupCountry:US", "pickupPostalCode:94103", "pickupRadius:25"} <= set(sent)


async def test_country_wide_sends_no_pickup_filter(make: Build, fake: FakeEbayApi) -> None:
    ebay = make("EBAY_GB")
    await ebay.search(query_for(Criteria("lego", location="Leeds", extra={"ebay.pickup": ""})))
    assert not [f for f in sent_filter(fake) if "pickup" in f.lower()]


def test_pickup_is_part_of_the_fetch_key_and_empty_is_no_answer() -> None:
    base = Criteria("lego")
    near = base.with_changes(extra={"ebay.pickup": "LS1 4DY"})
    other = base.with_changes(extra={"ebay.pickup": "M1 1AE"})
    assert len({key_for(c, "ebay").digest for c in (base, near, other)}) == 3
    country_wide = base.with_changes(extra={"ebay.pickup": ""})
    assert key_for(country_wide, "ebay").digest == key_for(base, "ebay").digest


async def test_a_price_range_goes_upstream_only_in_the_sites_currency(
    make, fake: FakeEbayApi
) -> None:  # type: ignore[no-untyped-def]
    ebay = make("EBAY_US")
    bounds = {"min_price": Decimal("10.50"), "max_price": Decimal("99.99")}
    await ebay.search(query_for(Criteria("lego", currency="USD", **bounds)))  # type: ignore[arg-type]
    assert sent_filter(fake)[:2] == ["price:[10..100]", "priceCurrency:USD"]  # widened outward
    await ebay.search(query_for(Criteria("lego", currency="GBP", **bounds)))  # type: ignore[arg-type]
    assert not [f for f in sent_filter(fake) if f.startswith("price")]  # compared locally


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sw1a1aa", ("GB", "SW1A 1AA")),
        (" ls1  4dy ", ("GB", "LS1 4DY")),
        ("M1 1AE", ("GB", "M1 1AE")),
        ("94103", ("US", "94103")),
        ("94103-1234", ("US", "94103")),
        ("k1a0b1", ("CA", "K1A 0B1")),
        ("M5V 3L9", ("CA", "M5V 3L9")),
    ],
)
def test_postcodes_of_the_three_countries(typed: str, expected: tuple[str, str]) -> None:
    assert parse_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["Leeds", "1234", "SW1A", "D1A 0B1", "941030", "12345-12"])
def test_not_a_postcode(typed: str) -> None:
    with pytest.raises(ValueError, match="not a postcode I recognise"):
        parse_postcode(typed)


def test_the_question_wants_the_sites_country() -> None:
    question = pickup_question(site_for("EBAY_GB"))
    assert question.parse("Country-wide") == ""
    assert question.parse("ls14dy") == "LS1 4DY"
    with pytest.raises(ValueError, match="eBay UK"):
        question.parse("94103")
    assert question.show is not None
    assert question.show("") == "no, results are from all of eBay UK"
    assert question.show("LS1 4DY") == "collect near LS1 4DY"
