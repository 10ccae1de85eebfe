"""Followed and blocked sellers (issue 14): follows match locally (or upstream on eBay, in
the fetch key); blocks are per account and never split a shared fetch."""

from __future__ import annotations

import pytest

from bot.conversation import ChatSession
from core import sellers
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.errors import Forbidden, InvalidCriteria
from core.fetchkeys import key_for
from core.models import Match
from core.searches import SearchDraft
from tests.unit.world import World, titles


async def _second_user(world: World, keywords: str) -> int:
    """Another account's search with the same request (so the same fetch key)."""
    other = await identify(Platform.CONSOLE, "other-user")
    other.tier = Tier.BUSINESS
    await other.save()
    where = await destination_for(other, Platform.CONSOLE, "other-console")
    draft = SearchDraft(
        name=keywords,
        criteria=Criteria(keywords=keywords),
        marketplaces=("fake",),
        interval_seconds=60,
    )
    search = await world.searches.create(other, where, draft)
    await world.runner.prime(search)
    return search.id


async def test_a_blocked_sellers_listing_is_never_alerted_but_others_sharing_the_fetch_get_it(
    world: World,
) -> None:
    mine = await world.create("desk lamp")
    theirs = await _second_user(world, "desk lamp")
    assert mine.fetch_key == (await world.searches.get_owned(world.account, mine.id)).fetch_key
    world.market.add("1", "Desk lamp brass", seller="Spammy_Seller")
    await world.cycle()
    [first] = await Match.filter(search_id=mine.id)
    await sellers.block_from_match(world.account, first.id)
    queries_before = len(world.market.queries)
    world.market.add("2", "Desk lamp chrome (relisted)", seller="spammy_seller")
    world.market.add("3", "Desk lamp green", seller="someone_else")
    world.notifier.sent.clear()
    await world.cycle()
    # One upstream call for both searches: the block did not split the shared fetch.
    assert len(world.market.queries) == queries_before + 1
    mine_got = [a.listing.title for a in world.notifier.sent if a.search_id == mine.id]
    theirs_got = [a.listing.title for a in world.notifier.sent if a.search_id == theirs]
    assert mine_got == ["Desk lamp green"]
    assert sorted(theirs_got) == ["Desk lamp chrome (relisted)", "Desk lamp green"]


async def test_blocks_are_listed_and_undone(world: World) -> None:
    search = await world.create("bike")
    world.market.add("1", "Bike", seller="Rider")
    await world.cycle()
    [match] = await Match.filter(search_id=search.id)
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    [said] = await session.handle(f"/block {match.id}")
    assert "Blocked Rider (fake)" in said.text
    [shown] = await session.handle("/blocked")
    [block] = await sellers.list_blocked(world.account)
    assert f"rider (fake) · /unblock {block.id}" in shown.text
    assert shown.buttons[0].action is not None
    [undone] = await session.handle(f"/unblock {block.id}")
    assert "unblocked" in undone.text and await sellers.list_blocked(world.account) == []
    world.market.add("2", "Bike again", seller="RIDER")
    await world.cycle()
    assert "Bike again" in titles(world.notifier)


async def test_nothing_to_block_without_a_seller_and_others_blocks_are_not_yours(
    world: World,
) -> None:
    search = await world.create("chair")
    world.market.add("1", "Chair")  # a marketplace that shows no seller
    await world.cycle()
    [match] = await Match.filter(search_id=search.id)
    with pytest.raises(InvalidCriteria):
        await sellers.block_from_match(world.account, match.id)
    stranger = await identify(Platform.CONSOLE, "stranger")
    block = await sellers.block_seller(stranger, "fake", "x")
    with pytest.raises(Forbidden):
        await sellers.unblock(world.account, block.id)


async def test_following_sellers_matches_them_only_and_may_need_no_keywords(world: World) -> None:
    draft = SearchDraft(
        name="Good Shop's new listings",
        criteria=Criteria(keywords="", sellers=("Good Shop",)),
        marketplaces=("fake",),
        interval_seconds=60,
    )
    await world.runner.prime(await world.searches.create(world.account, world.destination, draft))
    world.market.add("1", "Anything at all", seller="good shop")
    world.market.add("2", "Something else", seller="bad shop")
    world.market.add("3", "No seller shown")
    await world.cycle()
    assert titles(world.notifier) == ["Anything at all"]


def test_followed_sellers_are_in_ebays_fetch_key_only() -> None:
    plain = Criteria(keywords="ps5")
    follow = Criteria(keywords="ps5", sellers=("Gamez_Direct_UK",))
    assert follow.sellers == ("gamez_direct_uk",)
    assert key_for(plain, "ebay").digest != key_for(follow, "ebay").digest
    assert key_for(follow, "ebay").query.sellers == ("gamez_direct_uk",)
    # Elsewhere they are matched locally: the search shares the keywords' fetch.
    assert key_for(plain, "gumtree").digest == key_for(follow, "gumtree").digest
    with pytest.raises(InvalidCriteria):
        Criteria(keywords="  ")
    assert Criteria.from_json(follow.to_json()) == follow


def test_telegram_offers_block_seller_only_when_a_seller_is_shown() -> None:
    from bot.conversation.actions import Act, decode
    from bot.telegram import callbacks
    from bot.telegram.alerts import alert_keyboard
    from core.enums import MatchStatus

    def datas(seller: str) -> list[str]:
        keyboard = alert_keyboard(5, "https://x.test/1", MatchStatus.NEW, seller)
        return [str(b.callback_data) for row in keyboard.inline_keyboard for b in row]

    assert "a:5:b" in datas("rider")
    assert "a:5:b" not in datas("")
    assert callbacks.parse("a:5:b") is not None and callbacks.parse("k:3:u") is not None
    unblock = decode("k:3:u")
    assert unblock is not None and unblock.act is Act.UNBLOCK_SELLER and unblock.id == 3


async def test_blocks_are_in_the_export_and_go_with_the_account(world: World) -> None:
    from core.models import BlockedSeller
    from core.your_data import delete_account, export_account

    await sellers.block_seller(world.account, "ebay", "Spam_Shop")
    exported = await export_account(world.account.id, world.clock.now)
    assert [(b["marketplace"], b["seller"]) for b in exported["blocked_sellers"]] == [
        ("ebay", "spam_shop")
    ]
    erased = await delete_account(world.account.id)
    assert erased.deleted["blocked_sellers"] == 1 and await BlockedSeller.all().count() == 0
