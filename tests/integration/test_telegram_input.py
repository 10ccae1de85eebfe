"""Odd input through the Telegram front-end (issue 9 items 6 and 10): usage lines, ids beyond
the database's range in buttons, plain-text pop-ups, personal views kept out of groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.conversation import ChatServices, texts
from bot.telegram.handlers import ERROR_TEXT, EXPIRED, PRIVATE_ONLY
from bot.telegram.rights import ADMINS_ONLY
from core import accounts
from core.criteria import Criteria
from core.enums import MatchStatus, Platform
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.integration.telegram_direct import DirectBot, direct_bot
from tests.unit.test_conversation import _a_match

ANN = FakeTelegram.user(1001, "Ann", "ann")
EVE = FakeTelegram.user(1002, "Eve", "eve")


@pytest.fixture
async def bot(db: str) -> AsyncIterator[DirectBot]:
    services = ChatServices(SearchService(TierTable.default(), ("sandbox",)))
    async with direct_bot(services) as running:
        yield running


def _texts(sent: list[Any]) -> list[str]:
    return [s.text for s in sent]


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/saved ²", "saved"),
        ("/saved 99999999999999999999999", "saved"),
        ("/pause ²", "pause"),
        ("/resume 07911123456", "resume"),
        ("/hide 99999999999999999999999", "hide"),
        ("/edit ١", "edit"),
    ],
)
async def test_commands_answer_bad_arguments_with_their_usage(
    bot: DirectBot, typed: str, command: str
) -> None:
    assert _texts(await bot.type(ANN, typed)) == [texts.USAGE[command]]


@pytest.mark.parametrize(
    "data", ["a:9999999999999999:s", "s:2147483648:p", "s:07911123456:o", "t:9999999999:u"]
)
async def test_button_ids_beyond_the_id_range_are_refused(bot: DirectBot, data: str) -> None:
    (shown,) = await bot.type(ANN, "/help")
    answer = await bot.press(ANN, shown, data)
    assert answer is not None and answer["text"] == EXPIRED[0]
    assert ERROR_TEXT not in bot.fake.texts()


async def test_button_pop_ups_are_plain_text(bot: DirectBot) -> None:
    group = bot.fake.group(-100500, "Deal Hunters", admins=(ANN["id"],))
    (shown,) = await bot.type(ANN, "/searches", group)
    answer = await bot.press(EVE, shown, "s:1:p")  # Eve is no admin of the group
    assert answer is not None and answer["text"] == ADMINS_ONLY  # not "group&#x27;s"


async def test_saved_and_stats_in_a_group_open_a_private_chat(bot: DirectBot) -> None:
    account = await accounts.identify(Platform.TELEGRAM, str(ANN["id"]), "Ann")
    destination = await accounts.destination_for(account, Platform.TELEGRAM, str(ANN["id"]))
    draft = SearchDraft("PS5", Criteria(keywords="ps5"), ("sandbox",), 1800)
    search = await SearchService(TierTable.default(), ("sandbox",)).create(
        account, destination, draft
    )
    match = await _a_match(search, "secret-find")
    match.status = MatchStatus.SAVED
    await match.save()
    group = bot.fake.group(-100500, "Deal Hunters", admins=(ANN["id"],))

    for view, personal in (("saved", "PS5 secret-find"), ("stats", "📊 Your numbers")):
        (shown,) = await bot.type(ANN, f"/{view}", group)
        assert personal not in shown.text and "private chat" in shown.text
        link = shown.button("private chat")["url"]
        assert link == f"https://t.me/{BOT_USERNAME}?start={view}"
        # The link opens the private chat with "/start <view>": the view shows there.
        (private,) = await bot.type(ANN, f"/start {view}")
        assert private.chat_id == ANN["id"] and personal in private.text
    assert "PS5 secret-find" not in " ".join(bot.fake.texts(group["id"]))
    # An old or forged "saved page" button pressed in the group shows nothing there either.
    answer = await bot.press(ANN, shown, "v:1:p")
    assert answer is not None and answer["text"] == PRIVATE_ONLY[0]
    assert "PS5 secret-find" not in " ".join(bot.fake.texts(group["id"]))
