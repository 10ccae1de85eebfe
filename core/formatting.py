"""How prices, ages and intervals read in every front-end (plain text; each adapter escapes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from core.ports import ListingData

CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€"}


def price_text(price: Decimal | None, currency: str) -> str:
    """'£149.00', '$20.50', 'CAD 12.00'; 'Free' at 0; 'no price' when unknown."""
    if price is None:
        return "no price"
    if price == 0:
        return "Free"
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    return f"{symbol}{price:,.2f}" if symbol else f"{currency.upper()} {price:,.2f}"


def age_text(posted_at: datetime | None, now: datetime) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'; '' when unknown."""
    if posted_at is None:
        return ""
    seconds = max(0, int((now - posted_at).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    return "1 day ago" if days == 1 else f"{days} days ago"


def listing_lines(listing: ListingData, now: datetime) -> list[str]:
    """A listing in three lines: title; price · place · marketplace · age; link."""
    where = " · ".join(
        part
        for part in (listing.location, listing.marketplace, age_text(listing.posted_at, now))
        if part
    )
    return [listing.title, f"{price_text(listing.price, listing.currency)} · {where}", listing.url]


def preview_text(search_id: int, name: str, preview: Sequence[ListingData], now: datetime) -> str:
    """What a new (or changed) search's first check found: shown once, never alerted."""
    head = f"🔎 #{search_id} {name}: first check done."
    if not preview:
        return f"{head} Nothing matches right now; you'll hear from me when something does."
    blocks = ["\n".join("   " + line for line in listing_lines(item, now)) for item in preview]
    return f"{head} Newest listings already there (no alerts for these):\n" + "\n".join(blocks)
