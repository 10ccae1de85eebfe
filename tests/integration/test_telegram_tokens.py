"""/token through Telegram (issue 17): the message with the secret is deleted after a while
(deleteMessage on the fake Bot API), at once when the bot stops first; refused in groups."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.conversation import ChatServices, tokens
from core.models import ApiToken
from core.searches import SearchService
from core.tiers import TierTable
from tests.fakes.telegram_api import FakeTelegram
from tests.integration.telegram_direct import DirectBot, direct_bot

ANN = FakeTelegram.user(1001, "Ann", "ann")


@pytest.fixture
async def bot(db: str) -> AsyncIterator[DirectBot]:
    services = ChatServices(SearchService(TierTable.default(), ("sandbox",)))
    async with direct_bot(services) as running:
        yield running


async def test_the_secret_message_is_deleted_after_its_time(
    bot: DirectBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tokens, "SECRET_SHOWN_SECONDS", 0.3)
    [sent] = await bot.type(ANN, "/token create sheet write")
    assert "mmk_" in sent.text and "deleted in a minute" in sent.text
    assert sent in bot.fake.sent
    await bot.fake.wait_for(lambda: sent not in bot.fake.sent, within=5)
    [call] = bot.fake.calls_of("deleteMessage")
    assert int(call.params["message_id"]) == sent.message_id
    # /token list shows no secret and is not deleted.
    [listed] = await bot.type(ANN, "/token list")
    assert "sheet (write" in listed.text and "mmk_" not in listed.text
    await asyncio.sleep(0.5)
    assert listed in bot.fake.sent


async def test_a_stopping_bot_deletes_the_secret_at_once(bot: DirectBot) -> None:
    [sent] = await bot.type(ANN, "/token create sheet")
    assert sent in bot.fake.sent  # a minute to go
    assert bot.handlers is not None
    await bot.handlers.delete_pending_now()
    assert sent not in bot.fake.sent


async def test_token_is_refused_in_a_group(bot: DirectBot) -> None:
    group = bot.fake.group(-100500, "Flippers", admins=(ANN["id"],))
    [sent] = await bot.type(ANN, "/token create sheet", chat=group)
    assert "private chat" in sent.text and "mmk_" not in sent.text
    assert await ApiToken.all().count() == 0
    assert not bot.fake.calls_of("deleteMessage")
