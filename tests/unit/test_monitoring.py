"""The monitoring spine: priming, dedup, price drops, failures, retries and restarts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.criteria import Criteria
from core.enums import AlertKind, AlertStatus
from core.errors import RateLimited, Unavailable
from core.matches import hide
from core.models import Alert, Listing
from core.searches import SearchDraft
from tests.unit.world import World, key_of, refreshed, titles


async def test_existing_listings_are_a_preview_not_alerts(world: World) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    world.market.add("2", "Nintendo Switch Lite")
    search = await world.create("nintendo switch")
    preview = await world.runner.prime(search)  # priming again finds nothing new
    assert preview == []
    await world.cycle()
    assert world.notifier.sent == []
    world.market.add("3", "Nintendo Switch with games")
    await world.cycle()
    assert titles(world.notifier) == ["Nintendo Switch with games"]


async def test_prime_returns_newest_matches_as_preview(world: World) -> None:
    world.market.add("1", "Nintendo Switch OLED")
    world.market.add("2", "Xbox controller")
    draft = SearchDraft("switch", Criteria(keywords="switch"), ("fake",), 60)
    search = await world.searches.create(world.account, world.destination, draft)
    preview = await world.runner.prime(search)
    assert [p.title for p in preview] == ["Nintendo Switch OLED"]


async def test_the_same_listing_twice_gives_one_alert(world: World) -> None:
    await world.create("camera")
    world.market.add("9", "Canon camera")
    await world.cycle()
    await world.cycle()
    world.market.listings.append(world.market.listings[0])  # reported twice in one fetch
    await world.cycle()
    assert titles(world.notifier) == ["Canon camera"]
    assert await Listing.all().count() == 1


async def test_price_drop_gives_one_price_drop_alert(world: World) -> None:
    await world.create("bike")
    world.market.add("b1", "Road bike", price="300")
    await world.cycle()
    world.market.set_price("b1", "250")
    await world.cycle()
    await world.cycle()  # same lower price again: no second drop alert
    kinds = [(a.kind, a.old_price, a.listing.price) for a in world.notifier.sent]
    assert kinds == [
        (AlertKind.NEW_LISTING, None, Decimal("300")),
        (AlertKind.PRICE_DROP, Decimal("300"), Decimal("250")),
    ]
    listing = await Listing.get(external_id="b1")
    assert [price for _, price in listing.price_history] == ["300", "250"]


async def test_hidden_listing_gets_no_price_drop(world: World) -> None:
    await world.create("bike")
    world.market.add("b1", "Road bike", price="300")
    await world.cycle()
    await hide(world.account, world.notifier.sent[0].match_id)
    world.market.set_price("b1", "200")
    await world.cycle()
    assert len(world.notifier.sent) == 1


async def test_failing_search_is_recorded_and_others_go_on(world: World) -> None:
    good = await world.create("lamp")
    bad = await world.create("sofa")
    world.market.fail_keywords = {"sofa"}
    world.market.add("l1", "Brass lamp")
    world.market.add("s1", "Leather sofa")
    await world.cycle()
    assert titles(world.notifier) == ["Brass lamp"]
    await refreshed(bad)
    await refreshed(good)
    assert bad.last_error and "boom" in bad.last_error
    assert bad.consecutive_failures == 1
    assert good.last_error is None
    # Retried later with backoff; once the site works the missed listing still arrives.
    world.market.fail_keywords = set()
    await world.cycle(seconds=120)
    assert sorted(titles(world.notifier)) == ["Brass lamp", "Leather sofa"]
    await refreshed(bad)
    assert bad.last_error is None


async def test_rate_limited_search_waits_at_least_the_asked_delay(world: World) -> None:
    search = await world.create("desk")
    world.market.fail_with = RateLimited("slow down", retry_after=900)
    await world.cycle()
    await refreshed(search)
    due = (await key_of(search)).next_check_at
    assert due is not None and (due - world.clock.now).total_seconds() >= 900


async def test_provider_failure_keeps_alert_pending_then_delivers(world: World) -> None:
    await world.create("guitar")
    world.notifier.failures_left = 3
    world.market.add("g1", "Fender guitar")
    await world.cycle()
    assert world.notifier.sent == []
    alert = await Alert.get()
    assert alert.status is AlertStatus.PENDING
    assert alert.attempts == 1
    assert alert.last_error == "provider is down"
    for _ in range(4):
        world.clock.advance(5)
        await world.dispatcher.tick()
    assert titles(world.notifier) == ["Fender guitar"]
    assert (await Alert.get()).status is AlertStatus.SENT


async def test_permanent_failure_stops_retries(world: World) -> None:
    await world.create("guitar")
    world.notifier.failures_left = 1
    world.notifier.permanent = True
    world.market.add("g1", "Fender guitar")
    await world.cycle()
    await world.cycle()
    alert = await Alert.get()
    assert alert.status is AlertStatus.FAILED
    assert world.notifier.sent == []


async def test_restart_loses_and_duplicates_nothing(world: World) -> None:
    await world.create("watch")
    world.market.add("w1", "Seiko watch")
    world.clock.advance(91)
    await world.runner.tick()  # matched and queued, then the process dies before delivery
    world.restart()
    world.market.add("w2", "Omega watch")
    await world.cycle()
    await world.cycle()
    assert sorted(titles(world.notifier)) == ["Omega watch", "Seiko watch"]


async def test_alert_in_flight_at_a_crash_is_sent_again_once(world: World) -> None:
    await world.create("watch")
    world.market.add("w1", "Seiko watch")
    world.clock.advance(91)
    await world.runner.tick()
    # The process claimed the alert (SENDING) and died: after the lease it is sent again.
    from core.outbox import claim_due

    claimed = await claim_due(
        ["console"], world.clock(), limit=10, lease_seconds=120, skip_locked=False
    )
    assert len(claimed) == 1
    world.restart()
    await world.dispatcher.tick()
    assert world.notifier.sent == []  # still leased by the dead process
    world.clock.advance(121)
    await world.dispatcher.tick()
    await world.dispatcher.tick()
    assert titles(world.notifier) == ["Seiko watch"]


async def test_crash_during_check_rechecks_after_lease(world: World) -> None:
    search = await world.create("drone")
    world.market.add("d1", "DJI drone")
    world.clock.advance(91)
    from core.scheduling import claim_due_keys

    claimed = await claim_due_keys(
        world.clock(),
        limit=10,
        lease_until=world.clock() + timedelta(seconds=300),
        skip_locked=False,
    )
    assert [k.id for k in claimed] == [(await key_of(search)).id]  # then the process died
    world.restart()
    await world.cycle(seconds=1)
    assert world.notifier.sent == []
    await world.cycle(seconds=300)
    assert titles(world.notifier) == ["DJI drone"]


async def test_unavailable_marketplace_is_reported(world: World) -> None:
    search = await world.create("tent")
    world.market.fail_with = Unavailable("timed out")
    await world.cycle()
    await refreshed(search)
    assert search.last_error == "Unavailable: timed out"
