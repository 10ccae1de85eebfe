"""Fuzz: every chat command, wizard step and button through the Telegram front-end (the real
python-telegram-bot handlers, replies to the fake Bot API), on the test database.

No update may reach the error handler (which says the generic "something went wrong"), and
no button's pop-up may say it either. Each example starts the conversation somewhere, in a
private chat or a group the user administers, then types or presses 20 times: 100 examples
are 2,000 inputs (about 30 s). CHAT_FUZZ_SCALE=10 runs ten times as many.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import ChatServices
from bot.telegram.handlers import ERROR_TEXT
from core.searches import SearchService
from core.tiers import TierTable
from tests.chat_fuzz import GENERIC_ERROR, MARKETS, SCALE, inputs, starts
from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram, Sent
from tests.integration.telegram_direct import DirectBot, direct_bot

STEPS_PER_EXAMPLE = 20
EXAMPLES = 100 * SCALE
USER = FakeTelegram.user(4242, "Fuzz", "fuzz")
GROUP_ID = -100777

_ID = st.one_of(
    st.integers(0, 50).map(str),
    st.sampled_from(["2147483647", "2147483648", "07911123456", "9" * 16, "0", "ff", "1a"]),
)
# Button data: our own shapes with odd ids and actions, and anything else up to 64 bytes.
BUTTON_DATA = st.one_of(
    st.builds(
        lambda ns, target, action: f"{ns}:{target}:{action}",
        st.sampled_from("mastvx"),
        _ID,
        st.sampled_from(["s", "u", "h", "n", "l", "o", "p", "r", "e", "d", "y", "c", "ok", "0",
                         "1", "9", "999", "zz", ""]),
    ),
    st.text(max_size=30).filter(lambda t: len(t.encode()) <= 64),
)  # fmt: skip
# What one step does: type a line, press a button that is on screen, or press forged data.
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("press"), st.integers(0, 12)),
        st.tuples(st.just("forge"), BUTTON_DATA),
    ),
    min_size=STEPS_PER_EXAMPLE // 4,
    max_size=STEPS_PER_EXAMPLE // 4,
)


@pytest.fixture
async def bot(db: str) -> AsyncIterator[DirectBot]:
    services = ChatServices(SearchService(TierTable.default(), MARKETS))
    async with direct_bot(services) as running:
        yield running


def _with_buttons(bot: DirectBot, chat_id: int) -> Sent | None:
    for sent in reversed(bot.fake.sent):
        if sent.chat_id == chat_id and sent.buttons():
            return sent
    return None


async def _step(bot: DirectBot, chat: dict[str, Any], step: tuple[str, Any]) -> str:
    kind, value = step
    if kind == "type":
        await bot.type(USER, value, chat)
        return ""
    target = _with_buttons(bot, chat["id"]) or (bot.fake.sent[-1] if bot.fake.sent else None)
    if target is None or target.chat_id != chat["id"]:
        return ""
    if kind == "press":
        buttons = [b for b in target.buttons() if "callback_data" in b]
        if not buttons:
            return ""
        value = buttons[value % len(buttons)]["callback_data"]
    answer = await bot.press(USER, target, value)
    return str((answer or {}).get("text") or "")


@pytest.mark.timeout(90 * SCALE)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    in_group=st.booleans(),
    start=starts(),
    lines=inputs(STEPS_PER_EXAMPLE - STEPS_PER_EXAMPLE // 4),
    presses=ACTIONS,
    mention=st.booleans(),
)
async def test_telegram_answers_every_input(
    bot: DirectBot,
    in_group: bool,
    start: tuple[str, ...],
    lines: list[str],
    presses: list[tuple[str, Any]],
    mention: bool,
) -> None:
    fake = bot.fake
    chat = fake.group(GROUP_ID, "Fuzz <group>", admins=(USER["id"],)) if in_group else None
    chat = chat or fake.private_chat(USER)
    sent_before = len(fake.sent)
    await bot.type(USER, "/cancel", chat)
    for line in start:
        await bot.type(USER, line, chat)
    typed = [("type", _addressed(line) if mention else line) for line in lines]
    # Lines and presses interleaved: a press acts on what the line before put on screen.
    steps = [step for pair in itertools.zip_longest(typed, presses) for step in pair if step]
    for step in steps:
        toast = await _step(bot, chat, step)
        assert GENERIC_ERROR not in toast, f"{step!r} after {start}: pop-up {toast!r}"
        new = [s.text for s in fake.sent[sent_before:]]
        assert ERROR_TEXT not in new, f"{step!r} after {start} ended in the error handler"


def _addressed(line: str) -> str:
    """'/pause 3' as typed in a group with several bots: '/pause@<bot> 3'."""
    if not line.startswith("/") or not line[1:2].strip():
        return line
    name, sep, rest = line.partition(" ")
    return f"{name}@{BOT_USERNAME}{sep}{rest}"
