"""Saved listings stay true (issue 14): the saved-state pass against the fake eBay API's
getItems, with the upstream calls counted against its pacing and daily quota."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.conversation.screens import saved_page
from core import matches
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import ListingState, MatchStatus, Platform, Tier
from core.models import Listing, Match
from core.quota import DailyQuota
from core.saved_state import SavedStateChecker, SavedStateOptions
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from scrapers.ebay import EbayMarketplace
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi


@pytest.fixture
async def fake() -> AsyncIterator[FakeEbayApi]:
    yield FakeEbayApi()


async def _saved(count: int, clock: FakeClock, tell: bool = False) -> list[str]:
    """``count`` eBay listings, each saved by one account; their item ids."""
    account = await identify(Platform.CONSOLE, "reseller")
    account.tier = Tier.BUSINESS
    await account.save()
    where = await destination_for(account, Platform.CONSOLE, "c")
    service = SearchService(TierTable.default(), ("ebay",), clock=clock)
    criteria = Criteria(keywords="ps5", tell_saved_state=tell)
    draft = SearchDraft("ps5", criteria, ("ebay",), interval_seconds=3600)
    search = await service.create(account, where, draft)
    ids = [f"v1|{100000 + n}|0" for n in range(count)]
    now = clock()
    await Listing.bulk_create(
        [
            Listing(
                marketplace="ebay",
                external_id=i,
                url=f"https://www.ebay.co.uk/itm/{n}",
                title=f"PS5 {n}",
                first_seen_at=now,
                last_seen_at=now,
            )
            for n, i in enumerate(ids)
        ]
    )
    rows = await Listing.filter(marketplace="ebay").values_list("id", flat=True)
    await Match.bulk_create(
        [Match(search_id=search.id, listing_id=r, status=MatchStatus.SAVED) for r in rows]
    )
    return ids


_SOLD = "OUT_OF_STOCK"


def _live(item_id: str, **extra: object) -> dict[str, object]:
    return {"itemId": item_id, "itemEndDate": "2026-02-01T00:00:00.000Z", **extra}


async def _checker(
    fake: FakeEbayApi, clock: FakeClock, quota: int = 5000, calls: int = 100
) -> AsyncIterator[tuple[SavedStateChecker, DailyQuota]]:
    daily = DailyQuota("ebay", quota, clock=clock)
    async with aiohttp.ClientSession() as session, fake.running() as url:
        ebay = EbayMarketplace(
            session,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_url=url,
            min_interval_seconds=0.0,
            clock=clock,
            quota=daily,
        )
        options = SavedStateOptions(calls_per_pass=calls)
        yield SavedStateChecker({"ebay": ebay}, options, clock=clock), daily


async def test_sold_ended_and_gone_are_recorded_and_shown(db: str, fake: FakeEbayApi) -> None:
    clock = FakeClock()
    sold, ended, gone, live = await _saved(4, clock)
    fake.items = {
        sold: _live(sold, estimatedAvailabilities=[{"estimatedAvailabilityStatus": _SOLD}]),
        ended: _live(ended, itemEndDate="2026-01-05T11:00:00.000Z"),  # an hour before "now"
        live: _live(live, estimatedAvailabilities=[{"estimatedAvailabilityStatus": "IN_STOCK"}]),
    }  # `gone` is not found
    async for checker, _ in _checker(fake, clock):
        report = await checker.run_once()
        assert report.checked == {"ebay": 4} and report.changed == {"ebay": 3}
        assert len(fake.item_requests) == 1  # 4 ids: one getItems call
        states = dict(await Listing.all().values_list("external_id", "state"))
        assert states == {sold: "sold", ended: "ended", gone: "gone", live: "available"}
        # Checked again only after recheck_seconds, and only what is still available.
        assert (await checker.run_once()).checked == {"ebay": 0}
        clock.advance(timedelta(hours=7).total_seconds())
        assert (await checker.run_once()).checked == {"ebay": 1}
    account = await identify(Platform.CONSOLE, "reseller")
    text = saved_page(await matches.list_saved(account, 1, per_page=10), clock()).text
    assert "🔴 sold" in text and "⚫ ended" in text and "⚪ gone" in text


async def test_a_thousand_saved_listings_cost_fifty_calls_within_the_quota(
    db: str, fake: FakeEbayApi
) -> None:
    clock = FakeClock()
    ids = await _saved(1000, clock)
    fake.items = {i: _live(i) for i in ids[::2]}  # half still there
    async for checker, quota in _checker(fake, clock):
        report = await checker.run_once()
        calls = len(fake.item_requests)
        print(f"\nsaved-listing check: {calls} getItems calls per 1,000 saved eBay listings")
        assert calls == 50 and report.checked == {"ebay": 1000}
        assert (await quota.usage()).used == calls  # every call counted in the daily quota
        assert all(len(r.query["item_ids"].split(",")) <= 20 for r in fake.item_requests)
        assert await Listing.filter(state=ListingState.GONE).count() == 500


async def test_a_spent_quota_ends_the_pass_without_error(db: str, fake: FakeEbayApi) -> None:
    clock = FakeClock()
    await _saved(100, clock)
    async for checker, _ in _checker(fake, clock, quota=3):  # 2 allowed by noon (soft 80 %)
        report = await checker.run_once()
        assert len(fake.item_requests) == 2 and report.checked == {"ebay": 40}
        assert await Listing.filter(state_checked_at=None).count() == 60  # next time


async def test_gumtree_ad_pages_answering_404_are_gone(db: str) -> None:
    from scrapers.gumtree import GumtreeMarketplace
    from tests.fakes.gumtree_site import GumtreeSite, running_gumtree

    clock = FakeClock()
    site = GumtreeSite(live_ads={"1489912345"})
    async with running_gumtree(site) as base, aiohttp.ClientSession() as session:
        gumtree = GumtreeMarketplace(
            session, base, min_interval_seconds=0, jitter_seconds=0, clock=clock
        )
        live, removed = "1489912345", "1489908876"
        # Stored URLs are on the real host: they are fetched from the configured one.
        states = await gumtree.check_listings(
            [
                (live, f"https://www.gumtree.com/p/mobile-phones/iphone-13/{live}"),
                (removed, f"https://www.gumtree.com/p/mobile-phones/iphone-13-pro/{removed}"),
            ]
        )
    assert states == {live: ListingState.AVAILABLE, removed: ListingState.GONE}
    assert site.ad_requests == [live, removed]  # one paced page per listing


async def test_a_pass_makes_at_most_its_calls(db: str, fake: FakeEbayApi) -> None:
    clock = FakeClock()
    await _saved(100, clock)
    async for checker, _ in _checker(fake, clock, calls=2):
        assert (await checker.run_once()).checked == {"ebay": 40}
        assert len(fake.item_requests) == 2
        assert (await checker.run_once()).checked == {"ebay": 40}  # the next 40, not the same
        assert await Listing.filter(state_checked_at=None).count() == 20


async def test_the_chat_is_told_once_only_when_the_search_asked(db: str, fake: FakeEbayApi) -> None:
    from core.models import Notice, Search

    clock = FakeClock()
    sold, live = await _saved(2, clock, tell=True)
    fake.items = {
        sold: _live(sold, estimatedAvailabilities=[{"estimatedAvailabilityStatus": _SOLD}])
    }
    fake.items[live] = _live(live)
    async for checker, _ in _checker(fake, clock):
        await checker.run_once()
        [notice] = await Notice.all()
        assert "A listing you saved has sold: PS5 0" in notice.text
        clock.advance(timedelta(hours=7).total_seconds())
        await checker.run_once()
        assert await Notice.all().count() == 1  # once
        # A search that did not ask is not told.
        await Search.all().update(criteria=Criteria(keywords="ps5").to_json())
        fake.items.pop(live)
        clock.advance(timedelta(hours=7).total_seconds())
        await checker.run_once()
        assert await Notice.all().count() == 1


async def test_personal_saves_from_shared_chats_are_checked_too(db: str, fake: FakeEbayApi) -> None:
    """Issue 12: a member's own Save on a channel's alert (saved_listing; the channel's
    match stays "new") is re-checked like any saved listing and shows as sold in /saved."""
    clock = FakeClock()
    sold, live = await _saved(2, clock)
    await Match.all().update(status=MatchStatus.NEW)  # the channel's alerts, nobody's saved
    member = await identify(Platform.DISCORD, "3002", "Eve")
    for match in await Match.all().select_related("listing", "search"):
        await matches.save_personal(member, match)
    fake.items = {
        sold: _live(sold, estimatedAvailabilities=[{"estimatedAvailabilityStatus": _SOLD}]),
        live: _live(live),
    }
    async for checker, _ in _checker(fake, clock):
        assert (await checker.run_once()).checked == {"ebay": 2}
    text = saved_page(await matches.list_saved(member, 1, per_page=10), clock()).text
    assert "🔴 sold" in text
