"""Odd input in the chat: every bad answer or argument gets its usage line or a specific
message, never an exception (issue 9 items 6 and 10)."""

from __future__ import annotations

import io
from unittest import mock

import pytest

from bot.console import ConsoleChat
from bot.conversation import texts
from bot.conversation.session import ChatSession
from core import templates
from core.accounts import identify
from core.enums import Platform, SearchStatus, Tier
from core.models import Search
from core.signing import KeyStore, LinkState, check_unsubscribe, unsubscribe_token
from tests.unit.test_conversation import WIZARD, _a_match, say, session_for

# Each of these once ended in an exception (InvalidOperation, Overflow) instead of a re-ask.
BAD_PRICES = [
    "book",
    "ask",
    "k",
    "abck",
    "1e999999k",
    "1e999999999k",
    "1e999999",
    "NaN",
    "inf",
    "١٠٠",  # Arabic-Indic digits: Decimal() reads them, we do not
    "²",
    "-5",
    "5-k",
    "£",
    "100-k",
    "9" * 40,
]


@pytest.mark.parametrize("answer", BAD_PRICES)
async def test_a_bad_price_is_asked_again(db: str, answer: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD[:5])
    reply = (await session.handle(answer))[0].text
    assert "Price must be a number" in reply and "What price" in reply
    assert "Where?" in (await session.handle("150k"))[0].text


@pytest.mark.parametrize("answer", ["", "   ", "\t \n", "\u3000"])
async def test_a_blank_price_is_asked_again_not_taken_as_any(db: str, answer: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD[:5])
    flow = session.pending
    reply = (await flow.answer(answer))[0].text  # type: ignore[union-attr]
    assert "empty" in reply and "What price" in reply


@pytest.mark.parametrize("answer", ["every ²", "²", "every ١٨٠٠", "1800" + "0" * 30, "-1800"])
async def test_an_unusable_interval_is_asked_again(db: str, answer: str) -> None:
    session = await session_for("ann")
    await say(session, *WIZARD[:9])
    reply = (await session.handle(answer))[0].text
    assert reply.startswith("Choose one of: 30 min") and "How often" in reply


# (what is typed, the command whose usage line answers it)
BAD_COMMANDS = [
    ("/pause ²", "pause"),
    ("/pause", "pause"),
    ("/pause 0", "pause"),
    ("/pause -1", "pause"),
    ("/pause 3 4", "pause"),
    ("/resume 07911123456", "resume"),  # beyond Postgres int4
    ("/resume 2147483648", "resume"),
    ("/edit ١", "edit"),
    ("/delete 1.5", "delete"),
    ("/hide 99999999999999999999999", "hide"),  # beyond SQLite's 64 bits
    ("/save #", "save"),
    ("/unhide 𝟙", "unhide"),
    ("/saved ²", "saved"),
    ("/saved 0", "saved"),
    ("/saved 99999999999999999999999", "saved"),
    ("/saved two", "saved"),
]


@pytest.mark.parametrize(("typed", "command"), BAD_COMMANDS)
async def test_commands_answer_bad_arguments_with_their_usage(
    db: str, typed: str, command: str
) -> None:
    session = await session_for("ann")
    assert [r.text for r in await session.handle(typed)] == [texts.USAGE[command]]


async def test_good_arguments_still_work(db: str) -> None:
    session = await session_for("ann", Tier.BUSINESS)
    await say(session, *WIZARD, "confirm")
    search = await Search.get()
    await session.handle(f"/pause #{search.id}")
    assert (await Search.get()).status is SearchStatus.PAUSED
    await session.handle(f"/resume\n{search.id}")  # a newline also ends the command's name
    assert (await Search.get()).status is SearchStatus.ACTIVE
    assert "Nothing saved" in (await session.handle("/saved 2"))[0].text


async def test_a_template_picked_with_an_odd_digit_is_asked_again(db: str) -> None:
    await templates.seed_templates()
    session = await session_for("ann")
    await session.handle("/templates")
    for typed in ("²", "0", "99999999999999999999999", "١"):
        assert (await session.handle(typed))[0].text.startswith("Pick a template by its number")


async def test_a_missing_id_and_somebody_elses_get_the_same_answer(db: str) -> None:
    ann = await session_for("ann")
    await say(ann, *WIZARD, "confirm")
    search = await Search.get()
    match = await _a_match(search)
    eve = await session_for("eve")
    missing_search, missing_match = search.id + 1000, match.id + 1000

    async def answer(session: ChatSession, typed: str, number: int) -> str:
        text = (await session.handle(f"{typed} {number}"))[0].text
        return text.replace(str(number), "N")

    for command in ("/pause", "/resume", "/edit", "/delete"):
        theirs = await answer(eve, command, search.id)
        assert theirs == await answer(eve, command, missing_search) == "You have no search #N."
    for command in ("/save", "/hide", "/unhide"):
        theirs = await answer(eve, command, match.id)
        assert theirs == await answer(eve, command, missing_match) == "You have no alert #N."


async def test_plan_limits_say_what_the_plan_allows_not_upgrade(db: str) -> None:
    session = await session_for("ann")  # free: 2 searches, 1 marketplace, every 30 min at most
    await say(session, "/newsearch", "x")
    too_many = (await session.handle("sandbox,ebay"))[0].text
    assert "free plan allows 1 marketplace" in too_many
    await say(session, "sandbox", "ps5", "none", "any", "anywhere", "GBP", "any")
    too_fast = (await session.handle("60"))[0].text
    assert "free plan" in too_fast
    await session.handle("/cancel")
    for _ in range(2):
        await say(session, *WIZARD, "confirm")
    full = (await session.handle("/newsearch"))[0].text
    assert "free plan allows 2 active searches" in full
    for text in (too_many, too_fast, full):
        assert "upgrade" not in text.lower()


async def test_the_console_survives_any_input(db: str) -> None:
    session = await session_for("ann")
    lines = ["/newsearch", "Cheap PS5", "²", "/pause ²", "boom", "/help"]
    out = io.StringIO()
    chat = ConsoleChat(session, io.StringIO("\n".join(lines) + "\n"), out)
    real = session.handle

    async def one_bug(text: str) -> list:  # type: ignore[type-arg]
        if text.strip() == "boom":
            raise RuntimeError("planted bug")
        return await real(text)

    with mock.patch.object(session, "handle", one_bug):
        await chat.run()
    shown = out.getvalue()
    # "²" after a question with numbered choices used to crash the choice lookup.
    assert "Choose from:" in shown and texts.USAGE["pause"] in shown
    assert "something went wrong" in shown  # the planted bug, said once…
    assert texts.HELP.splitlines()[-1] in shown.rsplit("\n", 3)[0]  # …and the chat went on


async def test_an_unsubscribe_token_with_other_digits_is_refused_not_an_error(db: str) -> None:
    account = await identify(Platform.CONSOLE, "ivy")
    account.email = "ivy@example.com"
    await account.save()
    keys = KeyStore()
    genuine = await unsubscribe_token(
        keys, account.id, "ivy@example.com", account.email_link_version
    )
    arabic = "".join(chr(0x660 + int(d)) for d in str(account.id))  # int() reads these
    for token in (arabic + genuine[len(str(account.id)) :], f"{account.id}.sig²", "²." + "x"):
        assert (await check_unsubscribe(keys, token)).state is LinkState.INVALID
    found = await check_unsubscribe(keys, genuine)
    assert found.state is LinkState.CURRENT and found.account == account
