"""The /newsearch wizard's currency step (default: the first marketplace's site currency)
and eBay's local-pickup question (a postcode checked for its format, or country-wide), with
the real adapters' declarations (never called: only their questions and currencies)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from bot.conversation import ChatServices, ChatSession, Reply
from core.accounts import destination_for, identify
from core.enums import Platform, Tier
from core.models import Search
from core.ports import Marketplace
from core.quota import DailyQuota
from core.searches import SearchService
from core.tiers import TierTable
from scrapers.craigslist import CraigslistMarketplace
from scrapers.ebay import EbayMarketplace
from scrapers.gumtree import GumtreeMarketplace

START = ["/newsearch", "Bikes"]
MIDDLE = ["road bike", "none", "100-800", "Leeds 10"]
# eBay has auctions: after the price comes "Buy It Now, auctions or both?" (issue 14).
EBAY_MIDDLE = [*MIDDLE[:3], "bin", *MIDDLE[3:]]
TAIL = ["used", str(15 * 60), "chat"]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def session_with(http: aiohttp.ClientSession, ebay_site: str = "EBAY_GB") -> ChatSession:
    ebay = EbayMarketplace(
        http, client_id="id", client_secret="secret", marketplace_id=ebay_site,
        quota=DailyQuota("ebay", 5000),
    )  # fmt: skip
    markets: dict[str, Marketplace] = {
        "craigslist": CraigslistMarketplace(http),
        "ebay": ebay,
        "gumtree": GumtreeMarketplace(http, "https://www.gumtree.com"),
    }
    account = await identify(Platform.CONSOLE, "cara")
    account.tier = Tier.PRO
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "chat-cara")
    return ChatSession(
        ChatServices(SearchService(TierTable.default(), markets)), account, destination
    )


async def say(session: ChatSession, *lines: str) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = await session.handle(line)
    return replies


def first_button(reply: Reply) -> tuple[str, str]:
    """The first choice: its button's label and the value pressing it gives."""
    return reply.buttons[0].label, str(reply.options[0].value)


@pytest.mark.parametrize(
    ("marketplace", "site", "default", "label"),
    [
        ("craigslist", "sfbay", "USD", "US dollars (USD)"),
        ("craigslist", "toronto", "CAD", "Canadian dollars (CAD)"),
        ("craigslist", "london", "GBP", "Pounds (GBP)"),
        ("gumtree", None, "GBP", "Pounds (GBP)"),
    ],
)
async def test_the_currency_defaults_to_the_first_marketplaces_site(
    db: str, http: aiohttp.ClientSession, marketplace: str, site: str | None, default: str,
    label: str,
) -> None:  # fmt: skip
    session = await session_with(http)
    reply = await say(session, *START, marketplace, *MIDDLE, *([site] if site else []))
    assert reply[0].text.startswith("Which currency is your price range in?")
    assert first_button(reply[0]) == (label, default)
    reply = await say(session, default, *TAIL)
    assert f"Price: {'$' if default == 'USD' else 'CA$' if default == 'CAD' else '£'}100.00" in (
        reply[0].text
    )
    await session.handle("confirm")
    search = await Search.get()
    assert search.criteria["currency"] == default and search.criteria["max_price"] == "800.00"


async def test_ebay_us_defaults_to_dollars(db: str, http: aiohttp.ClientSession) -> None:
    session = await session_with(http, "EBAY_US")
    reply = await say(session, *START, "ebay", *EBAY_MIDDLE, "country-wide")
    assert first_button(reply[0]) == ("US dollars (USD)", "USD")


async def test_another_currency_can_be_typed_and_a_bad_one_is_asked_again(
    db: str, http: aiohttp.ClientSession
) -> None:
    session = await session_with(http)
    await say(session, *START, "gumtree", *MIDDLE)
    reply = await say(session, "pesos")
    assert "not a currency I can convert" in reply[0].text
    assert reply[0].text.count("Which currency") == 1 and reply[0].buttons  # asked again
    reply = await say(session, "chf", *TAIL)
    assert "Price: CHF 100.00 – CHF 800.00" in reply[0].text
    assert "Currency: Swiss francs (CHF)" in reply[0].text
    await session.handle("confirm")
    criteria = (await Search.get()).criteria
    assert criteria["currency"] == "CHF" and Decimal(criteria["min_price"]) == 100


async def test_ebay_asks_for_pickup_and_re_asks_a_bad_postcode(
    db: str, http: aiohttp.ClientSession
) -> None:
    session = await session_with(http)
    reply = await say(session, *START, "ebay", *EBAY_MIDDLE)
    assert reply[0].text.startswith("eBay: only items you can collect in person?")
    assert first_button(reply[0]) == ("Country-wide", "country-wide")
    reply = await say(session, "Leeds")
    assert "'Leeds' is not a postcode I recognise" in reply[0].text
    assert "eBay: only items you can collect" in reply[0].text  # the question again
    reply = await say(session, "94103")  # a US ZIP on eBay UK
    assert "type a UK postcode for local pickup, or choose Country-wide" in reply[0].text
    reply = await say(session, "ls14dy")
    assert reply[0].text.startswith("Which currency")
    reply = await say(session, "GBP", *TAIL)
    assert "eBay local pickup: collect near LS1 4DY" in reply[0].text
    await session.handle("confirm")
    assert (await Search.get()).criteria["extra"] == {"ebay.pickup": "LS1 4DY"}


async def test_country_wide_is_said_plainly(db: str, http: aiohttp.ClientSession) -> None:
    session = await session_with(http)
    reply = await say(session, *START, "ebay", *EBAY_MIDDLE, "country-wide", "GBP", *TAIL)
    assert "eBay local pickup: no, results are from all of eBay UK" in reply[0].text
    await session.handle("confirm")
    assert (await Search.get()).criteria["extra"] == {"ebay.pickup": ""}
