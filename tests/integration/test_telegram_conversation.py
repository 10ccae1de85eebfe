"""Telegram conversations kept in the database: two bot processes on one database serve one
user in turns, and a process that restarts mid-wizard continues it (buttons included)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from bot.conversation import ChatServices
from core.models import Search
from core.searches import SearchService
from core.tiers import TierTable
from tests.fakes.telegram_api import FakeTelegram, Sent, running_fake_telegram
from tests.integration.telegram_direct import DirectBot, bot_process

ANN = {"id": 501, "is_bot": False, "first_name": "Ann"}


def _services() -> ChatServices:
    return ChatServices(SearchService(TierTable.default(), ("sandbox", "ebay")))


async def _type(bot: DirectBot, text: str, expect: str) -> Sent:
    sent = await bot.type(ANN, text)
    assert sent and expect in sent[-1].text, [s.text for s in sent]
    return sent[-1]


async def _press(bot: DirectBot, menu: Sent, label: str) -> Sent:
    answer = await bot.press(ANN, menu, menu.button(label)["callback_data"])
    assert answer is not None and not answer.get("text"), answer  # no "closed" pop-up
    return menu


async def test_two_processes_take_turns_and_a_restart_continues_the_wizard(db: str) -> None:
    async with running_fake_telegram() as fake:
        await _wizard_across_processes(fake)
    search = await Search.get()
    assert search.name == "Cheap PS5" and search.marketplaces == ["sandbox"]
    assert search.criteria["max_price"] == "250.00"


async def _wizard_across_processes(fake: FakeTelegram) -> None:
    async with bot_process(fake, _services()) as one:
        await _type(one, "/newsearch", "What shall we call")
        menu = await _type(one, "Cheap PS5", "Which marketplaces?")
    # The first process is gone; a new one (and a second beside it) carry on.
    async with bot_process(fake, _services()) as two, bot_process(fake, _services()) as three:
        turns = itertools.cycle([two, three])
        await _press(next(turns), menu, "Sandbox")  # a button of the old process's menu
        assert "What are you looking for?" in menu.text
        menu = await _type(next(turns), "ps5", "Any words that rule")
        await _press(next(turns), menu, "None")
        menu = await _type(next(turns), "100-250", "Where?")
        for label in ("Anywhere", "Pounds", "Used", "Every 30 min", "This chat only"):
            await _press(next(turns), menu, label)
        assert "£100.00 – £250.00" in menu.text
        confirm = menu.button("Confirm")["callback_data"]
        await _press(next(turns), menu, "Confirm")
        assert "is live" in menu.text
        # The menu is closed in every process: pressing Confirm again makes nothing.
        answer: dict[str, Any] | None = await next(turns).press(ANN, menu, confirm)
        assert answer is not None and "question is closed" in str(answer.get("text", ""))
        assert await Search.all().count() == 1


async def test_a_delete_confirmation_is_answered_in_another_process(db: str) -> None:
    async with running_fake_telegram() as fake:
        async with bot_process(fake, _services()) as one:
            for text in ("/newsearch", "Cheap PS5", "sandbox", "ps5", "none", "any"):
                await one.type(ANN, text)
            for text in ("anywhere", "GBP", "used", "every 30 min", "chat", "confirm"):
                await one.type(ANN, text)
            search = await Search.get()
            question = await _type(one, f"/delete {search.id}", "Delete #")
        async with bot_process(fake, _services()) as two:
            await _type(two, "yes", "Deleted")
    assert question.text.startswith("Delete #")
    assert not await Search.exists()


async def test_two_presses_at_once_in_two_processes_answer_the_question_once(db: str) -> None:
    async with (
        running_fake_telegram() as fake,
        bot_process(fake, _services()) as one,
        bot_process(fake, _services()) as two,
    ):
        await _type(one, "/newsearch", "What shall we call")
        menu = await _type(one, "Cheap PS5", "Which marketplaces?")
        sandbox = menu.button("Sandbox")["callback_data"]
        ebay = menu.button("Ebay")["callback_data"]
        answers = await asyncio.gather(one.press(ANN, menu, sandbox), two.press(ANN, menu, ebay))
        closed = [a for a in answers if a and "question is closed" in str(a.get("text"))]
        assert len(closed) == 1, answers  # one press answered, the other refused
        assert "What are you looking for?" in menu.text
        menu = await _type(two, "ps5", "Any words that rule")
        for text in ("none", "any", "anywhere"):
            await one.type(ANN, text)
        asked = await one.type(ANN, "gbp")
        if "eBay: only items you can collect" in asked[-1].text:  # the eBay press won
            await one.type(ANN, "country-wide")
        for text in ("used", "every 30 min", "chat"):
            await one.type(ANN, text)
        await _type(two, "confirm", "is live")
    search = await Search.get()
    assert search.marketplaces in (["sandbox"], ["ebay"])  # exactly one of the two presses


async def test_a_button_of_an_older_question_is_refused_politely(db: str) -> None:
    async with running_fake_telegram() as fake, bot_process(fake, _services()) as bot:
        await _type(bot, "/newsearch", "What shall we call")
        old = await _type(bot, "Cheap PS5", "Which marketplaces?")
        sandbox = old.button("Sandbox")["callback_data"]
        await _type(bot, "/cancel", "Cancelled")
        await _type(bot, "/newsearch", "What shall we call")
        await _type(bot, "Other", "Which marketplaces?")
        # The first wizard's menu asks the same question, but it is not this one.
        answer = await bot.press(ANN, old, sandbox)
        assert answer is not None and "question is closed" in str(answer.get("text"))
        await _type(bot, "ebay", "What are you looking for?")  # the open one still waits
