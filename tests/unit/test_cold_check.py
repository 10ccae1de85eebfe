"""A key's first check in a process looks at its whole page (no remembered page): only
what can be new to each search is looked at, found per criteria by first-seen time
(``core.checks._NewestFirst``), not by a candidate per (search, listing)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.checks import record_fetch
from core.criteria import Criteria
from core.enums import BuyingFormat
from core.listings import upsert_listings
from core.models import Match, Search
from core.scheduling import active_searches
from tests.unit.world import World, key_of, titles


async def test_a_whole_page_check_matches_what_is_new_to_each_search_by_its_priming(
    world: World,
) -> None:
    early = await world.create("lamp")
    late = await world.create("lamp")
    t0 = world.clock.now
    old, mid, new = (world.market.add(n, f"Lamp {n}") for n in ("old", "mid", "new"))
    await upsert_listings([old], t0)
    await upsert_listings([mid], t0 + timedelta(seconds=10))
    await upsert_listings([new], t0 + timedelta(seconds=20))
    await Search.filter(id=early.id).update(primed_at=t0 + timedelta(seconds=1))
    # Primed the very instant "mid" was first seen: it was there already (not new).
    await Search.filter(id=late.id).update(primed_at=t0 + timedelta(seconds=10))
    key = await key_of(early)
    searches = (await active_searches([key.id]))[key.id]
    parsed = Criteria.from_json(searches[0].criteria)
    found = await record_fetch(
        searches, {s.id: parsed for s in searches}, [new, mid, old],
        t0 + timedelta(seconds=30), {s.id: "console" for s in searches}, known=None,
    )  # fmt: skip
    assert (found[early.id].new_matches, found[late.id].new_matches) == (2, 1)
    matched = await Match.all().values_list("search_id", "listing__external_id")
    assert sorted(matched) == sorted([(early.id, "mid"), (early.id, "new"), (late.id, "new")])


async def test_after_a_restart_an_auction_entering_the_window_is_alerted(world: World) -> None:
    # Listed before the searches existed, same price all along: only its end makes it news.
    ends = world.clock.now + timedelta(hours=5)
    world.market.add("1", "Guitar auction", "50", buying_format=BuyingFormat.AUCTION,
                     current_bid=Decimal(50), bid_count=3, ends_at=ends)  # fmt: skip
    for _ in range(2):
        await world.create("guitar", buying_format=BuyingFormat.AUCTION, ending_within_hours=2)
    await world.cycle()
    assert titles(world.notifier) == []  # ends in 5 h: outside the 2 h window
    world.clock.advance(timedelta(hours=3, minutes=5).total_seconds())
    world.restart()  # a new process: the key's first check here reads the whole page
    await world.cycle()
    assert titles(world.notifier) == ["Guitar auction", "Guitar auction"]
