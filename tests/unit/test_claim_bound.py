"""A claim is bounded by the searches it carries, not only by its number of keys (issue 15).

A check loads all of its keys' searches at once; at a million searches a claim of 500 keys
can be most of them. These tests fail when the bound is removed (``max_searches`` ignored).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.models import FetchKey, Search
from core.runner import Runner, RunnerOptions
from core.scheduling import Claim, claim_due_keys, claim_keys
from tests.unit.world import World, key_of

# Four keys, due in this order, with 4, 3, 5 and 1 searches.
SIZES = (("lamp", 4), ("sofa", 3), ("desk", 5), ("vase", 1))


async def _keys(world: World) -> list[FetchKey]:
    """The keys of SIZES, due one second apart (oldest first) and unleased."""
    keys = []
    for keywords, count in SIZES:
        searches = [await world.create(keywords) for _ in range(count)]
        keys.append(await key_of(searches[0]))
    base = world.clock.now - timedelta(seconds=10)
    for n, key in enumerate(keys):
        await FetchKey.filter(id=key.id).update(
            next_check_at=base + timedelta(seconds=n), lease_until=None
        )
    return keys


async def _claim(world: World, limit: int, max_searches: int | None) -> Claim:
    lease = world.clock.now + timedelta(seconds=60)
    return await claim_keys(
        world.clock.now, limit=limit, lease_until=lease, skip_locked=False,
        max_searches=max_searches,
    )  # fmt: skip


async def test_a_claim_stops_before_the_key_that_would_pass_the_search_bound(
    world: World,
) -> None:
    lamp, sofa, desk, vase = await _keys(world)
    first = await _claim(world, 10, 7)
    assert [k.id for k in first.keys] == [lamp.id, sofa.id]  # 4 + 3; desk's 5 would pass 7
    assert first.full  # stopped by the bound: desk is due now
    second = await _claim(world, 10, 7)
    assert [k.id for k in second.keys] == [desk.id, vase.id]
    assert not second.full
    third = await _claim(world, 10, 7)
    assert third.keys == [] and not third.full


async def test_a_key_bigger_than_the_bound_is_claimed_alone_and_first(world: World) -> None:
    lamp, sofa, desk, _ = await _keys(world)
    # lamp (4 searches) is over a bound of 2: it still goes, alone; the smaller sofa behind
    # it waits for the next claim (oldest first: a big key is never passed over).
    assert [k.id for k in (await _claim(world, 10, 2)).keys] == [lamp.id]
    assert [k.id for k in (await _claim(world, 10, 2)).keys] == [sofa.id]
    # Keys left out were not leased: they are due and free.
    assert (await FetchKey.get(id=desk.id)).lease_until is None


async def test_a_small_key_behind_a_big_one_is_not_claimed_before_it(world: World) -> None:
    lamp, sofa, desk, vase = await _keys(world)
    # vase (1 search) would fit beside lamp and sofa (4 + 3 of 8), but desk is due before
    # it: taking vase now would keep passing desk over while small keys keep coming due.
    assert [k.id for k in (await _claim(world, 10, 8)).keys] == [lamp.id, sofa.id]
    assert [k.id for k in (await _claim(world, 10, 8)).keys] == [desk.id, vase.id]


async def test_without_a_search_bound_the_key_limit_alone_applies(world: World) -> None:
    await _keys(world)
    claim = await _claim(world, 10, None)
    assert len(claim.keys) == 4 and not claim.full
    await FetchKey.all().update(lease_until=None)
    claim = await _claim(world, 2, None)
    assert len(claim.keys) == 2 and claim.full


async def test_the_runner_checks_a_bounded_backlog_in_several_claims_alerting_once(
    world: World,
) -> None:
    await _keys(world)
    for n, title in enumerate(("Brass lamp", "Velvet sofa", "Oak desk", "Glass vase")):
        world.market.add(str(n), title)
    world.clock.advance(1)  # the listings are new since the searches were primed
    options = RunnerOptions(max_claim_searches=7, share_window_seconds=0)
    world.runner = Runner({"fake": world.market}, clock=world.clock, options=options)
    assert [await world.runner.tick() for _ in range(3)] == [2, 2, 0]
    await world.dispatcher.tick()
    by_search: dict[int, int] = {}
    for alert in world.notifier.sent:
        by_search[alert.search_id] = by_search.get(alert.search_id, 0) + 1
    assert sorted(by_search.values()) == [1] * 13  # each search alerted once, none missed
    assert set(by_search) == set(await Search.all().values_list("id", flat=True))


async def test_the_loop_claims_again_at_once_when_the_bound_stopped_a_claim(world: World) -> None:
    await _keys(world)
    # A long idle pause: the loop only gets through three claims in time if it does not
    # wait after one that the bound stopped (keys are still due then).
    options = RunnerOptions(max_claim_searches=3, idle_sleep_seconds=60, concurrent_batches=1)
    world.runner = Runner({"fake": world.market}, clock=world.clock, options=options)
    running = asyncio.create_task(world.runner.run())
    try:
        for _ in range(200):
            due = await FetchKey.filter(next_check_at__lte=world.clock.now).count()
            if due == 0:
                break
            await asyncio.sleep(0.05)
        assert due == 0, "the loop paused while keys were still due"
    finally:
        world.runner.request_stop()
        await asyncio.wait_for(running, 10)


async def test_bounded_claims_from_two_processes_never_share_a_key(world: World, db: str) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite runs one process; SKIP LOCKED is the Postgres deployment's")
    await _keys(world)
    lease = world.clock.now + timedelta(seconds=60)
    ids: list[int] = []
    for _ in range(8):  # concurrent pairs until everything is claimed
        # (one claim locks all the due keys it looks at, the other skips them: it may get
        # none, and the keys the first one left are free again when it commits)
        pair = await asyncio.gather(
            *(
                claim_due_keys(
                    world.clock.now,
                    limit=10,
                    lease_until=lease,
                    skip_locked=True,
                    max_searches=4,
                )
                for _ in range(2)
            )
        )
        ids += [k.id for claim in pair for k in claim]
        if len(ids) >= 4:
            break
    assert len(ids) == len(set(ids)) == 4
