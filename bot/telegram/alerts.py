"""How an alert looks in Telegram: an HTML caption (or message) and its buttons."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.actions import Act, Action
from bot.telegram.markup import escape, escape_fit, tg_len
from core.enums import AlertKind, MatchStatus
from core.formatting import (
    age_text,
    auction_text,
    converted_text,
    price_text,
    price_with_postage,
    verdict_text,
)
from core.ports import AlertMessage, ListingData

MIN_TITLE = 40


def _head(alert: AlertMessage) -> str:
    listing = alert.listing
    name = escape(alert.search_name)
    if alert.kind is AlertKind.PRICE_DROP:
        old = escape(price_text(alert.old_price, listing.currency))
        new = escape(price_with_postage(listing.price, listing))
        return f"📉 <b>Price drop</b> · {name}\n<s>{old}</s> → <b>{new}</b>{_deal(alert)}"
    price = f"<b>{escape(price_with_postage(listing.price, listing))}</b>"
    if alert.converted is not None and listing.price:  # ≈ the search's currency
        price += f" {escape(converted_text(alert.converted))}"
    if alert.kind is AlertKind.REPOST:  # resellers (issue 14)
        return f"🔁 <b>Repost</b> (listed again) · {name}\n💷 {price}{_deal(alert)}"
    return f"🆕 <b>New match</b> · {name}\n💷 {price}{_deal(alert)}"


def _deal(alert: AlertMessage) -> str:
    """Is it a deal? (issue 16): the verdict on a line of its own, '' without one."""
    text = verdict_text(alert.verdict)
    return f"\n🏷 {escape(text)}" if text else ""


def _where(listing: ListingData, now: datetime) -> str:
    parts = (listing.location, listing.marketplace, age_text(listing.posted_at, now))
    where = "📍 " + " · ".join(escape(p) for p in parts if p)
    auction = auction_text(listing, now)  # resellers (issue 14): bid, bids, end
    return f"{where}\n🔨 {escape(auction)}" if auction else where


def alert_html(alert: AlertMessage, now: datetime, limit: int) -> str:
    """Search name, price (old → new for a drop), title, place, marketplace, age; ≤ ``limit``."""
    head = _head(alert)
    where = _where(alert.listing, now)
    if tg_len(head) + tg_len(where) + MIN_TITLE > limit:
        # Only absurdly long search names or places get here: cut them as plain text.
        head = escape_fit(alert.search_name, limit // 3)
        where = escape_fit(alert.listing.location, limit // 3)
    budget = limit - tg_len(head) - tg_len(where) - len("\n<b></b>\n")
    title = escape_fit(alert.listing.title or "(no title)", budget)
    return f"{head}\n<b>{title}</b>\n{where}"


def alert_keyboard(
    match_id: int, url: str, status: MatchStatus, seller: str = "", verdict: bool = False
) -> InlineKeyboardMarkup:
    """Open (a link), Save / Saved ✓ · Unsave, Hide / Hidden · Unhide, and Block seller when
    the listing shows a seller (there is nobody to block otherwise)."""
    url = url if url.startswith(("https://", "http://")) else ""
    if status is MatchStatus.SAVED:
        keep = InlineKeyboardButton(
            "Saved ✓ · Unsave", callback_data=Action(Act.UNSAVE, match_id).encode()
        )
    else:
        keep = InlineKeyboardButton("⭐ Save", callback_data=Action(Act.SAVE, match_id).encode())
    if status is MatchStatus.HIDDEN:
        hide = InlineKeyboardButton(
            "Hidden · Unhide", callback_data=Action(Act.UNHIDE, match_id).encode()
        )
        return InlineKeyboardMarkup([[_open(url)], [hide]] if url else [[hide]])
    hide = InlineKeyboardButton("🙈 Hide", callback_data=Action(Act.HIDE, match_id).encode())
    row = [keep, hide]
    if seller:  # resellers (issue 14): only where the marketplace shows a seller
        block = Action(Act.BLOCK_SELLER, match_id).encode()
        row.append(InlineKeyboardButton("🚫 Block seller", callback_data=block))
    rows = [[_open(url)], row] if url else [row]
    if verdict:  # is it a deal? (issue 16): only on an alert that carries a verdict
        wrong = Action(Act.NOT_A_DEAL, match_id).encode()
        rows.append([InlineKeyboardButton("👎 Not a deal", callback_data=wrong)])
    return InlineKeyboardMarkup(rows)


def _open(url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton("Open ↗", url=url)


def without_links(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    """The same keyboard without URL buttons (for a server that refuses the listing's URL)."""
    rows = [[b for b in row if b.url is None] for row in markup.inline_keyboard]
    return InlineKeyboardMarkup([row for row in rows if row])
