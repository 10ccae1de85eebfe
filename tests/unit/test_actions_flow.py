"""Buttons as typed actions through the shared conversation: a question's options, the
start screen's commands, a stale menu, and a command plugged in through the registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.conversation import ChatSession, Reply, registry
from bot.conversation.actions import Act, Action
from bot.conversation.pressed import act
from bot.conversation.replies import Button, screen
from bot.telegram.handlers import command_menus
from core.enums import Tier
from core.errors import Forbidden
from core.models import Search
from tests.unit.test_conversation import session_for


def _button(reply: Reply, label: str) -> Action:
    for button in reply.buttons:
        if button.label == label and button.action is not None:
            return button.action
    raise AssertionError(f"no {label!r} among {[b.label for b in reply.buttons]}")


async def _press(session: ChatSession, reply: Reply, label: str) -> list[Reply]:
    pressed = await act(session, _button(reply, label))
    return [pressed.screen] if pressed.screen is not None else pressed.replies


async def test_the_whole_wizard_by_buttons_from_the_start_screen(db: str) -> None:
    session = await session_for("ann", Tier.PRO)
    [start] = await session.handle("/start")
    [question] = await _press(session, start, "🔎 New search")
    assert "What shall we call" in question.text
    [question] = await session.handle("Cheap PS5")
    ticked = (await act(session, _button(question, "Sandbox"))).screen
    assert ticked is not None and ticked.buttons[0].label == "✅ Sandbox"
    await act(session, _button(ticked, "Ebay"))
    [question] = await _press(session, ticked, "Done ✔")
    assert "What are you looking for?" in question.text
    [question] = await session.handle("ps5")
    answers = ("None", "Any price", "Buy It Now", "Anywhere", "Pounds (GBP)", "Used")
    for label in (*answers, "Every 5 min", "This chat only"):
        [question] = await _press(session, question, label)
    assert "Marketplaces: sandbox, ebay" in question.text
    [done] = await _press(session, question, "Confirm")
    assert "is live" in done.text
    search = await Search.get()
    assert search.marketplaces == ["sandbox", "ebay"] and search.interval_seconds == 300
    assert search.criteria["condition"] == "used"


async def test_a_press_on_an_answered_question_is_refused(db: str) -> None:
    session = await session_for("ann")
    await session.handle("/newsearch")
    [marketplaces] = await session.handle("Cheap PS5")
    [keywords] = await _press(session, marketplaces, "Sandbox")
    assert "What are you looking for?" in keywords.text
    stale = await act(session, _button(marketplaces, "Ebay"))
    assert stale.toast is not None and "closed" in stale.toast and not stale.replies
    # A forged reference, and an index beyond the question's options: refused the same.
    ref = _button(marketplaces, "Ebay").ref
    for forged in (Action(Act.CHOOSE, 0, "ffffffff"), Action(Act.CHOOSE, 9, ref)):
        assert "closed" in str((await act(session, forged)).toast)
    [question] = await session.handle("ps5")  # the open question still waits
    assert "rule a listing out" in question.text


async def test_a_typed_label_is_the_same_as_a_press(db: str) -> None:
    session = await session_for("ann")
    await session.handle("/newsearch")
    await session.handle("Cheap PS5")
    await session.handle("sandbox")
    await session.handle("ps5")
    [price] = await session.handle("none")
    assert "What price" in price.text
    [location] = await session.handle("ANY PRICE")  # the button's label, typed
    assert "Where?" in location.text


async def test_a_refused_command_button_raises_for_the_front_end_to_pop_up(db: str) -> None:
    session = await session_for("ann")

    async def not_an_admin() -> None:
        raise Forbidden("Only this group's admins can do that.")

    session.manager_check = not_an_admin
    [start] = await session.handle("/start")
    with pytest.raises(Forbidden):
        await act(session, _button(start, "🔎 New search"))
    assert session.pending is None
    pressed = await act(session, _button(start, "❓ Help"))
    assert pressed.below and "What I can do" in pressed.replies[0].text  # the start screen stays


@pytest.fixture
def ping_command() -> Iterator[None]:
    @registry.command("ping", "Answer with a screen", where=registry.EVERYWHERE)
    async def ping(session: ChatSession, args: str) -> list[Reply]:
        return [screen([f"pong {args}"], [Button("Help", Action(Act.HELP))])]

    yield
    registry._COMMANDS.pop("ping")


async def test_a_registered_command_reaches_every_front_end(db: str, ping_command: None) -> None:
    session = await session_for("ann")
    [reply] = await session.handle("/ping <b>")
    assert reply.text == "pong <b>" and reply.buttons[0].action == Action(Act.HELP)
    for _, menu in command_menus():
        assert "ping" in [c.command for c in menu]
    with pytest.raises(ValueError):
        registry.command("ping", "twice")(lambda s, a: None)  # type: ignore[arg-type,return-value]
