"""The neutral screens (bot.conversation.screens) as Telegram messages: HTML and buttons.

Each function returns a ``Screen`` (HTML text + keyboard); handlers send it or edit a
message into it. Outside text is escaped here, in ``render``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import screens
from bot.conversation.replies import Bold, Button, Link, Reply, Span
from bot.telegram.markup import TEXT_LIMIT, escape, tg_len
from core.matches import Page
from core.views import SearchView, TemplateView


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
    """A neutral screen as Telegram HTML (cut to fit) and inline buttons (its actions)."""
    return Screen(_cap(html_of(reply.rich or (reply.text,))), keyboard(reply.buttons))


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
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    if button.action is None:
        raise ValueError(f"screen button {button.label!r} has no action")
    return InlineKeyboardButton(button.label, callback_data=button.action.encode())


def searches_list(found: Sequence[SearchView], now: datetime, *, group: bool) -> Screen:
    return render(screens.searches_list(found, now, group=group))


def search_card(search: SearchView, now: datetime, note: str = "") -> Screen:
    return render(screens.search_card(search, now, note))


def delete_question(search: SearchView) -> Screen:
    return render(screens.delete_question(search))


def deleted(search_id: int) -> Screen:
    return render(screens.deleted(search_id))


def saved_page(page: Page, now: datetime) -> Screen:
    return render(screens.saved_page(page, now))


def private_link(view: str, bot_username: str) -> Screen:
    return render(screens.private_link(view, f"https://t.me/{bot_username}?start={view}"))


def template_categories(categories: list[str]) -> Screen:
    return render(screens.template_categories(categories))


def template_list(category: str, found: Sequence[TemplateView]) -> Screen:
    return render(screens.template_list(category, found))


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


__all__ = [
    "Screen",
    "delete_question",
    "deleted",
    "html_of",
    "keyboard",
    "private_link",
    "render",
    "saved_page",
    "search_card",
    "searches_list",
    "template_categories",
    "template_list",
]
