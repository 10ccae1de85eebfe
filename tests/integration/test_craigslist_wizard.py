"""The /newsearch wizard asks what Craigslist needs (its site) only when Craigslist is picked,
from the question the adapter declares, and stores it where the adapter reads it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.conversation import ChatServices, ChatSession, Reply
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.fetchkeys import upstream_query
from core.models import Search
from core.ports import Marketplace
from core.searches import SearchService
from core.tiers import TierTable
from scrapers.craigslist import CraigslistMarketplace
from tests.fakes.marketplace import FakeMarketplace


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def session(db: str, http: aiohttp.ClientSession) -> ChatSession:
    markets: dict[str, Marketplace] = {
        "sandbox": FakeMarketplace("sandbox"),
        "craigslist": CraigslistMarketplace(http),  # never called: only its questions are read
    }
    account = await identify(Platform.CONSOLE, "cara")
    account.tier = Tier.PRO
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, "chat-cara")
    searches = SearchService(TierTable.default(), markets)
    return ChatSession(ChatServices(searches), account, destination)


async def say(session: ChatSession, *lines: str) -> list[Reply]:
    replies: list[Reply] = []
    for line in lines:
        replies = await session.handle(line)
    return replies


START = ["/newsearch", "Road bikes"]
AFTER_MARKETPLACES = ["road bike", "none", "100-800", "anywhere"]
TAIL = ["USD", "used", str(15 * 60), "chat"]  # the currency follows the site


async def test_craigslist_asks_for_its_site_after_where(session: ChatSession) -> None:
    reply = await say(session, *START, "sandbox,craigslist", *AFTER_MARKETPLACES)
    assert "Which Craigslist site?" in reply[0].text
    assert ("New York", "newyork") in [(o.label, o.value) for o in reply[0].options]
    reply = await session.handle("https://evil.example/sfbay")
    assert reply[0].text.startswith("That link is not on craigslist.org.")
    assert "Which Craigslist site?" in reply[0].text  # asked again
    reply = await say(session, "https://sfbay.craigslist.org/", *TAIL)
    assert "Craigslist site: sfbay" in reply[0].text
    assert reply[0].text.index("Where:") < reply[0].text.index("Craigslist site:")
    await session.handle("confirm")
    search = await Search.get()
    assert search.criteria["extra"] == {"craigslist.site": "sfbay"}
    query = upstream_query(Criteria.from_json(search.criteria), "craigslist")
    assert query.option("site") == "sfbay"
    assert upstream_query(Criteria.from_json(search.criteria), "sandbox").extra == ()


async def test_other_marketplaces_ask_nothing_more(session: ChatSession) -> None:
    reply = await say(session, *START, "sandbox", *AFTER_MARKETPLACES)
    assert reply[0].text.startswith("Which currency")  # the next common step
    reply = await say(session, *TAIL)
    assert "Craigslist site" not in reply[0].text
    await session.handle("confirm")
    assert (await Search.get()).criteria["extra"] == {}


async def test_the_site_can_be_edited_and_is_dropped_with_craigslist(session: ChatSession) -> None:
    await say(session, *START, "craigslist", *AFTER_MARKETPLACES, "sfbay", *TAIL)
    edit = await session.handle("edit")
    assert ("Craigslist site", "extra:craigslist.site") in [
        (o.label, o.value) for o in edit[0].options
    ]
    reply = await say(session, "craigslist site", "newyork")
    assert "Craigslist site: newyork" in reply[0].text  # straight back to the summary
    reply = await say(session, "edit", "marketplaces", "sandbox")
    assert "Craigslist site" not in reply[0].text
    await session.handle("confirm")
    assert (await Search.get()).criteria["extra"] == {}


async def test_editing_a_search_keeps_its_site(session: ChatSession) -> None:
    await say(session, *START, "craigslist", *AFTER_MARKETPLACES, "chicago", *TAIL, "confirm")
    search = await Search.get()
    reply = await say(session, f"/edit {search.id}")
    assert "Craigslist site: chicago" in reply[0].text
    await say(session, "edit", "price", "200-900", "confirm")
    await search.refresh_from_db()
    assert search.criteria["extra"] == {"craigslist.site": "chicago"}
    assert search.criteria["max_price"] == "900.00"


async def test_confirming_without_the_site_asks_for_it(session: ChatSession) -> None:
    await say(session, *START, "sandbox", *AFTER_MARKETPLACES, *TAIL, "confirm")
    search = await Search.get()
    await say(session, f"/edit {search.id}", "edit", "marketplaces", "craigslist")
    reply = await say(session, "sfbay")  # asked right after the marketplaces changed
    assert "Craigslist site: sfbay" in reply[0].text
    search.criteria = {**search.criteria, "extra": {}}
    search.marketplaces = ["craigslist"]
    await search.save()  # as a template would have made it: Craigslist without a site
    await say(session, f"/edit {search.id}")
    reply = await session.handle("confirm")
    assert "Which Craigslist site?" in reply[0].text
    reply = await say(session, "seattle")
    assert "Craigslist site: seattle" in reply[0].text  # the summary again, to confirm
    await session.handle("confirm")
    await search.refresh_from_db()
    assert search.criteria["extra"] == {"craigslist.site": "seattle"}
