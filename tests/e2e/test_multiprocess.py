"""Several `run` processes on one Postgres divide the work: nothing is checked twice.

Skipped on SQLite, which runs one process by design (and says so: tested below).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from tortoise import connections

from core.criteria import Criteria
from core.enums import Platform
from core.fetchkeys import keys_for, link_many, schedule_key
from core.models import Account, Alert, Destination, FetchKey, Search
from core.scheduling import next_due
from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port

pytestmark = pytest.mark.slow

INTERVAL = 20
SEARCHES = 120


async def _searches(words: list[str]) -> None:
    account = await Account.create(tier="business")
    destination = await Destination.create(
        platform=Platform.TELEGRAM, chat_id="777", account=account
    )
    now = datetime.now(UTC)
    rows = []
    for w in words:
        key = schedule_key(keys_for(Criteria(keywords=w), ["sandbox"]))
        # Due now, on the search's aligned grid: every later check is exactly INTERVAL apart.
        due = next_due(now - timedelta(seconds=INTERVAL), INTERVAL, key)
        rows.append(Search(
            account=account, destination=destination, name=w, criteria={"keywords": w},
            marketplaces=["sandbox"], channels=["chat"], interval_seconds=INTERVAL,
            fetch_key=key, primed_at=now, next_check_at=due,
        ))  # fmt: skip
    await Search.bulk_create(rows)
    # Their fetch keys take the searches' due times (the key is what is scheduled).
    created = await Search.all()
    keys = {s.id: keys_for(Criteria(keywords=s.name), ["sandbox"]) for s in created}
    await link_many(connections.get("default"), keys, now, take_schedule=True)


async def _checks_counted(http: aiohttp.ClientSession, port: int) -> float:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    found = re.search(r'monitor_search_checks_total\{marketplace="sandbox"\} ([0-9.e+]+)', text)
    return float(found.group(1)) if found else 0.0


@pytest.mark.timeout(120)
async def test_two_processes_share_the_work_without_double_checks(db: str) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite runs one process; this is the Postgres deployment")
    words = [f"gadget{n}" for n in range(SEARCHES)]
    await _searches(words)
    async with running_sandbox(SandboxConfig(listings_per_minute=0)) as sandbox:
        ports = [free_port(), free_port()]
        procs = [
            CliProcess("run", "--only", "runner,web", cwd=os.getcwd(), env={
                "DATABASE_URL": db, "SANDBOX_URL": sandbox, "WEB_PORT": str(port),
                "FETCH_SHARE_SECONDS": "1"})
            for port in ports
        ]  # fmt: skip
        started = datetime.now(UTC)
        try:
            for proc in procs:
                await proc.start()
            for proc in procs:
                await proc.read_until("web: listening", within=30)
            await asyncio.sleep(INTERVAL / 2)
            async with aiohttp.ClientSession() as http:
                for n in range(10):  # new listings while both work: each alerted once
                    body = {"title": f"Gadget{n} boxed", "price": "20"}
                    await http.post(f"{sandbox}/api/listings", json=body)
                await asyncio.sleep(INTERVAL + 8)
                per_process = [await _checks_counted(http, port) for port in ports]
        finally:
            codes = [await proc.stop(signal.SIGTERM) for proc in procs]
            for proc in procs:
                await proc.kill()
    elapsed = (datetime.now(UTC) - started).total_seconds()
    assert codes == [0, 0]
    # Checks are counted on the key (one per search here); a search's row is not written.
    counts = [k.checks_count for k in await FetchKey.all()]
    # One check per grid interval, plus one for the spread re-alignment after the first
    # check (core.scheduling.due_after_check). A double check by two processes doubles this.
    allowed = int(elapsed // INTERVAL) + 2
    assert min(counts) >= 1 and max(counts) <= allowed, (counts, allowed)
    # Both processes take a fair share (one also takes the first, all-due batch). Pollers
    # with a fixed pause lock into phase and one wins nearly every due instant (seen: 5 vs 279).
    assert min(per_process) >= 0.1 * sum(per_process), per_process
    # Scraped just before the stop; a batch finishing during the drain adds a few more.
    assert sum(per_process) <= sum(counts)
    assert len(counts) == SEARCHES
    alerted = await Alert.all().prefetch_related("match__search")
    searches_alerted = [a.match.search.name for a in alerted]
    assert sorted(searches_alerted) == sorted(f"gadget{n}" for n in range(10))


@pytest.mark.timeout(60)
async def test_a_second_process_on_sqlite_is_refused(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite://{tmp_path}/one.sqlite3"}
    first = CliProcess("run", "--only", "runner", env={**env, "WEB_PORT": str(free_port())},
                       cwd=str(tmp_path))  # fmt: skip
    second = CliProcess("run", "--only", "runner", env={**env, "WEB_PORT": str(free_port())},
                        cwd=str(tmp_path))  # fmt: skip
    try:
        await first.start()
        await first.read_until("runner: started", within=30)
        await second.start()
        assert await second.wait(within=30) == 2
        assert "SQLite runs one process at a time" in second.output
        assert await first.stop(signal.SIGTERM) == 0
    finally:
        await first.kill()
        await second.kill()
