"""The fetch key is the unit of scheduled work (issue 15): its schedule, what a check writes,
failures told once per key, overflowing pages, bounded write batches, exclusive claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise import connections

from core import checks
from core.errors import Unavailable
from core.keystate import recompute_keys
from core.metrics import Metrics
from core.models import Alert, FetchKey, Match, Notice, Search
from core.runner import Runner
from core.scheduling import NOTIFY_AFTER_FAILURES, NOTIFY_AFTER_OVERFLOWS, claim_due_keys, make_due
from tests.fakes.marketplace import PagedFakeMarketplace
from tests.unit.world import World, key_of, titles


async def test_a_check_with_nothing_new_writes_no_search_row(world: World) -> None:
    brass = await world.create("lamp")
    other = await world.create("lamp", exclude=("brass",))  # same request, other criteria
    assert (await key_of(brass)).id == (await key_of(other)).id
    before = await Search.all().order_by("id").values()
    checked = (await key_of(brass)).checks_count
    await world.cycle()
    await world.cycle()
    assert await Search.all().order_by("id").values() == before
    assert (await key_of(brass)).checks_count == checked + 2  # the key holds the checks
    # Something new for one search: only that search's row is written.
    world.market.add("1", "Brass lamp")
    await world.cycle()
    rows = {row["id"]: row for row in await Search.all().values()}
    assert rows[brass.id]["matches_count"] == 1
    assert rows[other.id] == next(r for r in before if r["id"] == other.id)
    assert titles(world.notifier) == ["Brass lamp"]


async def test_the_key_interval_follows_its_fastest_active_search(world: World) -> None:
    slow = await world.create("desk", interval=300)
    assert (await key_of(slow)).interval_seconds == 300
    fast = await world.create("desk", interval=60)
    assert (await key_of(slow)).interval_seconds == 60  # joined
    await world.searches.pause(world.account, fast.id)
    assert (await key_of(slow)).interval_seconds == 300  # paused
    await world.searches.resume(world.account, fast.id)
    assert (await key_of(slow)).interval_seconds == 60  # resumed
    await world.searches.delete(world.account, fast.id)
    assert (await key_of(slow)).interval_seconds == 300  # deleted
    await world.searches.pause(world.account, slow.id)
    assert (await key_of(slow)).next_check_at is None  # nobody left: never due


async def test_a_slower_search_is_matched_at_its_own_pace(world: World) -> None:
    fast = await world.create("chair", interval=60)
    slow = await world.create("chair", interval=300)
    for n in range(10):
        world.market.add(f"c{n}", f"Chair {n}")
        await world.cycle(60)
    await world.cycle(300)
    moments: dict[int, set[object]] = {fast.id: set(), slow.id: set()}
    for match in await Match.all():
        moments[match.search_id].add(match.created_at)  # type: ignore[attr-defined]
    assert len(moments[fast.id]) >= 9  # about every minute
    assert 2 <= len(moments[slow.id]) <= 4  # about every five minutes
    assert await Match.filter(search_id=slow.id).count() == 10  # and nothing missed


async def test_failures_are_told_once_per_key_to_each_owner(world: World) -> None:
    a = await world.create("tent")
    b = await world.create("tent")
    world.market.fail_with = Unavailable("connection refused")
    world.market.queries.clear()
    for _ in range(NOTIFY_AFTER_FAILURES + 2):
        world.runner.breakers["fake"].record_success()  # keep the circuit out of this test
        world.clock.advance(4000)
        await world.runner.tick()
    assert len(world.market.queries) == NOTIFY_AFTER_FAILURES + 2  # one fetch a key check
    down = await Notice.filter(key__contains=":down:").order_by("id")
    assert sorted(n.key.split(":")[1] for n in down) == sorted([str(a.id), str(b.id)])


async def test_an_all_new_page_reads_further_pages_until_a_seen_listing(world: World) -> None:
    paged = PagedFakeMarketplace()
    world.market = paged
    metrics = Metrics()
    world.runner = Runner({"fake": paged}, clock=world.clock, metrics=metrics)
    for n in range(30):
        paged.add(f"old{n}", f"Bike {n}")
    search = await world.create("bike")
    for n in range(45):
        paged.add(f"new{n}", f"Bike new {n}")
    paged.pages.clear()
    await world.cycle()
    assert paged.pages == [1, 2, 3]  # page 3 reaches listings seen before
    assert sorted(titles(world.notifier)) == sorted(f"Bike new {n}" for n in range(45))
    assert metrics.key_overflows.labels("fake")._value.get() == 1
    # A key that keeps overflowing: its owners hear of it once.
    for round_ in range(NOTIFY_AFTER_OVERFLOWS + 1):
        for n in range(45):
            paged.add(f"more{round_}-{n}", f"Bike more {round_} {n}")
        await world.cycle()
    told = await Notice.filter(key__contains=":overflow:")
    assert [n.key.split(":")[1] for n in told] == [str(search.id)]


async def test_a_page_with_a_seen_listing_is_no_overflow(world: World) -> None:
    paged = PagedFakeMarketplace()
    world.market = paged
    world.runner = Runner({"fake": paged}, clock=world.clock)
    for n in range(30):
        paged.add(f"old{n}", f"Bike {n}")
    await world.create("bike")
    for n in range(19):
        paged.add(f"new{n}", f"Bike new {n}")
    paged.pages.clear()
    await world.cycle()
    assert paged.pages == [1]
    assert len(world.notifier.sent) == 19


async def test_a_failure_between_write_batches_loses_and_repeats_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checks, "MAX_CANDIDATES_PER_TRANSACTION", 2)
    for _ in range(3):
        await world.create("kettle")
    for n in range(3):
        world.market.add(f"k{n}", f"Kettle {n}")
    real_queue, calls = checks._queue, 0

    async def dying(*args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:  # two batches committed, the third dies
            raise RuntimeError("killed")
        await real_queue(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(checks, "_queue", dying)
    await world.cycle()
    assert 0 < await Alert.all().count() < 9
    await world.cycle(4000)  # the key's retry, after its backoff
    assert await Alert.all().count() == 9
    assert len(world.notifier.sent) == 9
    assert len({(a.search_id, a.listing.external_id) for a in world.notifier.sent}) == 9


async def test_two_claims_never_share_a_key(world: World, db: str) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite runs one process; SKIP LOCKED is the Postgres deployment's")
    for n in range(6):
        await world.create(f"gadget{n}")
    await make_due(world.clock())
    lease = world.clock() + timedelta(seconds=60)
    first, second = await asyncio.gather(
        *(
            claim_due_keys(world.clock(), limit=4, lease_until=lease, skip_locked=True)
            for _ in range(2)
        )
    )
    ids_a, ids_b = {k.id for k in first}, {k.id for k in second}
    assert not ids_a & ids_b
    assert len(ids_a | ids_b) == 6


async def test_the_migration_step_takes_over_the_searches_schedules(world: World) -> None:
    a = await world.create("sofa")
    b = await world.create("sofa", interval=300)
    early = world.clock() - timedelta(seconds=40)
    await Search.filter(id=a.id).update(next_check_at=early)
    await Search.filter(id=b.id).update(
        next_check_at=world.clock(), last_error="Unavailable: down", consecutive_failures=2
    )
    await FetchKey.all().update(next_check_at=None, interval_seconds=900, last_error=None)
    await recompute_keys(connections.get("default"), None, world.clock(), from_searches=True)
    key = await key_of(a)
    assert key.next_check_at == early
    assert key.interval_seconds == 60
    assert key.last_error == "Unavailable: down" and key.consecutive_failures == 2
