"""Our send pacing against the Bot API fake with Telegram's documented limits enforced
(30 sends a second per bot, 1 a second per chat, 20 a minute per group): the real
python-telegram-bot client with our rate limiter is never answered 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram.ext import Application

from bot.telegram.frontend import TelegramConfig, build_application
from bot.telegram.ratelimit import RateLimits, WaitLimit, _Window
from tests.fakes.telegram_api import TOKEN, FakeTelegram, running_fake_telegram


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # A 429's int retry_after makes PTB 22 warn; PTB_TIMEDELTA opts in to the future form.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@asynccontextmanager
async def strict_fake(
    limits: RateLimits,
) -> AsyncIterator[tuple[FakeTelegram, Application[Any, Any, Any, Any, Any, Any]]]:
    async with running_fake_telegram() as fake:
        fake.per_bot_per_second = 30
        fake.per_chat_per_second = 1
        fake.per_group_per_minute = 20
        app = build_application(TelegramConfig(token=TOKEN, api_url=fake.url, limits=limits))
        async with app:
            yield fake, app


async def test_sends_to_many_chats_at_once_are_paced_to_telegrams_limits() -> None:
    # 3 messages to each of 40 chats, all at once: 120 sends, so the bot-wide 30/s and the
    # per-chat 1/s both bind (at least 3 s in all).
    async with strict_fake(RateLimits()) as (fake, app):
        chats = [fake.private_chat(fake.user(5000 + n))["id"] for n in range(40)]
        started = time.monotonic()
        await asyncio.gather(
            *(
                app.bot.send_message(chat, f"m{n}", rate_limit_args=WaitLimit(30))
                for n in range(3)
                for chat in chats
            )
        )
        took = time.monotonic() - started
        assert fake.flood_refusals == 0, fake.flood_reasons
        assert len(fake.calls_of("sendMessage")) == 120  # none refused and retried
        assert 3.0 < took < 15  # the bot limit (120 at 30/s), not a crawl


async def test_a_burst_above_one_a_second_per_chat_is_refused_by_the_fake() -> None:
    # The fake is the judge: the old default of bursts of 3 per chat draws 429s from it.
    async with strict_fake(RateLimits(private_burst=3)) as (fake, app):
        chat = fake.private_chat(fake.user(6000))["id"]
        await asyncio.gather(
            *(app.bot.send_message(chat, f"m{n}", rate_limit_args=WaitLimit(30)) for n in range(3))
        )
        assert fake.flood_reasons.get("chat", 0) >= 1


def test_a_window_counts_a_send_until_a_period_after_its_answer() -> None:
    window = _Window(2, 1.0)
    assert window.wait_at(0.0) == 0
    window.start()
    window.start()
    assert window.wait_at(0.0) > 0  # two in flight fill it
    window.finish(0.3)
    assert window.wait_at(0.5) == pytest.approx(0.8)  # free once the first answer is a second old
    window.start()
    window.finish(0.6)
    window.finish(0.7)
    assert window.wait_at(1.0) == pytest.approx(0.6)  # answers at 0.6 and 0.7: room at 1.6
    assert window.wait_at(1.6) == 0.0
    assert window.wait_at(1.7) == 0.0 and window.idle(1.7)


def test_a_group_is_held_to_twenty_a_minute_and_one_a_second() -> None:
    from bot.telegram.ratelimit import TelegramRateLimiter

    limiter = TelegramRateLimiter(RateLimits())
    windows = limiter._chat_windows("sendMessage", -100)
    assert sorted((w.count, w.period) for w in windows) == [(1, 1.0), (20, 60.0)]
    assert [(w.count, w.period) for w in limiter._chat_windows("sendPhoto", 42)] == [(1, 1.0)]
    assert limiter._chat_windows("editMessageText", 42) == ()
