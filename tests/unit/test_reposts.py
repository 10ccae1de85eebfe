"""Reposts are not news (issue 14): a seller's relist of something alerted to the search in
the last 14 days is left out, alerted as a price drop when cheaper, or shown marked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.enums import AlertKind
from tests.unit.world import World


def _sent(world: World) -> list[tuple[str, str, AlertKind]]:
    return [(a.listing.external_id, str(a.listing.price), a.kind) for a in world.notifier.sent]


async def test_a_relist_at_the_same_price_is_not_alerted_again(world: World) -> None:
    await world.create("road bike")
    world.market.add("1", "Road bike, 54cm Carbon!", "300", seller="Bike_Flipper")
    await world.cycle()
    world.market.listings.clear()  # deleted ...
    world.market.add("2", "road bike 54cm carbon", "300", seller="bike_flipper")  # ... relisted
    world.market.add("3", "Road bike 54cm carbon", "300", seller="someone_else")  # not a repost
    await world.cycle()
    assert [x[0] for x in _sent(world)] == ["1", "3"]


async def test_a_cheaper_relist_is_a_price_drop(world: World) -> None:
    await world.create("road bike")
    world.market.add("1", "Road bike 54cm", "300", seller="flipper")
    await world.cycle()
    world.market.listings.clear()
    world.market.add("2", "Road bike 54cm", "250", seller="flipper")
    await world.cycle()
    last = world.notifier.sent[-1]
    assert last.listing.external_id == "2" and last.kind is AlertKind.PRICE_DROP
    assert last.old_price == Decimal(300)


async def test_reposts_older_than_14_days_are_news_again(world: World) -> None:
    await world.create("road bike")
    world.market.add("1", "Road bike 54cm", "300", seller="flipper")
    await world.cycle()
    world.market.listings.clear()
    world.clock.advance(timedelta(days=15).total_seconds())
    world.market.add("2", "Road bike 54cm", "300", seller="flipper")
    await world.cycle()
    assert [x[0] for x in _sent(world)] == ["1", "2"]


async def test_a_search_may_ask_to_see_reposts_marked(world: World) -> None:
    await world.create("road bike", show_reposts=True)
    world.market.add("1", "Road bike 54cm", "300", seller="flipper")
    await world.cycle()
    world.market.listings.clear()
    world.market.add("2", "Road bike 54cm", "300", seller="flipper")
    await world.cycle()
    assert [(x[0], x[2]) for x in _sent(world)] == [
        ("1", AlertKind.NEW_LISTING),
        ("2", AlertKind.REPOST),
    ]


async def test_edit_turns_reposts_on_and_new_searches_leave_them_out(world: World) -> None:
    from bot.conversation import ChatSession
    from core.criteria import Criteria
    from core.models import Search

    search = await world.create("road bike")
    session = ChatSession(world.monitor.chat, world.account, world.destination)
    [summary] = await session.handle(f"/edit {search.id}")
    assert "Reposts: left out" in summary.text
    await session.handle("edit")
    [asked] = await session.handle("reposts")
    assert "Show, marked" in [b.label for b in asked.buttons]
    [again] = await session.handle("show")
    assert "Reposts: shown, marked" in again.text
    await session.handle("confirm")
    stored = Criteria.from_json((await Search.get(id=search.id)).criteria)
    assert stored.show_reposts
