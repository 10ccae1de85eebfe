"""How prices, ages and intervals read in every front-end (plain text; each adapter escapes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from core.currency import ConvertedPrice
from core.ports import ListingData

# Prefixes that cannot be mistaken for another currency's: "$" is the US dollar only.
CURRENCY_SYMBOLS = {
    "GBP": "£",
    "USD": "$",
    "EUR": "€",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "JPY": "¥",
    "INR": "₹",
}


def currency_symbol(currency: str) -> str:
    """'£' for GBP, 'CA$' for CAD; the code and a space for the others ('CHF ')."""
    code = currency.strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def price_text(price: Decimal | None, currency: str) -> str:
    """'£149.00', '$20.50', 'CA$12.00', 'CHF 12.00'; 'Free' at 0; 'no price' when unknown."""
    if price is None:
        return "no price"
    if price == 0:
        return "Free"
    return f"{currency_symbol(currency)}{price:,.2f}"


def range_text(low: Decimal | None, high: Decimal | None, currency: str) -> str:
    """A search's price range: 'any', 'up to $150.00', 'from €100.00', '£100.00 – £250.00'."""
    if low is None and high is None:
        return "any"
    if low is None:
        return f"up to {price_text(high, currency)}"
    if high is None:
        return f"from {price_text(low, currency)}"
    return f"{price_text(low, currency)} – {price_text(high, currency)}"


def converted_text(converted: ConvertedPrice | None) -> str:
    """'≈ £103.20 (ECB rate of 27 Nov 2026)', or '' without a conversion."""
    if converted is None:
        return ""
    day = f"{converted.day.day} {converted.day:%b %Y}"
    return f"≈ {price_text(converted.amount, converted.currency)} (ECB rate of {day})"


def listing_price_text(listing: ListingData, converted: ConvertedPrice | None = None) -> str:
    """The listing's own price first, then ≈ its search's currency when that differs:
    '€120.00 ≈ £103.20 (ECB rate of 27 Nov 2026)'."""
    own = price_text(listing.price, listing.currency)
    extra = converted_text(converted) if listing.price else ""
    return f"{own} {extra}" if extra else own


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


def listing_lines(
    listing: ListingData, now: datetime, converted: ConvertedPrice | None = None
) -> list[str]:
    """A listing in three lines: title; price · place · marketplace · age; link."""
    where = " · ".join(
        part
        for part in (listing.location, listing.marketplace, age_text(listing.posted_at, now))
        if part
    )
    return [listing.title, f"{listing_price_text(listing, converted)} · {where}", listing.url]


def preview_text(search_id: int, name: str, preview: Sequence[ListingData], now: datetime) -> str:
    """What a new (or changed) search's first check found: shown once, never alerted."""
    head = f"🔎 #{search_id} {name}: first check done."
    if not preview:
        return f"{head} Nothing matches right now; you'll hear from me when something does."
    blocks = ["\n".join("   " + line for line in listing_lines(item, now)) for item in preview]
    return f"{head} Newest listings already there (no alerts for these):\n" + "\n".join(blocks)
