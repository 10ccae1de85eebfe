"""Neutral Replies (built in bot.conversation) as Telegram messages: HTML and inline buttons.

``render`` is the whole of it: rich spans become HTML (outside text escaped here), each
button's ``Action`` becomes its callback data (``Action.encode``, at most 64 bytes), a
``url`` button a link. Telegram adds no screen of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.replies import Bold, Button, Link, Reply, Span
from bot.telegram.markup import TEXT_LIMIT, escape, escape_fit, label_fit, tg_len


@dataclass(frozen=True, slots=True)
class Screen:
    html: str
    keyboard: InlineKeyboardMarkup | None = None


def html_of(spans: tuple[Span, ...]) -> str:
    parts = []
    for span in spans:
        if isinstance(span, Bold):
            parts.append(f"<b>{escape(span.text)}</b>")
        elif isinstance(span, Link):
            link = f'<a href="{escape(span.url)}">{escape(span.text)}</a>'
            parts.append(f"<b>{link}</b>" if span.bold else link)
        else:
            parts.append(escape(span))
    return "".join(parts)


def render(reply: Reply) -> Screen:
    """A Reply as Telegram HTML (cut to fit) and inline buttons (its actions)."""
    html_text = (
        _cap(html_of(reply.rich)) if reply.rich else escape_fit(reply.text or " ", TEXT_LIMIT)
    )
    return Screen(html_text, keyboard(reply.buttons))


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    by_row: dict[int, list[InlineKeyboardButton]] = {}
    for button in buttons:
        tg = _button(button)
        if button.row is None:
            rows.append([tg])
        elif button.row in by_row:
            by_row[button.row].append(tg)
        else:
            by_row[button.row] = [tg]
            rows.append(by_row[button.row])
    return InlineKeyboardMarkup(rows) if rows else None


def _button(button: Button) -> InlineKeyboardButton:
    label = label_fit(button.label)
    if button.url:
        return InlineKeyboardButton(label, url=button.url)
    if button.action is None:
        raise ValueError(f"button {button.label!r} has neither an action nor a url")
    return InlineKeyboardButton(label, callback_data=button.action.encode())


def deep_link(bot_username: str, view: str) -> str:
    """A link that opens a private chat with the bot at ``view`` (/start <view>)."""
    return f"https://t.me/{bot_username}?start={view}"


def _cap(html_text: str) -> str:
    """A last guard for screens built from many escaped parts: cut whole lines to fit (no tag
    spans two lines, so the HTML stays valid)."""
    if tg_len(html_text) <= TEXT_LIMIT:
        return html_text
    kept: list[str] = []
    size = 2  # the closing "\n…"
    for line in html_text.split("\n"):
        size += tg_len(line) + 1
        if size > TEXT_LIMIT:
            break
        kept.append(line)
    return "\n".join(kept) + "\n…"


__all__ = ["Screen", "deep_link", "html_of", "keyboard", "render"]
