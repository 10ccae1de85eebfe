"""Fuzz: every chat command and wizard step through the console front-end, on the test
database (SQLite, or Postgres with TEST_DATABASE_URL). No input may end in an exception or in
the generic "something went wrong": each gets its usage line or a specific message.

Each example starts the conversation somewhere (idle, at a wizard step, in /settings, …) and
types 20 lines: 1,000 examples are 20,000 inputs here (about 10 s), and 2,000 more go through
Telegram (tests/integration/test_telegram_fuzz.py), on each database.
CHAT_FUZZ_SCALE=10 runs ten times as many.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings

from bot.console import ConsoleChat, render
from bot.conversation import ChatServices, ChatSession
from core.accounts import destination_for, identify
from core.enums import Platform, Tier
from core.models import Account, Destination
from core.searches import SearchService
from core.tiers import TierTable
from tests.chat_fuzz import GENERIC_ERROR, MARKETS, SCALE, inputs, starts

LINES_PER_EXAMPLE = 20
EXAMPLES = 1000 * SCALE


async def fuzzer() -> tuple[Account, Destination]:
    account = await identify(Platform.CONSOLE, "fuzzer")
    account.tier = Tier.BUSINESS  # no search-count limit to end the examples early
    await account.save()
    return account, await destination_for(account, Platform.CONSOLE, "console")


@pytest.fixture
async def user(db: str) -> tuple[Account, Destination]:
    return await fuzzer()


@pytest.mark.timeout(60 * SCALE)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # the same inputs every run: a CI failure can be replayed
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=starts(), lines=inputs(LINES_PER_EXAMPLE))
async def test_console_chat_answers_every_input(
    user: tuple[Account, Destination], start: tuple[str, ...], lines: list[str]
) -> None:
    # Looked up again per example: an earlier one may have confirmed /deleteaccount.
    account, destination = await fuzzer()
    services = ChatServices(SearchService(TierTable.default(), MARKETS))
    out = io.StringIO()
    chat = ConsoleChat(ChatSession(services, account, destination), io.StringIO(), out)
    for line in (*start, *lines):
        replies = await chat.answer(line)
        await chat.show(replies)
        assert replies, f"no reply to {line!r}"
        for reply in replies:
            assert reply.text.strip(), f"an empty reply to {line!r}"
            assert GENERIC_ERROR not in reply.text, f"{line!r} after {start} failed"
            render(reply)
