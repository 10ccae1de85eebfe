"""A process with no runner (`run --only web,bots,dispatcher`) answers a new search at once;
a runner process elsewhere makes its first check, and the preview reaches the chat.

Postgres only: SQLite runs one process by design.
"""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from core.models import Search
from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, free_port
from tests.fakes.telegram_api import TOKEN, FakeTelegram, running_fake_telegram

pytestmark = pytest.mark.slow

ANN = FakeTelegram.user(2101, "Ann", "ann")


@pytest.mark.timeout(120)
async def test_a_bots_only_process_gets_the_preview_from_a_runner_process(db: str) -> None:
    if db.startswith("sqlite"):
        pytest.skip("SQLite runs one process; this is the Postgres deployment")
    async with running_sandbox(SandboxConfig(listings_per_minute=0)) as sandbox, \
            running_fake_telegram() as fake:  # fmt: skip
        env = {"DATABASE_URL": db, "SANDBOX_URL": sandbox, "FETCH_SHARE_SECONDS": "1"}
        front = CliProcess("run", "--only", "web,bots,dispatcher", cwd=os.getcwd(), env={
            **env, "WEB_PORT": str(free_port()), "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.url})  # fmt: skip
        runner = CliProcess("run", "--only", "runner", cwd=os.getcwd(),
                            env={**env, "WEB_PORT": str(free_port())})  # fmt: skip
        try:
            await front.start()
            await front.read_until("telegram: started", within=30)
            await fake.send_text(ANN, "/templates")
            menu = await fake.message_with(ANN["id"], "Ready-made searches", within=15)
            for label in ("Gaming", "Use: Vintage Gaming Deals"):
                await fake.answered(
                    await fake.press(ANN, menu, menu.button(label)["callback_data"]), 15
                )
            assert "is live" in menu.text  # answered with no runner anywhere
            await asyncio.sleep(2)
            assert not [t for t in fake.texts(ANN["id"]) if "first check done" in t]
            assert (await Search.get()).primed_at is None

            await runner.start()  # another process checks it; the front's dispatcher tells
            preview = await fake.message_with(ANN["id"], "first check done", within=40)
            assert "Vintage Gaming Deals" in preview.text
            assert (await Search.get()).primed_at is not None
        finally:
            codes = [await p.stop(signal.SIGTERM) for p in (front, runner) if p.proc]
            for p in (front, runner):
                await p.kill()
    assert codes == [0, 0], front.output + runner.output
