"""SIGTERM during a flood: `marketplace-monitor run` stops within 15 s in polling and in
webhook mode, and the next start handles every update Telegram was told we received."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import free_port
from tests.e2e.test_telegram import Service, _start, _stop
from tests.fakes.telegram_api import FakeTelegram, running_fake_telegram

pytestmark = pytest.mark.slow

MAL = FakeTelegram.user(2101, "Mal", "mal")
FLOOD = 30  # one chat's updates: about 30 s of replies at Telegram's 1 message/s
STOP_WITHIN = 15.0


@pytest.fixture
async def sandbox() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


def _counts(service: Service) -> dict[str, int]:
    rows = service.sql("SELECT status, count(*) FROM inbox_update GROUP BY status")
    return {str(status): int(n) for status, n in rows}


async def _flood_then_stop_then_resume(
    tmp_path: Path, fake: FakeTelegram, sandbox: str, **env: str
) -> None:
    env = {"INBOX_MAX_PENDING_PER_CHAT": "100", **env}
    service = await _start(tmp_path, fake, sandbox, **env)
    try:
        for n in range(FLOOD):
            await fake.send_text(MAL, f"spam {n}")
        # Telegram was told: polling confirmed them by offset, or each webhook got its 200.
        await fake.wait_for(lambda: fake.pending_updates() == 0, within=30)
        await fake.wait_for(lambda: len(fake.texts(MAL["id"])) >= 2, within=15)  # under way
        assert sum(_counts(service).values()) == FLOOD
        started = time.monotonic()
        if service.drain is not None:
            service.drain.cancel()
        code = await service.process.stop(signal.SIGTERM, within=STOP_WITHIN + 5)
        took = time.monotonic() - started
        assert code == 0 and "Stopped cleanly." in service.process.output
        assert took < STOP_WITHIN, f"stopping took {took:.1f} s"
    finally:
        await service.process.kill()
    counts = _counts(service)
    assert sum(counts.values()) == FLOOD  # nothing acknowledged was lost
    assert counts.get("pending", 0) > 0  # the flood was still being handled
    assert service.sql("SELECT count(*) FROM inbox_chat WHERE lease_until IS NOT NULL") == [(0,)]

    again = await _start(tmp_path, fake, sandbox, **env)
    try:
        for _ in range(600):
            if _counts(again) == {"handled": FLOOD}:
                break
            await asyncio.sleep(0.1)
        assert _counts(again) == {"handled": FLOOD}
    finally:
        await _stop(again)


@pytest.mark.timeout(180)
async def test_sigterm_in_polling_mode_stops_in_time_and_loses_nothing(
    tmp_path: Path, sandbox: str
) -> None:
    async with running_fake_telegram() as fake:
        await _flood_then_stop_then_resume(tmp_path, fake, sandbox)


@pytest.mark.timeout(180)
async def test_sigterm_in_webhook_mode_stops_in_time_and_loses_nothing(
    tmp_path: Path, sandbox: str
) -> None:
    async with running_fake_telegram() as fake:
        port = str(free_port())
        fake.webhook_origin = f"http://127.0.0.1:{port}"  # the TLS proxy's upstream
        await _flood_then_stop_then_resume(
            tmp_path,
            fake,
            sandbox,
            TELEGRAM_MODE="webhook",
            TELEGRAM_WEBHOOK_SECRET="right-secret_1",
            WEB_PORT=port,
            PUBLIC_URL="https://bot.example.com:8443",
        )
