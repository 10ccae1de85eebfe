"""Core builds everything delivery needs into the AlertMessage: no notifier reads the database."""

from __future__ import annotations

from core import matches
from core.enums import AlertKind, MatchStatus
from tests.unit.world import World


async def _quiet_all_day(world: World) -> None:
    world.account.timezone = "UTC"
    now = world.clock.now
    minute = now.hour * 60 + now.minute
    world.account.quiet_start_minute = (minute - 60) % 1440
    world.account.quiet_end_minute = (minute + 120) % 1440
    await world.account.save()


async def test_a_chat_alert_in_quiet_hours_is_marked_silent(world: World) -> None:
    await world.create("lamp")
    await _quiet_all_day(world)
    world.market.add("l1", "Brass lamp")
    await world.cycle()
    [sent] = world.notifier.sent
    assert sent.silent is True


async def test_a_chat_alert_outside_quiet_hours_rings(world: World) -> None:
    await world.create("lamp")
    world.market.add("l1", "Brass lamp")
    await world.cycle()
    [sent] = world.notifier.sent
    assert sent.silent is False
    assert sent.match_status is MatchStatus.NEW


async def test_a_price_drop_on_a_saved_listing_carries_the_saved_status(world: World) -> None:
    await world.create("bike")
    world.market.add("b1", "Road bike", price="300")
    await world.cycle()
    await matches.save(world.account, world.notifier.sent[0].match_id)
    world.market.set_price("b1", "250")
    await world.cycle()
    drop = world.notifier.sent[-1]
    assert (drop.kind, drop.match_status) == (AlertKind.PRICE_DROP, MatchStatus.SAVED)
