"""Button menus that edit their own message: searches, saved listings, templates.

Each function returns a ``Screen`` (HTML text + keyboard); handlers send it or edit a
message into it. Outside text is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation import search_line
from bot.telegram import callbacks
from bot.telegram.markup import TEXT_LIMIT, escape, escape_fit, label_fit, tg_len
from core.enums import SearchStatus
from core.formatting import price_text
from core.matches import Page
from core.views import SearchView as Search
from core.views import TemplateView as Template

Button = InlineKeyboardButton


@dataclass(frozen=True, slots=True)
class Screen:
    html: str
    keyboard: InlineKeyboardMarkup | None = None


def _markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


# --- searches ------------------------------------------------------------------------------
def searches_list(found: list[Search], now: datetime, *, group: bool) -> Screen:
    if not found:
        where = "this group" if group else "you"
        return Screen(
            f"No searches for {where} yet. Start one with /newsearch or pick one from /templates."
        )
    lines = "\n".join(escape_fit(search_line(s, now), 600) for s in found[:40])
    buttons = [
        [
            Button(
                label_fit(_state_icon(s) + f" #{s.id} {s.name}"),
                callback_data=callbacks.search(s.id, "o"),
            )
        ]
        for s in found[:40]
    ]
    title = "This group's searches" if group else "Your searches"
    return Screen(_cap(f"<b>{title}</b>\n{lines}\n\nTap one to manage it."), _markup(buttons))


def _state_icon(search: Search) -> str:
    return "▶" if search.status is SearchStatus.ACTIVE else "⏸"


def search_card(search: Search, now: datetime, note: str = "") -> Screen:
    criteria = search.criteria
    details = [
        f"Keywords: {criteria.get('keywords', '')}",
        f"Marketplaces: {', '.join(search.marketplaces)}",
        f"Alerts to: {', '.join(search.channels)}",
    ]
    text = escape_fit(search_line(search, now), 1500) + "\n" + escape_fit("\n".join(details), 1500)
    if note:
        text = f"{escape(note)}\n\n{text}"
    toggle = (
        Button("⏸ Pause", callback_data=callbacks.search(search.id, "p"))
        if search.status is SearchStatus.ACTIVE
        else Button("▶ Resume", callback_data=callbacks.search(search.id, "r"))
    )
    rows = [
        [toggle, Button("✏ Edit", callback_data=callbacks.search(search.id, "e"))],
        [Button("🗑 Delete", callback_data=callbacks.search(search.id, "d"))],
        [Button("« All searches", callback_data=callbacks.search(0, "l"))],
    ]
    return Screen(_cap(text), _markup(rows))


def delete_question(search: Search) -> Screen:
    text = f"Delete #{search.id} {escape(search.name)}? Its saved listings go with it."
    rows = [
        [
            Button("Yes, delete it", callback_data=callbacks.search(search.id, "y")),
            Button("No, keep it", callback_data=callbacks.search(search.id, "o")),
        ]
    ]
    return Screen(text, _markup(rows))


def deleted(search_id: int) -> Screen:
    back = [[Button("« All searches", callback_data=callbacks.search(0, "l"))]]
    return Screen(f"🗑 Deleted #{search_id}.", _markup(back))


# --- saved listings --------------------------------------------------------------------------
def saved_page(page: Page, now: datetime) -> Screen:
    if not page.total:
        return Screen("Nothing saved yet. Press ⭐ Save on an alert to keep it here.")
    blocks = []
    for match in page.items:
        listing = match.listing
        title = escape_fit(listing.title, 300)
        if listing.url.startswith(("https://", "http://")):
            title = f'<a href="{escape(listing.url)}">{title}</a>'
        where = " · ".join(
            p for p in (listing.location, listing.marketplace, match.search.name) if p
        )
        price = price_text(listing.price, listing.currency)
        blocks.append(f"⭐ <b>{title}</b>\n{escape(price)} · {escape_fit(where, 300)}")
    head = f"<b>Saved listings</b> (page {page.page} of {page.pages})"
    nav = []
    if page.page > 1:
        nav.append(Button("◀ Newer", callback_data=callbacks.saved(page.page - 1)))
    if page.page < page.pages:
        nav.append(Button("Older ▶", callback_data=callbacks.saved(page.page + 1)))
    return Screen(_cap(head + "\n\n" + "\n\n".join(blocks)), _markup([nav]))


_PRIVATE_TEXT = {
    "saved": "Saved listings are personal, so I show them in a private chat with you.",
    "stats": "Your numbers are personal, so I show them in a private chat with you.",
}


def private_link(view: str, bot_username: str) -> Screen:
    """A button that opens a private chat with the bot and shows ``view`` there: a bot cannot
    write first to someone who never started it, so the user opens the chat."""
    url = f"https://t.me/{bot_username}?start={view}"
    rows = [[Button("Open a private chat", url=url)]]
    return Screen(escape(_PRIVATE_TEXT[view]), _markup(rows))


# --- templates ---------------------------------------------------------------------------------
def template_categories(categories: list[str]) -> Screen:
    if not categories:
        return Screen("No templates are available yet.")
    buttons = [
        Button(label_fit(name), callback_data=callbacks.template(i, "c"))
        for i, name in enumerate(categories)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return Screen(
        "<b>Ready-made searches</b>\nPick a category; one tap starts a search you can adjust.",
        _markup(rows),
    )


def template_list(category: str, found: list[Template]) -> Screen:
    lines = [
        f"{'⭐ ' if t.featured else ''}<b>{escape(t.name)}</b> — {escape_fit(t.description, 300)}"
        for t in found
    ]
    rows = [
        [Button(label_fit(f"Use: {t.name}"), callback_data=callbacks.template(t.id, "u"))]
        for t in found
    ]
    rows.append([Button("« Categories", callback_data=callbacks.template(0, "h"))])
    return Screen(_cap(f"<b>{escape(category)}</b>\n" + "\n".join(lines)), _markup(rows))


def _cap(html_text: str) -> str:
    """A last guard for menus built from many escaped parts: cut whole lines to fit (no tag
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
    "private_link",
    "saved_page",
    "search_card",
    "searches_list",
    "template_categories",
    "template_list",
]
