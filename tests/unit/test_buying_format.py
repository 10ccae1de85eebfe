"""Buy It Now / auctions / both, auction prices, and auctions ending within N hours
(issue 14), with the world's fake clock."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.conversation import alert_lines
from bot.conversation.wizard import draft_from_answers
from core.criteria import Criteria
from core.enums import BuyingFormat
from core.matching import matches
from core.ports import ListingData
from tests.unit.world import World, titles

AUCTION = BuyingFormat.AUCTION


def _auction(bid: str, ends_in: timedelta | None, world: World) -> dict[str, object]:
    ends = None if ends_in is None else world.clock.now + ends_in
    return {"buying_format": AUCTION, "current_bid": Decimal(bid), "bid_count": 3, "ends_at": ends}


async def test_buy_it_now_only_leaves_auctions_out(world: World) -> None:
    await world.create("camera", buying_format=BuyingFormat.BUY_IT_NOW)
    world.market.add("1", "Camera auction", "0.99", **_auction("0.99", timedelta(days=3), world))
    world.market.add("2", "Camera fixed price", "120")
    world.market.add("3", "Camera auction or BIN", "150", buying_format=BuyingFormat.BOTH)
    await world.cycle()
    assert sorted(titles(world.notifier)) == ["Camera auction or BIN", "Camera fixed price"]


async def test_the_price_cap_applies_to_the_bid_only_for_a_search_of_auctions(
    world: World,
) -> None:
    await world.create("lens", max_price=Decimal(100), buying_format=AUCTION)
    await world.create("lens", max_price=Decimal(100), buying_format=BuyingFormat.BOTH)
    world.market.add("1", "Lens auction", "0.99", **_auction("0.99", timedelta(days=3), world))
    world.market.add("2", "Lens auction pricey", "140", **_auction("140", timedelta(days=1), world))
    world.market.add("3", "Lens fixed", "90")
    await world.cycle()
    by_search: dict[int, list[str]] = {}
    for alert in world.notifier.sent:
        by_search.setdefault(alert.search_id, []).append(alert.listing.title)
    auctions, both = sorted(by_search)
    assert by_search[auctions] == ["Lens auction"]  # £0.99 bid under the cap; BIN not wanted
    # Both: a £0.99 opening bid says nothing of the final price, so the cap leaves it out.
    assert by_search[both] == ["Lens fixed"]


async def test_auctions_ending_within_n_hours_alert_once_on_entering_the_window(
    world: World,
) -> None:
    # Listed before the search existed: it is not new, but it has not entered the window yet.
    world.market.add("1", "Guitar auction", "50", **_auction("50", timedelta(hours=5), world))
    await world.create("guitar", buying_format=AUCTION, ending_within_hours=2)
    await world.cycle()
    assert titles(world.notifier) == []  # ends in 5 h: outside the 2 h window
    world.clock.advance(timedelta(hours=3, minutes=5).total_seconds())  # 1 h 53 min left
    world.market.set_price("1", "75")  # bids went up; the alert shows the price now
    await world.cycle()
    [alert] = world.notifier.sent
    assert alert.listing.title == "Guitar auction" and alert.listing.price == Decimal(75)
    for _ in range(3):
        await world.cycle(600)
    assert len(world.notifier.sent) == 1  # once
    world.clock.advance(timedelta(hours=3).total_seconds())
    await world.cycle()
    assert len(world.notifier.sent) == 1  # ended: nothing more


async def test_an_auction_entering_the_window_at_an_unchanged_price_alerts_once(
    world: World,
) -> None:
    # The key's last page already had it (a warm check looks at what is new or repriced):
    # entering the window is news even when no bid moved the price.
    world.market.add("1", "Guitar auction", "50", **_auction("50", timedelta(hours=5), world))
    await world.create("guitar", buying_format=AUCTION, ending_within_hours=2)
    await world.cycle()
    assert titles(world.notifier) == []
    for _ in range(2):  # checks while it is still outside the window: the page is known
        await world.cycle(600)
    assert titles(world.notifier) == []
    world.clock.advance(timedelta(hours=3, minutes=5).total_seconds())
    await world.cycle()
    assert titles(world.notifier) == ["Guitar auction"]
    await world.cycle(600)
    assert len(world.notifier.sent) == 1  # once


async def test_an_auction_already_in_the_window_when_primed_is_not_alerted(world: World) -> None:
    # In the window when the search was made: the first check's preview showed it, so it
    # never entered the window after priming (core.checks._may_enter_window's ``after``).
    world.market.add("1", "Guitar auction", "50", **_auction("50", timedelta(hours=1), world))
    await world.create("guitar", buying_format=AUCTION, ending_within_hours=2)
    for _ in range(3):
        await world.cycle(600)
    assert titles(world.notifier) == []


async def test_an_auction_alert_shows_its_bid_bids_and_end(world: World) -> None:
    await world.create("drone", buying_format=AUCTION)
    world.market.add("1", "Drone", "42", **_auction("42", timedelta(hours=3), world))
    await world.cycle()
    [alert] = world.notifier.sent
    text = "\n".join(alert_lines(alert, world.clock.now))
    assert "Auction · current bid £42.00 · 3 bids · ends in 2 h 58 min" in text


def test_new_searches_default_to_buy_it_now_and_old_ones_keep_both() -> None:
    answers = {
        "name": "x", "marketplaces": ("ebay",), "keywords": "x", "exclude": (),
        "min_price": None, "max_price": None, "location": "", "radius_miles": None,
        "condition": Criteria(keywords="x").condition, "interval_seconds": 300,
        "channels": (),
    }  # fmt: skip
    assert draft_from_answers(answers).criteria.buying_format is BuyingFormat.BUY_IT_NOW
    stored = Criteria(keywords="x").to_json()
    del stored["buying_format"]  # saved before the setting existed
    assert Criteria.from_json(stored).buying_format is BuyingFormat.BOTH


def test_an_auction_with_no_known_end_is_not_in_any_window(world: World) -> None:
    item = ListingData("fake", "1", "u", "Bike", Decimal(5), buying_format=AUCTION)
    wanted = Criteria(keywords="bike", buying_format=AUCTION, ending_within_hours=4)
    assert not matches(wanted, item, world.clock.now)
    assert matches(Criteria(keywords="bike", buying_format=AUCTION), item, world.clock.now)


async def test_a_search_from_a_template_is_buy_it_now(world: World) -> None:
    from core import templates
    from core.models import Search

    await templates.seed_templates()
    [first, *_] = await templates.list_templates(None)
    search = await templates.create_from_template(
        world.searches, world.account, world.destination, first.slug, "fake"
    )
    stored = Criteria.from_json((await Search.get(id=search.id)).criteria)
    assert stored.buying_format is BuyingFormat.BUY_IT_NOW
