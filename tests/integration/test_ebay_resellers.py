"""eBay and issue 14: followed sellers go upstream as Browse's ``sellers:{a|b}`` filter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from core.criteria import Criteria
from core.enums import BuyingFormat
from core.fetchkeys import upstream_query
from scrapers.ebay import EbayMarketplace
from tests.fakes.ebay_api import FakeEbayApi, item
from tests.integration.test_ebay_batching import make_ebay, when

CATALOGUE = [
    item(1, "Oak desk", when(50), seller={"username": "good_shop"}),
    item(2, "Pine desk", when(49), seller={"username": "spammer"}),
    item(3, "Lamp", when(48), seller={"username": "good_shop"}),
]


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi(catalogue=list(CATALOGUE))


@pytest.fixture
async def ebay(db: str, fake: FakeEbayApi) -> AsyncIterator[EbayMarketplace]:
    async with aiohttp.ClientSession() as session, fake.running() as url:
        yield make_ebay(session, url, batching=False)


async def test_followed_sellers_are_filtered_upstream(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    query = upstream_query(Criteria(keywords="desk", sellers=("Good_Shop",)), "ebay")
    found = await ebay.search(query)
    [request] = fake.searches
    assert "sellers:{good_shop}" in request.query["filter"]
    assert [x.title for x in found] == ["Oak desk"]
    assert found[0].seller == "good_shop"


async def test_a_seller_only_search_sends_no_q(ebay: EbayMarketplace, fake: FakeEbayApi) -> None:
    query = upstream_query(Criteria(keywords="", sellers=("good_shop",)), "ebay")
    found = await ebay.search(query)
    [request] = fake.searches
    assert "q" not in request.query
    assert sorted(x.title for x in found) == ["Lamp", "Oak desk"]


async def test_auctions_ending_soon_ask_ebay_for_those_ending_first(
    ebay: EbayMarketplace, fake: FakeEbayApi
) -> None:
    wanted = Criteria(keywords="desk", buying_format=BuyingFormat.AUCTION, ending_within_hours=6)
    await ebay.search(upstream_query(wanted, "ebay"))
    # Buy It Now / auctions alone stays local: it does not change the request.
    await ebay.search(upstream_query(Criteria(keywords="desk"), "ebay"))
    soon, plain = fake.searches
    assert soon.query["sort"] == "endingSoonest"
    assert "buyingOptions:{AUCTION}" in soon.query["filter"]
    assert plain.query["sort"] == "newlyListed"
    assert "buyingOptions:{FIXED_PRICE|AUCTION}" in plain.query["filter"]
