"""Marketplace health is written by the runner, which sees every upstream call's outcome."""

from __future__ import annotations

from datetime import timedelta

from core.errors import QuotaSpent, Unavailable
from core.health import read_health
from core.models import MarketplaceState
from tests.unit.world import World


async def test_the_runner_records_each_calls_outcome(world: World) -> None:
    world.market.add("l1", "Brass lamp")
    await world.create("lamp")  # the first call: a success
    succeeded_at = world.clock.now
    world.market.fail_with = Unavailable("HTTP 503 from the site", marketplace="fake")
    await world.cycle()
    health = await read_health("fake")
    assert health.last_success_at == succeeded_at
    assert health.last_error == "Unavailable: HTTP 503 from the site"
    assert health.last_error_at == world.clock.now
    assert world.runner.health["fake"].recent_error_rate == 1 / 2


async def test_our_own_spent_quota_is_not_the_site_failing(world: World) -> None:
    await world.create("lamp")
    world.market.fail_with = QuotaSpent("budget used", retry_after=60, marketplace="fake")
    await world.cycle()
    health = await read_health("fake")
    assert health.last_error is None
    assert world.runner.health["fake"].recent_error_rate == 0.0


async def test_an_opened_breaker_leaves_the_error_to_the_health_record(world: World) -> None:
    await world.create("lamp")
    world.market.fail_with = Unavailable("down", marketplace="fake")
    for _ in range(6):  # enough failures in a row to open the circuit
        await world.cycle(seconds=3600)
    state = await MarketplaceState.get(name="fake")
    assert state.consecutive_failures >= 1
    assert state.last_error == "Unavailable: down"
    assert state.last_error_at is not None
    assert world.clock.now - state.last_error_at < timedelta(hours=1)
