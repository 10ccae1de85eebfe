"""The Telegram front-end's inbox, in-process against the fake Bot API with Telegram's real
send limits (one message a second per private chat): a flooding user cannot stall anyone
else and is asked once to slow down; webhook bodies of any shape are refused with 400.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.bootstrap import BootConfig, bootstrap
from bot.conversation import ChatServices
from bot.telegram import TelegramConfig, TelegramFrontend
from bot.telegram.frontend import SECRET_HEADER, WEBHOOK_PATH
from bot.telegram.workers import WorkerOptions
from core.enums import InboxStatus
from core.inbox import InboxOptions
from core.models import InboxUpdate
from core.runner import RunnerOptions
from core.tiers import TierTable
from tests.fakes.marketplace import FakeMarketplace
from tests.fakes.telegram_api import TOKEN, Failure, FakeTelegram, running_fake_telegram
from web import running_web

pytestmark = pytest.mark.usefixtures("ptb_timedelta")

MAL = FakeTelegram.user(1101, "Mal", "mal")
EVE = FakeTelegram.user(1102, "Eve", "eve")
SECRET = "right-secret_1"


# Telegram pushes only to https on its ports; these tests post to the web app directly.
PUBLIC = "https://bot.example.com:8443"


@pytest.fixture
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def _services() -> ChatServices:
    """The chat services as the production bootstrap wires them, over a fake marketplace."""
    monitor = bootstrap(
        BootConfig(runner=RunnerOptions(share_window_seconds=0)),
        marketplaces={"sandbox": FakeMarketplace("sandbox")},
        notifiers={},
        tiers=TierTable.default(),
    )
    return monitor.chat


@contextlib.asynccontextmanager
async def running(config: TelegramConfig) -> AsyncIterator[TelegramFrontend]:
    frontend = TelegramFrontend(config, _services())
    task = asyncio.create_task(frontend.run())
    try:
        yield frontend
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.timeout(90)
async def test_a_flooding_user_stalls_nobody_and_is_asked_once_to_slow_down(db: str) -> None:
    async with running_fake_telegram() as fake:
        # Telegram's own limits (RateLimits' defaults), not the fast ones other tests use.
        config = TelegramConfig(
            token=TOKEN,
            api_url=fake.url,
            poll_timeout_seconds=1,
            inbox=InboxOptions(max_pending_per_chat=20),
        )
        async with running(config):
            await fake.wait_for(lambda: fake.calls_of("getUpdates"))
            for n in range(200):
                await fake.send_text(MAL, f"spam {n}")
            await fake.wait_for(lambda: fake.calls_of("sendMessage"), within=10)  # under way
            asked = time.monotonic()
            await fake.send_text(EVE, "/help")
            await fake.message_with(EVE["id"], "What I can do", within=10)
            assert time.monotonic() - asked < 2.0

            await asyncio.sleep(3)  # more of the flood is handled meanwhile
            slow_downs = [t for t in fake.texts(MAL["id"]) if "Slow down" in t]
            assert len(slow_downs) == 1
            stored = await InboxUpdate.filter(chat_key=str(MAL["id"])).count()
            assert stored == 20  # the per-chat cap; the other 180 were dropped
            assert len(fake.texts(MAL["id"])) >= 3  # and the flood is being answered
            handled = await InboxUpdate.filter(status=InboxStatus.HANDLED).count()
            assert handled >= 3


async def test_polling_backs_off_on_network_errors_and_goes_on(db: str) -> None:
    async with running_fake_telegram() as fake:
        fake.fail(Failure("getUpdates", 502, "Bad Gateway", times=2))
        config = TelegramConfig(token=TOKEN, api_url=fake.url, poll_timeout_seconds=1)
        async with running(config):
            await fake.send_text(EVE, "/help")
            await fake.message_with(EVE["id"], "What I can do", within=15)
        polls = fake.calls_of("getUpdates")
        assert len(polls) >= 3
        assert polls[2].at - polls[1].at >= 0.9  # a growing pause, not a tight loop


BAD_BODIES = {
    "not json": b"this is not json",
    "not utf-8": b"\xff\xfe\x00",
    "empty": b"",
    "null": b"null",
    "list": b"[]",
    "string": b'"str"',
    "number": b"42",
    "true": b"true",
    "no update_id": b'{"message": "x"}',
    "update_id a string": b'{"update_id": "7"}',
    "update_id a bool": b'{"update_id": true}',
    "update_id negative": b'{"update_id": -1}',
    "update_id too big": b'{"update_id": 99999999999999999999999}',
    "message a string": b'{"update_id": 1, "message": "x"}',
    "message a list": b'{"update_id": 1, "message": []}',
    "callback a number": b'{"update_id": 1, "callback_query": 5}',
    "chat a string": json.dumps(
        {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": "x"}}
    ).encode(),
    "nested list": b"[" * 100_000 + b"]" * 100_000,
    "nested update": b'{"update_id": 1, "message": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
}


@pytest.fixture
async def webhook(db: str) -> AsyncIterator[tuple[FakeTelegram, str]]:
    async with running_fake_telegram() as fake:
        config = TelegramConfig(
            token=TOKEN, api_url=fake.url, webhook=True, webhook_secret=SECRET, public_url=PUBLIC
        )
        async with running(config) as frontend:
            app = web.Application()
            frontend.add_web_routes(app)
            async with running_web(app) as url:
                await fake.wait_for(lambda: fake.webhook, within=10)
                yield fake, url + WEBHOOK_PATH


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_a_webhook_body_that_is_not_an_update_gets_400(
    webhook: tuple[FakeTelegram, str], body: bytes
) -> None:
    _, url = webhook
    async with aiohttp.ClientSession() as http:
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with http.post(url, data=body, headers=headers) as response:
            assert response.status == 400
            answer: dict[str, Any] = await response.json()
    assert answer["ok"] is False and answer["error"]
    assert await InboxUpdate.all().count() == 0


async def test_a_webhook_needs_the_right_secret_and_stores_before_its_200(
    webhook: tuple[FakeTelegram, str],
) -> None:
    fake, url = webhook
    fake.private_chat(FakeTelegram.user(3001, "M"))
    update = _update(77, 3001, "/help")
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        assert await InboxUpdate.all().count() == 0
        for _ in range(2):  # Telegram re-sends: stored once, both answered 200
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                assert response.status == 200
                assert await InboxUpdate.filter(update_id=77).count() == 1
    await fake.message_with(3001, "What I can do", within=10)


async def test_a_webhook_update_with_a_nul_byte_is_stored_on_either_database(
    webhook: tuple[FakeTelegram, str],
) -> None:
    fake, url = webhook
    fake.private_chat(FakeTelegram.user(3002, "N"))
    body = _update(78, 3002, "/help \x00 \ud800 \u202e")
    async with aiohttp.ClientSession() as http:
        raw = json.dumps(body).encode()  # \u0000 and a lone surrogate, escaped as JSON allows
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with http.post(url, data=raw, headers=headers) as response:
            assert response.status == 200
    assert await InboxUpdate.filter(update_id=78).count() == 1


async def test_a_full_inbox_answers_503_and_takes_nothing(db: str) -> None:
    async with running_fake_telegram() as fake:
        config = TelegramConfig(
            token=TOKEN,
            api_url=fake.url,
            webhook=True,
            webhook_secret=SECRET,
            public_url=PUBLIC,
            inbox=InboxOptions(max_pending=2),
            workers=WorkerOptions(workers=0),  # nothing handles the inbox: it fills up
        )
        async with running(config) as frontend:
            app = web.Application()
            frontend.add_web_routes(app)
            async with running_web(app) as url, aiohttp.ClientSession() as http:
                await fake.wait_for(lambda: fake.webhook, within=10)
                statuses = []
                for n in range(4):
                    headers = {SECRET_HEADER: SECRET}
                    body = _update(n, 3000 + n, "hi")
                    async with http.post(url + WEBHOOK_PATH, json=body, headers=headers) as answer:
                        statuses.append(answer.status)
        assert statuses == [200, 200, 503, 503]
        assert await InboxUpdate.all().count() == 2


def _update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "M"}
    chat = {"id": chat_id, "type": "private", "first_name": "M"}
    message = {"message_id": 1, "date": 0, "text": text, "chat": chat, "from": user}
    return {"update_id": update_id, "message": message}
