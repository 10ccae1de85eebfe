"""The one check that the console and Telegram show a neutral screen alike, shared by
test_screens.py (the button screens) and test_screen_snapshots.py (every other screen)."""

from __future__ import annotations

from bot.console import choices, pressed_actions
from bot.console import render as console_render
from bot.conversation.actions import Act, Action, decode
from bot.conversation.replies import Reply
from bot.telegram import menus
from tests.fakes.telegram_api import CALLBACK_DATA_LIMIT, TEXT_LIMIT, parse_html


def assert_same_screen(reply: Reply, ref: str | None = None) -> None:
    """Telegram's HTML parses (as Telegram's parser would) to the reply's text within its
    limit; the console shows that text; both show the same buttons in the same order; each
    action survives Telegram's callback data (≤ 64 bytes), a link stays a link, and typing a
    choice's number in the console does what pressing it does. ``ref``: the question the
    reply asks, whose options must each be one CHOOSE naming it."""
    shown = menus.render(reply)
    visible = parse_html(shown.html)  # raises, as Telegram would, on invalid HTML
    assert visible == reply.text and len(shown.html) <= TEXT_LIMIT
    console = console_render(reply)
    assert console.startswith(reply.text)
    tg_buttons = [
        b for row in (shown.keyboard.inline_keyboard if shown.keyboard else ()) for b in row
    ]
    assert [b.text for b in tg_buttons] == [b.label for b in reply.buttons]
    for button, tg in zip(reply.buttons, tg_buttons, strict=True):
        if button.action is None:  # a link; never free text to parse again
            assert button.url and tg.url == button.url
            continue
        data = tg.callback_data
        assert isinstance(data, str) and len(data.encode()) <= CALLBACK_DATA_LIMIT
        assert decode(data) == button.action
    for number, button in enumerate(choices(reply), 1):
        assert f"[{number}] {button.label}" in console
        if button.action is not None:  # typing the number does what pressing does
            assert pressed_actions(str(number), reply)[0] == button.action
    if reply.options and ref is not None:
        chosen = [b.action for b in reply.buttons if b.action and b.action.act is Act.CHOOSE]
        assert chosen == [Action(Act.CHOOSE, i, ref) for i in range(len(reply.options))]
