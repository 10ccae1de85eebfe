"""How prices, ages and intervals read in every front-end (plain text; each adapter escapes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from core.enums import BuyingFormat
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


def postage_text(listing: ListingData) -> str:
    """'+ £4.50 postage', '+ free postage', 'collection only', '' (not given)."""
    if listing.collection_only:
        return "collection only"
    if listing.postage is None:
        return ""
    if listing.postage == 0:
        return "+ free postage"
    return f"+ {price_text(listing.postage, listing.currency)} postage"


def price_with_postage(price: Decimal | None, listing: ListingData) -> str:
    """'£210.00 + £4.50 postage', '£80.00 · collection only', or the price alone."""
    shown = price_text(price, listing.currency)
    extra = postage_text(listing)
    if not extra or price is None:
        return shown
    return f"{shown} {extra}" if extra.startswith("+") else f"{shown} · {extra}"


# What /saved says of a listing that is no longer there (issue 14; core.saved_state).
STATE_MARKS = {"sold": "🔴 sold", "ended": "⚫ ended", "gone": "⚪ gone"}


def saved_note(state: str, price_history: Sequence[Sequence[str]], currency: str) -> str:
    """'🔴 sold', or '↑ up from £200.00' when the price last rose; '' otherwise."""
    if state in STATE_MARKS:
        return STATE_MARKS[state]
    if len(price_history) >= 2:
        try:
            before, now = Decimal(price_history[-2][1]), Decimal(price_history[-1][1])
        except (ArithmeticError, IndexError, ValueError):
            return ""
        if now > before:
            return f"↑ up from {price_text(before, currency)}"
    return ""


def until_text(moment: datetime, now: datetime) -> str:
    """'in 3 h 20 min (06 May 19:30 UTC)'; 'ended' once past."""
    seconds = int((moment - now).total_seconds())
    when = f"{moment.astimezone(UTC):%d %b %H:%M} UTC"
    if seconds <= 0:
        return f"ended ({when})"
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 48:
        left = f"{hours // 24} days"
    elif hours:
        left = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    else:
        left = f"{max(1, minutes)} min"
    return f"in {left} ({when})"


def auction_text(listing: ListingData, now: datetime | None) -> str:
    """'Auction · current bid £152.00 · 7 bids · ends in 3 h (06 May 19:30 UTC)'; '' for a
    fixed price. An auction with Buy It Now shows its bid beside the Buy It Now price.
    Without ``now`` (an email, read later) the end is the date alone: 'ends 06 May 19:30 UTC'."""
    if listing.buying_format is BuyingFormat.BUY_IT_NOW:
        return ""
    bid = listing.current_bid
    if bid is None and listing.buying_format is BuyingFormat.AUCTION:
        bid = listing.price
    parts = [
        "Auction" if listing.buying_format is BuyingFormat.AUCTION else "Auction or Buy It Now"
    ]
    if bid is not None:
        parts.append(f"current bid {price_text(bid, listing.currency)}")
    if listing.bid_count is not None:
        parts.append(f"{listing.bid_count} bid{'' if listing.bid_count == 1 else 's'}")
    if listing.ends_at is not None:
        if now is None:
            parts.append(f"ends {listing.ends_at.astimezone(UTC):%d %b %H:%M} UTC")
        else:
            parts.append(f"ends {until_text(listing.ends_at, now)}")
    return " · ".join(parts)


def listing_lines(listing: ListingData, now: datetime) -> list[str]:
    """A listing in three lines (four for an auction): title; price with postage · place ·
    marketplace · age; the auction's bid, bids and end; link."""
    where = " · ".join(
        part
        for part in (listing.location, listing.marketplace, age_text(listing.posted_at, now))
        if part
    )
    auction = auction_text(listing, now)
    price = price_with_postage(listing.price, listing)
    return [listing.title, f"{price} · {where}", *([auction] if auction else []), listing.url]


def preview_text(search_id: int, name: str, preview: Sequence[ListingData], now: datetime) -> str:
    """What a new (or changed) search's first check found: shown once, never alerted."""
    head = f"🔎 #{search_id} {name}: first check done."
    if not preview:
        return f"{head} Nothing matches right now; you'll hear from me when something does."
    blocks = ["\n".join("   " + line for line in listing_lines(item, now)) for item in preview]
    return f"{head} Newest listings already there (no alerts for these):\n" + "\n".join(blocks)
