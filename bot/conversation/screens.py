"""The button screens, built once for every front-end: searches, a search's card, saved
listings, templates. Each is a Reply with marked-up text and action buttons; Telegram
renders it as HTML with inline buttons, the console as text with numbered choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.conversation import texts
from bot.conversation.actions import Act, Action
from bot.conversation.render import search_line
from bot.conversation.replies import Bold, Button, Link, Reply, Span, screen
from core.enums import SearchStatus
from core.formatting import price_text, saved_note
from core.matches import Page
from core.views import SearchView, TemplateView

MAX_LISTED = 40
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def _label(text: str) -> str:
    return clip(text, 60)


def start_screen(*, private: bool) -> Reply:
    """/start: what the bot does, and a button for each first step."""
    body = texts.WELCOME.removeprefix(texts.WELCOME_TITLE)
    buttons = [
        Button("🔎 New search", action=Action(Act.NEW_SEARCH), row=0),
        Button("⭐ Templates", action=Action(Act.TEMPLATES), row=0),
        Button("📋 My searches", action=Action(Act.SEARCHES), row=1),
    ]
    if private:  # settings and numbers are personal: private chats only
        buttons.append(Button("⚙ Settings", action=Action(Act.SETTINGS), row=1))
        buttons.append(Button("📊 Stats", action=Action(Act.STATS), row=2))
    buttons.append(Button("❓ Help", action=Action(Act.HELP), row=2))
    return screen([Bold(texts.WELCOME_TITLE), body], buttons)


def help_screen() -> Reply:
    body = texts.HELP.removeprefix(texts.HELP_TITLE)
    buttons = [
        Button("🔎 New search", action=Action(Act.NEW_SEARCH), row=0),
        Button("📋 My searches", action=Action(Act.SEARCHES), row=0),
    ]
    return screen([Bold(texts.HELP_TITLE), body], buttons)


def searches_list(found: Sequence[SearchView], now: datetime, *, group: bool) -> Reply:
    if not found:
        where = "this group" if group else "you"
        start = "Start one with /newsearch or pick one from /templates."
        return screen([f"No searches for {where} yet. {start}"], [])
    shown = found[:MAX_LISTED]
    lines = "\n".join(clip(search_line(s, now), 600) for s in shown)
    title = "This group's searches" if group else "Your searches"
    buttons = [
        Button(_label(f"{_icon(s)} #{s.id} {s.name}"), action=Action(Act.OPEN_SEARCH, s.id))
        for s in shown
    ]
    return screen([Bold(title), f"\n{lines}\n\nTap one to manage it."], buttons)


def _icon(search: SearchView) -> str:
    return "▶" if search.status is SearchStatus.ACTIVE else "⏸"


def search_card(search: SearchView, now: datetime, note: str = "") -> Reply:
    details = "\n".join(
        [
            f"Keywords: {search.criteria.get('keywords', '')}",
            f"Marketplaces: {', '.join(search.marketplaces)}",
            f"Alerts to: {', '.join(search.channels)}",
        ]
    )
    text = clip(search_line(search, now), 1500) + "\n" + clip(details, 1500)
    toggle = (
        Button("⏸ Pause", action=Action(Act.PAUSE, search.id), row=0)
        if search.status is SearchStatus.ACTIVE
        else Button("▶ Resume", action=Action(Act.RESUME, search.id), row=0)
    )
    buttons = [
        toggle,
        Button("✏ Edit", action=Action(Act.EDIT, search.id), row=0),
        Button("🗑 Delete", action=Action(Act.DELETE, search.id), row=1),
        Button("« All searches", action=Action(Act.SEARCHES), row=2),
    ]
    return screen([f"{note}\n\n{text}" if note else text], buttons)


def delete_question(search: SearchView) -> Reply:
    return screen(
        [f"Delete #{search.id} {search.name}? Its saved listings go with it."],
        [
            Button("Yes, delete it", action=Action(Act.DELETE_YES, search.id), row=0),
            Button("No, keep it", action=Action(Act.OPEN_SEARCH, search.id), row=0),
        ],
    )


def deleted(search_id: int) -> Reply:
    return screen(
        [f"🗑 Deleted #{search_id}."], [Button("« All searches", action=Action(Act.SEARCHES))]
    )


def saved_page(page: Page, now: datetime) -> Reply:
    if not page.total:
        return screen(["Nothing saved yet. Press ⭐ Save on an alert to keep it here."], [])
    spans: list[Span] = [Bold("Saved listings"), f" (page {page.page} of {page.pages})"]
    for item in page.items:
        listing = item.listing
        title = clip(listing.title, 300)
        safe = listing.url.startswith(("https://", "http://"))
        where = " · ".join(
            p for p in (listing.location, listing.marketplace, item.search_name) if p
        )
        price = price_text(listing.price, listing.currency)
        # resellers (issue 14): sold / ended / gone, or a price rise
        note = saved_note(str(listing.state), listing.price_history, listing.currency)
        spans += ["\n\n⭐ ", Link(title, listing.url, bold=True) if safe else Bold(title)]
        spans.append(f"\n{price} · {clip(where, 300)}" + (f"\n{note}" if note else ""))
    nav = []
    if page.page > 1:
        nav.append(Button("◀ Newer", action=Action(Act.SAVED_PAGE, page.page - 1), row=0))
    if page.page < page.pages:
        nav.append(Button("Older ▶", action=Action(Act.SAVED_PAGE, page.page + 1), row=0))
    return screen(spans, nav)


_PRIVATE_TEXT = {
    "saved": "Saved listings are personal, so I show them in a private chat with you.",
    "stats": "Your numbers are personal, so I show them in a private chat with you.",
}


def private_link(view: str, url: str) -> Reply:
    """A button that opens a private chat with the bot at ``view``: a bot cannot write first
    to someone who never started it, so the user opens the chat."""
    return screen([_PRIVATE_TEXT[view]], [Button("Open a private chat", url=url)])


def template_categories(categories: list[str]) -> Reply:
    if not categories:
        return screen(["No templates are available yet."], [])
    buttons = [
        Button(_label(name), action=Action(Act.TEMPLATE_CATEGORY, i), row=i // 2)
        for i, name in enumerate(categories)
    ]
    return screen(
        [Bold("Ready-made searches"), "\nPick a category; one tap starts a search you can adjust."],
        buttons,
    )


def template_list(category: str, found: Sequence[TemplateView]) -> Reply:
    spans: list[Span] = [Bold(category)]
    for t in found:
        spans += ["\n⭐ " if t.featured else "\n", Bold(t.name), f" — {clip(t.description, 300)}"]
    buttons = [
        Button(_label(f"Use: {t.name}"), action=Action(Act.USE_TEMPLATE, t.id)) for t in found
    ]
    buttons.append(Button("« Categories", action=Action(Act.TEMPLATES)))
    return screen(spans, buttons)
