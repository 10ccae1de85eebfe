"""Telegram end to end: the real `python -m bot run` against the fake Bot API and a sandbox.

A user completes the wizard by pressing buttons and typing, gets a photo alert for a new
listing, saves it and finds it in /saved, hides it and gets no price-drop alert; another
user's forged button is refused; webhook mode refuses a wrong secret. The token never
appears in the output.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, check_now, free_port, sqlite_rows
from tests.fakes.telegram_api import TOKEN, FakeTelegram, Sent, running_fake_telegram

pytestmark = pytest.mark.slow

ANN = FakeTelegram.user(2001, "Ann", "ann")
EVE = FakeTelegram.user(2002, "Eve", "eve")


@dataclass
class Service:
    process: CliProcess
    fake: FakeTelegram
    sandbox_url: str
    database: Path
    web_url: str

    drain: asyncio.Task[None] | None = None
    last_check: float = 0.0

    async def output_has(self, text: str, within: float) -> None:
        for _ in range(int(within * 10)):
            if text in self.process.output:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not in the output")

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        return sqlite_rows(self.database, statement, *args)

    async def check_now(self) -> None:
        """Make every search due, and wait until the runner has checked them."""
        self.last_check = await check_now(self.database, self.last_check)

    async def reply_to(self, user: dict[str, Any], text: str, expect: str) -> Sent:
        await self.fake.send_text(user, text)
        return await self.fake.message_with(user["id"], expect, within=15)

    async def press(self, user: dict[str, Any], sent: Sent, label: str) -> dict[str, Any]:
        query_id = await self.fake.press(user, sent, sent.button(label)["callback_data"])
        return await self.fake.answered(query_id, within=15)


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


async def _start(tmp_path: Path, fake: FakeTelegram, sandbox_url: str, **extra: str) -> Service:
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite://{tmp_path}/run.sqlite3",
        "SANDBOX_URL": sandbox_url,
        "WEB_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "LOG_LEVEL": "DEBUG",  # the token must stay out of even the chattiest log
        "FETCH_SHARE_SECONDS": "1",
        **extra,
    }
    process = CliProcess("run", env=env, cwd=str(tmp_path))
    await process.start()
    web_url = f"http://127.0.0.1:{extra.get('WEB_PORT', port)}"
    service = Service(process, fake, sandbox_url, tmp_path / "run.sqlite3", web_url)
    # Read the (debug-level, so plentiful) output all along: a full pipe would stall the child.
    service.drain = asyncio.create_task(_drain(process))
    await service.output_has("telegram: started", within=30)
    return service


async def _drain(process: CliProcess) -> None:
    assert process.proc and process.proc.stdout
    while chunk := await process.proc.stdout.read(65536):
        process.output += chunk.decode(errors="replace")


async def _stop(service: Service) -> None:
    try:
        if service.drain is not None:
            service.drain.cancel()
        code = await service.process.stop(signal.SIGTERM)
        print(service.process.output)  # shown by pytest when the test fails
        assert code == 0
        assert "Stopped cleanly." in service.process.output
        assert TOKEN not in service.process.output
        assert TOKEN.split(":")[1] not in service.process.output
    finally:
        await service.process.kill()


@pytest.mark.timeout(120)
async def test_a_user_sets_up_a_search_by_buttons_and_acts_on_its_alerts(
    tmp_path: Path, sandbox_url: str
) -> None:
    async with running_fake_telegram() as fake:
        service = await _start(tmp_path, fake, sandbox_url)
        try:
            await _wizard(service)
            await _alert_save_hide(service)
            await _forged_press_is_refused(service)
        finally:
            await _stop(service)


async def _wizard(service: Service) -> None:
    welcome = await service.reply_to(ANN, "/start", "Welcome")
    assert "/newsearch" in welcome.text
    assert {c["command"] for c in service.fake.commands} >= {"newsearch", "searches", "saved"}
    await service.reply_to(ANN, "/newsearch", "What shall we call")
    menu = await service.reply_to(ANN, "Marmalade PS5", "Which marketplaces?")
    await service.press(ANN, menu, "Sandbox")
    menu = await service.reply_to(ANN, "ps5 marmalade", "Any words")
    await service.press(ANN, menu, "None")
    await service.reply_to(ANN, "lots", "Price must be a number")
    menu = await service.reply_to(ANN, "100-300", "Where?")
    for label in ("Anywhere", "Pounds", "Any", "Every 30 min", "This chat only"):
        await service.press(ANN, menu, label)
    assert "Marmalade PS5" in menu.text and "£100.00 – £300.00" in menu.text
    await service.press(ANN, menu, "Confirm")
    assert "is live" in menu.text
    # The runner's first check, off the chat's handler: its preview arrives as a message.
    await service.fake.message_with(ANN["id"], "first check done", within=20)
    service.last_check = time.monotonic()  # the new search's first fetch


async def _alert_save_hide(service: Service) -> None:
    async with aiohttp.ClientSession() as http:
        listing = {"title": "Sony PS5 Marmalade Edition", "price": "210", "location": "Leeds"}
        async with http.post(f"{service.sandbox_url}/api/listings", json=listing) as response:
            item = await response.json()
        await service.check_now()
        alert = await service.fake.message_with(ANN["id"], "Marmalade Edition", within=20)
        assert alert.kind == "photo" and alert.photo == item["image_url"]
        assert "£210.00" in alert.text and "Leeds" in alert.text and "Marmalade PS5" in alert.text
        assert alert.button("Open")["url"] == item["url"]

        assert "Saved" in (await service.press(ANN, alert, "Save"))["text"]
        assert alert.button("Unsave")
        saved = await service.reply_to(ANN, "/saved", "Saved listings")
        assert "Sony PS5 Marmalade Edition" in saved.text

        await service.press(ANN, alert, "Hide")
        assert alert.button("Unhide")
        url = f"{service.sandbox_url}/api/listings/{item['id']}/price"
        async with http.post(url, json={"price": "150"}) as response:
            assert response.status == 200
        await service.check_now()
        await asyncio.sleep(1.5)  # a dispatcher round, should anything have been queued
        assert service.sql("SELECT count(*) FROM alert")[0][0] == 1
        assert not [t for t in service.fake.texts(ANN["id"]) if "Price drop" in t]


async def _forged_press_is_refused(service: Service) -> None:
    match_id, status = service.sql("SELECT id, status FROM match")[0]
    search_id = service.sql("SELECT id FROM search")[0][0]
    eves = await service.reply_to(EVE, "/start", "Welcome")
    for data in (f"a:{match_id}:n", f"s:{search_id}:y"):
        answer = await service.fake.answered(await service.fake.press(EVE, eves, data), 15)
        assert answer["text"].startswith("You have no ")
    assert service.sql("SELECT status FROM match WHERE id = ?", match_id)[0][0] == status
    assert service.sql("SELECT count(*) FROM search")[0][0] == 1
    await service.output_has("refused: telegram user 2002", within=10)


@pytest.mark.timeout(90)
async def test_webhook_mode_refuses_a_wrong_secret_and_serves_the_right_one(
    tmp_path: Path, sandbox_url: str
) -> None:
    async with running_fake_telegram() as fake:
        port = str(free_port())
        service = await _start(
            tmp_path,
            fake,
            sandbox_url,
            TELEGRAM_MODE="webhook",
            TELEGRAM_WEBHOOK_SECRET="right-secret_1",
            WEB_PORT=port,
            PUBLIC_URL="https://bot.example.com:8443",
        )
        fake.webhook_origin = f"http://127.0.0.1:{port}"  # the TLS proxy's upstream
        try:
            await fake.wait_for(lambda: fake.webhook, within=30)
            assert fake.webhook == {
                "url": "https://bot.example.com:8443/telegram/webhook",
                "secret_token": "right-secret_1",
            }
            update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/start",
                      "chat": {"id": 3001, "type": "private", "first_name": "M"},
                      "from": {"id": 3001, "is_bot": False, "first_name": "M"}}}  # fmt: skip
            async with aiohttp.ClientSession() as http:
                for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                    url = f"{service.web_url}/telegram/webhook"
                    async with http.post(url, json=update, headers=headers) as response:
                        assert response.status == 403
            await service.reply_to(ANN, "/start", "Welcome")  # pushed with the right secret
            assert not fake.calls_of("getUpdates")
            assert service.sql("SELECT count(*) FROM chat_identity")[0][0] == 1  # not user 3001
        finally:
            await _stop(service)
