"""Crash safety with real processes: SIGKILL the service at random moments while listings
keep arriving, restart it, and count what users received.

Every matching listing must be alerted; nothing may arrive twice except alerts that were in
flight (claimed, not yet marked sent) at a kill — those are counted. CRASH_ROUNDS sets the
number of kills (kept small in CI; the closing note gives a longer run's counts).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from tortoise import connections

from core.criteria import Criteria
from core.enums import AlertStatus, Channel, Platform
from core.fetchkeys import keys_for, link_many, schedule_key
from core.models import Account, Alert, Destination, FetchKey, Search
from core.scheduling import next_due
from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess
from web import running_web

pytestmark = pytest.mark.slow

SECRET = "crash-test-secret"
SEARCHES = 8
INTERVAL = 4


class Receiver:
    """A webhook endpoint that checks each signature and counts deliveries per listing."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.bad_signatures = 0
        self.arrived = asyncio.Event()

    async def wait_for_all(self, expected: set[str], within: float) -> None:
        async with asyncio.timeout(within):
            while expected - set(self.deliveries):
                self.arrived.clear()
                await self.arrived.wait()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers["X-Monitor-Timestamp"]
        expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        if request.headers["X-Monitor-Signature"] != "v1=" + expected.hexdigest():
            self.bad_signatures += 1
            return web.Response(status=401)
        payload = json.loads(body)
        if payload["type"] == "alert.new_listing":
            self.deliveries[payload["listing"]["external_id"]] += 1
            self.arrived.set()
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    async with running_web(app) as url:
        yield found, f"{url}/hook"


async def _searches(hook_url: str) -> None:
    now = datetime.now(UTC)
    account = await Account.create(
        tier="business", webhook_url=hook_url, webhook_secret=SECRET, webhook_verified_at=now
    )
    destination = await Destination.create(
        platform=Platform.CONSOLE, chat_id="crash", account=account
    )
    for n in range(SEARCHES):
        criteria = Criteria(keywords=f"widget{n}")
        key = schedule_key(keys_for(criteria, ["sandbox"]))
        await Search.create(
            account=account, destination=destination, name=f"widget{n}",
            criteria=criteria.to_json(), marketplaces=["sandbox"],
            channels=[Channel.CHAT.value, Channel.WEBHOOK.value], interval_seconds=INTERVAL,
            fetch_key=key, primed_at=now,
            next_check_at=next_due(now - timedelta(seconds=INTERVAL), INTERVAL, key),
        )  # fmt: skip
    # Their fetch keys take the searches' due times (the key is what is scheduled).
    created = await Search.all()
    keys = {s.id: keys_for(Criteria(keywords=s.name), ["sandbox"]) for s in created}
    await link_many(connections.get("default"), keys, now, take_schedule=True)


def _env(db: str, sandbox: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db,
        "SANDBOX_URL": sandbox,
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",  # the receiver is on loopback
        "CHECK_LEASE_SECONDS": "3",
        "DELIVERY_LEASE_SECONDS": "3",
        "FETCH_SHARE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }


async def _post_listing(http: aiohttp.ClientSession, sandbox: str, n: int, k: int) -> str:
    body = {"title": f"Widget{n} model {k} boxed", "price": "25"}
    async with http.post(f"{sandbox}/api/listings", json=body) as response:
        assert response.status == 201
        return str((await response.json())["id"])


async def _in_flight() -> int:
    return await Alert.filter(channel=Channel.WEBHOOK, status=AlertStatus.SENDING).count()


@pytest.mark.timeout(240)
async def test_sigkill_at_random_moments_loses_nothing(
    db: str, receiver: tuple[Receiver, str], tmp_path: Path
) -> None:
    found, hook_url = receiver
    await _searches(hook_url)
    rounds = int(os.environ.get("CRASH_ROUNDS", "4"))
    rng = random.Random(os.environ.get("CRASH_SEED", "7"))
    posted: list[str] = []
    in_flight_at_kills = 0
    async with running_sandbox(SandboxConfig(listings_per_minute=0)) as sandbox:
        env = _env(db, sandbox, tmp_path)
        async with aiohttp.ClientSession() as http:
            for _ in range(rounds):
                process = CliProcess("run", "--only", "runner,dispatcher", env=env,
                                     cwd=str(tmp_path))  # fmt: skip
                await process.start()
                await process.read_until("dispatcher: started", within=30)
                for _ in range(rng.randint(1, 3)):
                    await asyncio.sleep(rng.uniform(0.1, 1.5))
                    n = rng.randrange(SEARCHES)
                    posted.append(await _post_listing(http, sandbox, n, len(posted)))
                await asyncio.sleep(rng.uniform(0.0, INTERVAL))
                assert process.proc is not None
                process.proc.send_signal(signal.SIGKILL)
                await process.kill()
                in_flight_at_kills += await _in_flight()
            # A last, undisturbed run delivers everything still owed.
            final = CliProcess("run", "--only", "runner,dispatcher", env=env, cwd=str(tmp_path))
            await final.start()
            try:
                # Its signal handlers are in place once it has started: a SIGTERM before
                # that (everything may already be delivered) would end it uncleanly.
                await final.read_until("dispatcher: started", within=30)
                with contextlib.suppress(TimeoutError):  # judged by the assertions below
                    await found.wait_for_all(set(posted), within=90)
                code = await final.stop(signal.SIGTERM)
                assert code == 0, final.output
            finally:
                await final.kill()
    duplicates = sum(count - 1 for count in found.deliveries.values() if count > 1)
    print(
        f"\ncrash test: {rounds} kills, {len(posted)} listings, "
        f"{sum(found.deliveries.values())} deliveries, {duplicates} duplicates, "
        f"{in_flight_at_kills} alerts in flight at the kills"
    )
    assert found.bad_signatures == 0
    assert set(found.deliveries) == set(posted), "every matching listing is alerted"
    assert duplicates <= in_flight_at_kills, "only alerts in flight at a kill may repeat"


@pytest.mark.timeout(120)
async def test_sigterm_drains_within_the_stated_bound(
    db: str, receiver: tuple[Receiver, str], tmp_path: Path
) -> None:
    _, hook_url = receiver
    await _searches(hook_url)
    async with running_sandbox(SandboxConfig(listings_per_minute=0, latency_ms=300)) as sandbox:
        env = _env(db, sandbox, tmp_path)
        process = CliProcess("run", "--only", "runner,dispatcher", env=env, cwd=str(tmp_path))
        await process.start()
        try:
            await process.read_until("dispatcher: started", within=30)
            async with aiohttp.ClientSession() as http:
                await _post_listing(http, sandbox, 0, 0)
            await asyncio.sleep(INTERVAL + 1)
            started = time.monotonic()
            assert await process.stop(signal.SIGTERM, within=30) == 0
            took = time.monotonic() - started
        finally:
            await process.kill()
    from bot.supervise import DRAIN_SECONDS

    assert took < DRAIN_SECONDS + 5  # the drain bound, plus closing connections
    assert await _in_flight() == 0  # nothing left claimed-but-unsent
    leased = await FetchKey.filter(lease_until__gt=datetime.now(UTC)).count()
    assert leased == 0  # keys are handed back at once, not held until their lease ends
