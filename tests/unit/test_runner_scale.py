"""The runner at scale: shared fetches, circuit breakers, telling the user once, lease fences."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from tortoise import connections

from core import bulk, runner
from core.enums import AlertStatus
from core.errors import Blocked, Unavailable
from core.listings import upsert_listings
from core.models import Match, Notice
from core.runner import Runner, RunnerOptions
from core.scheduling import NOTIFY_AFTER_FAILURES, KeyResult, claim_due_keys, make_due
from tests.unit.world import World, key_of, refreshed, titles


async def _due_now(world: World) -> None:
    # Past the runner's share window: a fresh fetch is needed.
    world.clock.advance(RunnerOptions().share_window_seconds + 1)
    await make_due(world.clock.now)


async def test_searches_with_the_same_request_share_one_fetch(world: World) -> None:
    for _ in range(5):
        await world.create("road bike")
    await world.create("road bike", max_price=Decimal("200"))  # different upstream request
    world.market.queries.clear()
    await _due_now(world)
    await world.runner.tick()
    assert len(world.market.queries) == 2


async def test_without_coalescing_every_search_fetches(world: World) -> None:
    for _ in range(3):
        await world.create("road bike")
    world.runner = Runner({"fake": world.market}, clock=world.clock,
                          options=RunnerOptions(coalesce=False))  # fmt: skip
    world.market.queries.clear()
    await _due_now(world)
    await world.runner.tick()
    assert len(world.market.queries) == 3


async def test_same_key_searches_stay_due_together(world: World) -> None:
    a = await world.create("lamp", interval=300)
    b = await world.create("lamp", interval=1800)
    # One key, one schedule: the fastest search's interval; the slower one rides a subset.
    key = await key_of(a)
    assert key.id == (await key_of(b)).id
    assert key.interval_seconds == 300
    await world.searches.pause(world.account, a.id)
    assert (await key_of(b)).interval_seconds == 1800  # recomputed when a search leaves


async def test_blocked_site_opens_the_circuit_and_searches_wait(world: World) -> None:
    search = await world.create("sofa")
    world.market.fail_with = Blocked("login wall")
    await world.cycle()
    breaker = world.runner.breakers["fake"]
    assert breaker.open_until is not None
    calls = len(world.market.queries)
    await _due_now(world)
    await world.runner.tick()
    assert len(world.market.queries) == calls  # no request while the circuit is open
    await refreshed(search)
    assert search.last_error and "refusing our requests" in search.last_error
    due = (await key_of(search)).next_check_at
    assert due is not None and due >= breaker.open_until
    # After the cooldown one probe goes out; success closes the circuit.
    world.market.fail_with = None
    world.clock.now = breaker.open_until + timedelta(seconds=1)
    await _due_now(world)
    await world.runner.tick()
    await refreshed(search)
    assert search.last_error is None and breaker.allow(world.clock.now)


async def test_user_is_told_once_when_a_search_cannot_run_and_once_when_it_recovers(
    world: World,
) -> None:
    search = await world.create("tent")
    world.market.fail_with = Unavailable("connection refused")
    for _ in range(NOTIFY_AFTER_FAILURES + 3):
        world.runner.breakers["fake"].record_success()  # keep the circuit out of this test
        world.clock.advance(4000)
        await world.runner.tick()
    notices = await Notice.exclude(key__contains=":preview:")  # (the first check's preview)
    assert [n.text.split(" can't run")[0] for n in notices] == [f"⚠ Your search #{search.id} tent"]
    world.market.fail_with = None
    world.clock.advance(4000)
    await world.runner.tick()
    await world.dispatcher.tick()
    texts = [n.text for n in await Notice.exclude(key__contains=":preview:").order_by("id")]
    assert len(texts) == 2 and "running again" in texts[1]
    assert await Notice.filter(status=AlertStatus.SENT).count() == 3  # with the preview
    assert len(world.notifier.notices) == 3


async def test_a_late_worker_does_not_overwrite_a_newer_claim(world: World) -> None:
    search = await world.create("desk")
    await _due_now(world)
    old = await claim_due_keys(
        world.clock(), limit=10, lease_until=world.clock() + timedelta(seconds=5),
        skip_locked=False,
    )  # fmt: skip
    assert [k.id for k in old] == [(await key_of(search)).id]
    # The first worker stalls past its lease (and the share window); another takes over.
    world.clock.advance(RunnerOptions().share_window_seconds + 1)
    world.market.add("d1", "Oak desk")
    await world.runner.tick()
    await world.dispatcher.tick()
    from core.scheduling import Outcomes, save_outcomes

    stale = Outcomes(world.clock(), old[0].lease_until)  # type: ignore[arg-type]
    stale.keys.append(KeyResult(old[0], [search], error=Unavailable("late"), interval=60))
    await save_outcomes(stale)
    await refreshed(search)
    assert search.last_error is None
    assert titles(world.notifier) == ["Oak desk"]


async def test_a_recent_fetch_serves_the_next_batch_with_the_same_query(world: World) -> None:
    for _ in range(3):
        await world.create("road bike")
    world.runner = Runner({"fake": world.market}, clock=world.clock,
                          options=RunnerOptions(batch_size=1))  # fmt: skip
    await _due_now(world)
    world.market.queries.clear()
    assert [await world.runner.tick() for _ in range(2)] == [1, 0]  # one key: one claim
    assert len(world.market.queries) == 1


async def test_a_listing_some_searches_already_matched_is_alerted_to_the_others_once(
    world: World,
) -> None:
    # Checks skip a listing every search of the fetch already matched (core.checks): a
    # search that has not matched it yet must still get its alert, and the others no repeat.
    first = await world.create("tent")
    second = await world.create("tent")
    await world.searches.pause(world.account, second.id)
    world.market.add("7", "Two-person tent")
    await _due_now(world)
    await world.cycle(0)
    assert [a.search_id for a in world.notifier.sent] == [first.id]
    await world.searches.resume(world.account, second.id)
    for _ in range(2):  # twice: once both have it, the listing is settled for both
        await _due_now(world)
        await world.cycle(0)
    assert sorted(a.search_id for a in world.notifier.sent) == sorted([first.id, second.id])


async def test_bulk_insert_returns_only_the_rows_it_inserted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", 10)  # 5 columns: 2 rows a statement, 3 statements
    search = await world.create("lamp")
    items = [world.market.add(str(n), f"Lamp {n}") for n in range(5)]
    listings = await upsert_listings(items, world.clock.now)
    await Match.create(search=search, listing=listings[2], status="new")
    columns = {"search_id": "int", "listing_id": "int", "status": "varchar",
               "created_at": "timestamptz", "updated_at": "timestamptz"}  # fmt: skip
    now = world.clock.now
    rows = [(search.id, listing.id, "new", now, now) for listing in listings]
    conn = connections.get("default")
    created = await bulk.insert_returning_new(conn, "match", columns, rows, ("listing_id",))
    assert sorted(created) == sorted((listing.id,) for i, listing in enumerate(listings) if i != 2)
    assert await Match.filter(search=search).count() == 5


async def test_a_slower_search_gets_what_appeared_while_it_was_not_due(world: World) -> None:
    # A key check remembers its page and the searches that had it written, so the next
    # check looks only at what is new (core.checks.KnownPage). A slower search on the same
    # key is not checked at every instant: what the faster one saw meanwhile is new to it.
    fast = await world.create("lamp", interval=60)
    slow = await world.create("lamp", interval=180)
    assert (await key_of(fast)).id == (await key_of(slow)).id
    for n in range(4):  # a listing at each check: some land on the slow one's off-instants
        world.market.add(f"L{n}", f"Desk lamp {n}")
        await world.cycle(61)
    for _ in range(4):
        await world.cycle(61)
    got = {(a.search_id, a.listing.external_id) for a in world.notifier.sent}
    assert len(got) == len(world.notifier.sent)  # none twice
    assert {x for s, x in got if s == fast.id} == {"L0", "L1", "L2", "L3"}
    assert {x for s, x in got if s == slow.id} == {"L0", "L1", "L2", "L3"}


async def test_a_key_check_after_a_restart_looks_at_the_whole_page(world: World) -> None:
    # The remembered page is per process: a new process (or another one) has none and
    # falls back to reading back what exists, alerting nothing twice.
    search = await world.create("kettle")
    world.market.add("k1", "Steel kettle")
    await _due_now(world)
    await world.cycle(0)
    world.restart()
    world.market.add("k2", "Glass kettle")
    await _due_now(world)
    await world.cycle(0)
    assert [a.listing.external_id for a in world.notifier.sent] == ["k1", "k2"]
    assert all(a.search_id == search.id for a in world.notifier.sent)


async def test_a_runner_stopped_mid_check_stops_even_when_the_hand_back_fails(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A shutdown cancels the runner and closes the database pool: handing the keys back then
    # fails, and that failure must not become a "failed batch" the loop carries on after.
    await world.create("road bike")
    await _due_now(world)
    checking = asyncio.Event()

    async def stuck(*_: object) -> None:
        checking.set()
        await asyncio.sleep(3600)

    class PoolClosing:
        @staticmethod
        def filter(**_: object) -> None:
            raise ConnectionError("pool is closing")

    monkeypatch.setattr(world.runner, "_check_keys", stuck)
    running = asyncio.create_task(world.runner.run())
    await asyncio.wait_for(checking.wait(), 10)
    monkeypatch.setattr(runner, "FetchKey", PoolClosing)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    await asyncio.sleep(0.2)  # the cancelled loops finish their last step
    loops = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "Runner._loop"]
    assert loops == []  # none carries on, orphaned, after its runner was stopped
