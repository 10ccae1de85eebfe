"""The command line as a newcomer uses it: the demo through stdin, run, migrate, bad settings."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port

pytestmark = pytest.mark.slow

ROOT = str(Path(__file__).resolve().parents[2])
WIZARD = [
    "/newsearch",
    "Cheap PS5",
    "1",
    "ps5",
    "none",
    "100-300",
    "anywhere",
    "1",
    "any",
    "1",
    "1",
]


@pytest.fixture
async def demo() -> AsyncIterator[CliProcess]:
    process = CliProcess("demo", "--check-seconds", "2", "--echo-delay", "1", cwd=ROOT)
    await process.start()
    yield process
    await process.kill()


@pytest.mark.timeout(90)
async def test_demo_wizard_then_an_alert_for_a_new_listing(demo: CliProcess) -> None:
    await demo.read_until("/newsearch", within=30)
    await demo.send(*WIZARD[:5], "cheap")  # a bad price is asked again
    await demo.read_until("Price must be a number like 150 or a range like 100-250", within=10)
    await demo.send(*WIZARD[5:], "confirm")
    await demo.read_until("#1 Cheap PS5 is live", within=15)
    await demo.read_until("#1 Cheap PS5: first check done", within=15)  # the preview notice
    output = await demo.read_until("🆕 New match for Cheap PS5", within=40)
    alert = output[output.index("🆕 New match") :]
    assert "/save" in alert and "/hide" in alert and "£" in alert
    number = alert.split("/save ")[1].split()[0]
    await demo.send(f"/save {number}", "/saved")
    await demo.read_until("⭐ Saved listings", within=10)
    assert await demo.stop(signal.SIGINT) == 0
    assert "Demo stopped." in demo.output


@pytest.mark.timeout(60)
async def test_demo_stops_by_itself_and_survives_the_end_of_input() -> None:
    process = CliProcess("demo", "--for", "3", cwd=ROOT)
    await process.start()
    try:
        assert process.proc and process.proc.stdin
        process.proc.stdin.close()
        assert await process.wait(within=30) == 0
        assert "input ended; still watching" in process.output
        assert "Demo stopped." in process.output
    finally:
        await process.kill()


@pytest.mark.timeout(60)
async def test_run_serves_health_and_metrics_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    async with running_sandbox(SandboxConfig()) as sandbox_url:
        env = {
            "DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3",
            "SANDBOX_URL": sandbox_url,
            "WEB_PORT": str(port),
        }
        process = CliProcess("run", env=env, cwd=str(tmp_path))
        await process.start()
        try:
            output = await process.read_until("billing: skipped", within=30)
            assert "runner: started; marketplaces: sandbox" in output
            assert "telegram: skipped (TELEGRAM_BOT_TOKEN is not set)" in output
            async with aiohttp.ClientSession() as http:
                await _wait_for(http, f"http://127.0.0.1:{port}/health")
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert "monitor_outbox_depth" in await response.text()
            assert await process.stop(signal.SIGTERM) == 0
            assert "Stopped cleanly." in process.output
        finally:
            await process.kill()


@pytest.mark.timeout(60)
async def test_migrate_creates_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    process = CliProcess("migrate", env={"DATABASE_URL": f"sqlite://{path}"}, cwd=str(tmp_path))
    await process.start()
    try:
        assert await process.wait(within=30) == 0
    finally:
        await process.kill()
    assert "Migrations applied." in process.output
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")}
    assert {"account", "search", "listing", "match", "alert", "template"} <= tables


@pytest.mark.timeout(30)
async def test_bad_setting_fails_fast_naming_it(tmp_path: Path) -> None:
    process = CliProcess("run", env={"WEB_PORT": "eighty"}, cwd=str(tmp_path))
    await process.start()
    try:
        assert await process.wait(within=20) == 2
    finally:
        await process.kill()
    assert "WEB_PORT: Input should be a valid integer" in process.output


async def _wait_for(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(50):
        try:
            async with http.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered 200")
