"""The web app's health and metrics endpoints, served over real local HTTP."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tortoise import connections

from core.criteria import Criteria
from core.enums import AlertStatus, Channel, Platform
from core.fetchkeys import keys_for, link_search
from core.metrics import Metrics
from core.models import (
    Account,
    Alert,
    Destination,
    FetchKey,
    Listing,
    Match,
    PriceFeedback,
    Search,
)
from web import HealthProbe, build_web_app, running_web, serve_web
from web.metrics import DEFAULT_REFRESH_SECONDS

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@asynccontextmanager
async def serving(
    clock: FakeClock,
    last_tick: datetime | None = None,
    *,
    with_runner: bool = True,
    metrics: Metrics | None = None,
    metrics_token: str | None = None,
) -> AsyncIterator[str]:
    probe = HealthProbe(
        (lambda: last_tick) if with_runner else None, max_tick_age_seconds=60, clock=clock
    )
    app = build_web_app(
        metrics=metrics or Metrics(), health=probe, clock=clock, metrics_token=metrics_token
    )
    async with running_web(app) as url:
        yield url


async def get_health(session: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, str]]:
    async with session.get(f"{base}/health") as response:
        return response.status, await response.json()


async def scrape(
    session: aiohttp.ClientSession, base: str, headers: dict[str, str] | None = None
) -> dict[str, float]:
    """Every sample of /metrics as ``name{label="v",…}`` → value."""
    async with session.get(f"{base}/metrics", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


async def make_search(next_check_at: datetime, name: str = "lego") -> Search:
    account = await Account.create()
    destination = await Destination.create(
        platform=Platform.TELEGRAM, chat_id=f"chat-{name}", account=account
    )
    search = await Search.create(
        account=account,
        destination=destination,
        name=name,
        criteria={"keywords": name},
        marketplaces=["sandbox"],
        channels=["chat"],
        interval_seconds=900,
        next_check_at=next_check_at,
    )
    # Its fetch key is what is scheduled (the due-queue lag is the keys').
    keys = keys_for(Criteria(keywords=name), ["sandbox"])
    await link_search(connections.get("default"), search.id, keys, next_check_at)
    await FetchKey.filter(digest__in=[k.digest for k in keys]).update(next_check_at=next_check_at)
    return search


async def make_alert(search: Search, created_at: datetime, status: AlertStatus) -> Alert:
    listing = await Listing.create(
        marketplace="sandbox",
        external_id=f"item-{created_at.timestamp()}-{status}",
        url="https://sandbox.example/item/1",
        title="Lego 10497 Galaxy Explorer",
        first_seen_at=created_at,
        last_seen_at=created_at,
    )
    match = await Match.create(search=search, listing=listing)
    return await Alert.create(
        match=match,
        channel=Channel.CHAT,
        route="telegram",
        status=status,
        next_attempt_at=created_at,
        created_at=created_at,
    )


# --- /health --------------------------------------------------------------------------


async def test_health_is_ok_with_a_fresh_runner_tick(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    async with serving(clock, last_tick=clock.now - timedelta(seconds=5)) as base:
        status, body = await get_health(session, base)
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "runner": "ok"}


async def test_health_is_503_when_the_runner_tick_is_stale(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    async with serving(clock, last_tick=clock.now - timedelta(seconds=125)) as base:
        status, body = await get_health(session, base)
    assert status == 503
    assert body == {
        "status": "unavailable",
        "database": "ok",
        "runner": "stale: last tick 125s ago",
    }


async def test_health_without_a_runner_in_this_process_is_ok(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    async with serving(clock, with_runner=False) as base:
        status, body = await get_health(session, base)
    assert (status, body["runner"]) == (200, "not running in this process")


async def test_health_gives_a_runner_one_max_age_to_make_its_first_tick(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    async with serving(clock, last_tick=None) as base:
        assert await get_health(session, base) == (
            200,
            {"status": "ok", "database": "ok", "runner": "starting"},
        )
        clock.advance(61)
        status, body = await get_health(session, base)
    assert (status, body["runner"]) == (503, "no tick in 61s since start")


async def test_health_reports_an_unreachable_database_without_its_details(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    failure = OSError("could not connect to postgres://monitor:s3cret@db.internal/monitor")
    connection = connections.get("default")
    async with serving(clock, last_tick=clock.now) as base:
        with mock.patch.object(connection, "execute_query", side_effect=failure):
            async with session.get(f"{base}/health") as response:
                status, text = response.status, await response.text()
    assert status == 503
    assert "unreachable: OSError" in text
    assert "s3cret" not in text
    assert "db.internal" not in text


# --- /metrics -------------------------------------------------------------------------


async def test_metrics_expose_counters_and_queue_gauges_computed_at_scrape_time(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    metrics = Metrics()
    metrics.checks.labels("sandbox").inc(3)
    async with serving(clock, last_tick=clock.now, metrics=metrics) as base:
        empty = await scrape(session, base)
        clock.advance(DEFAULT_REFRESH_SECONDS)  # the gauges are cached until then
        search = await make_search(next_check_at=clock.now - timedelta(seconds=90))
        await make_search(next_check_at=clock.now + timedelta(seconds=600), name="later")
        await make_alert(search, clock.now - timedelta(seconds=120), AlertStatus.PENDING)
        await make_alert(search, clock.now - timedelta(seconds=30), AlertStatus.SENDING)
        sent = await make_alert(search, clock.now - timedelta(seconds=900), AlertStatus.SENT)
        # is it a deal? (issue 16): a verdict alert, and one "not a deal" press on it
        await Alert.filter(id=sent.id).update(verdict_kind="under")
        await PriceFeedback.create(
            match_id=sent.match_id, account_id=1, verdict_kind="under", percent=-24
        )
        busy = await scrape(session, base)

    assert empty['monitor_search_checks_total{marketplace="sandbox"}'] == 3
    assert empty["monitor_due_queue_lag_seconds"] == 0
    assert empty["monitor_outbox_depth"] == 0
    assert empty["monitor_outbox_oldest_seconds"] == 0

    assert busy["monitor_due_queue_lag_seconds"] == 90
    assert busy['monitor_due_queue_lag_by_tier_seconds{tier="free"}'] == 90
    assert busy["monitor_outbox_depth"] == 2  # the sent alert is no longer in the outbox
    assert busy["monitor_outbox_oldest_seconds"] == 120
    assert empty['monitor_price_verdicts{verdict="under"}'] == 0
    assert busy['monitor_price_verdicts{verdict="under"}'] == 1
    assert busy['monitor_price_verdicts{verdict="about"}'] == 0
    assert busy['monitor_price_not_a_deal{verdict="under"}'] == 1


async def test_metrics_still_serve_counters_when_the_database_fails(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    metrics = Metrics()
    metrics.matches.inc()
    async with serving(clock, last_tick=clock.now, metrics=metrics) as base:
        with mock.patch("web.metrics.outbox_depth", side_effect=OSError("db down")):
            samples = await scrape(session, base)
    assert samples["monitor_matches_total"] == 1
    assert math.isnan(samples["monitor_outbox_depth"])


async def test_metrics_are_read_from_the_database_at_most_once_per_interval(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    """A burst of scrapes (or someone hammering /metrics) costs one round of queries."""
    async with serving(clock, last_tick=clock.now) as base:
        search = await make_search(next_check_at=clock.now + timedelta(hours=1))
        await make_alert(search, clock.now, AlertStatus.PENDING)
        burst = await asyncio.gather(*(scrape(session, base) for _ in range(25)))
        assert {s["monitor_queue_gauges_refreshes_total"] for s in burst} == {1}
        assert {s["monitor_outbox_depth"] for s in burst} == {1}

        await make_alert(search, clock.now, AlertStatus.SENDING)
        clock.advance(DEFAULT_REFRESH_SECONDS - 1)
        cached = await scrape(session, base)
        assert cached["monitor_outbox_depth"] == 1  # the cached value, no query
        assert cached["monitor_queue_gauges_refreshes_total"] == 1

        clock.advance(1)
        fresh = await scrape(session, base)
    assert fresh["monitor_outbox_depth"] == 2
    assert fresh["monitor_queue_gauges_refreshes_total"] == 2


TOKEN = "mt_4f9c2a7e0b1d"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        f"Basic {TOKEN}",
        "Bearer",
        "Bearer wrong",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN[:-1]}",
        "Bearer ١٢٣",  # non-ASCII: compare_digest on str would raise, not refuse
    ],
)
async def test_metrics_with_a_token_refuse_requests_without_it(
    db: str, clock: FakeClock, session: aiohttp.ClientSession, authorization: str | None
) -> None:
    metrics = Metrics()
    async with serving(clock, metrics=metrics, metrics_token=TOKEN) as base:
        headers = {} if authorization is None else {"Authorization": authorization}
        async with session.get(f"{base}/metrics", headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "monitor_" not in await response.text()
        # Refused scrapes never reach the database.
        samples = await scrape(session, base, {"Authorization": f"Bearer {TOKEN}"})
    assert samples["monitor_queue_gauges_refreshes_total"] == 1


async def test_metrics_with_the_right_token_and_without_a_token_setting_are_served(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    async with serving(clock, metrics_token=TOKEN) as base:
        for header in (f"Bearer {TOKEN}", f"bearer {TOKEN}"):
            samples = await scrape(session, base, {"Authorization": header})
            assert "monitor_outbox_depth" in samples
    async with serving(clock) as base:  # METRICS_TOKEN unset: open, as before
        assert "monitor_outbox_depth" in await scrape(session, base)


# --- serving --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_web_runs_until_cancelled_and_then_closes_its_port(
    db: str, clock: FakeClock, session: aiohttp.ClientSession
) -> None:
    port = free_port()
    app = build_web_app(metrics=Metrics(), health=HealthProbe(clock=clock), clock=clock)
    task = asyncio.create_task(serve_web(app, "127.0.0.1", port))
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            assert (await get_health(session, base))[0] == 200
            break
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.02)
    else:
        pytest.fail("serve_web never started listening")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await get_health(session, base)
