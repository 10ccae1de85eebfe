"""How prices, ages and intervals read in every front-end (plain text; each adapter escapes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from core.currency import ConvertedPrice
from core.enums import BuyingFormat
from core.ports import ListingData
from core.verdict import PriceVerdict, VerdictKind

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


def listing_lines(
    listing: ListingData, now: datetime, converted: ConvertedPrice | None = None
) -> list[str]:
    """A listing in three lines (four for an auction): title; price (≈ the search's
    currency when it differs) with postage · place · marketplace · age; the auction's bid,
    bids and end; link."""
    where = " · ".join(
        part
        for part in (listing.location, listing.marketplace, age_text(listing.posted_at, now))
        if part
    )
    auction = auction_text(listing, now)
    price = listing_price_text(listing, converted)
    extra = postage_text(listing) if listing.price is not None else ""
    if extra:
        price = f"{price} {extra}" if extra.startswith("+") else f"{price} · {extra}"
    return [listing.title, f"{price} · {where}", *([auction] if auction else []), listing.url]


def preview_text(search_id: int, name: str, preview: Sequence[ListingData], now: datetime) -> str:
    """What a new (or changed) search's first check found: shown once, never alerted."""
    head = f"🔎 #{search_id} {name}: first check done."
    if not preview:
        return f"{head} Nothing matches right now; you'll hear from me when something does."
    blocks = ["\n".join("   " + line for line in listing_lines(item, now)) for item in preview]
    return f"{head} Newest listings already there (no alerts for these):\n" + "\n".join(blocks)


def whole_price_text(price: Decimal, currency: str) -> str:
    """'£275', 'CHF 1,200': a price rounded to whole units (verdicts, charts)."""
    return f"{currency_symbol(currency)}{price:,.0f}"


def verdict_text(verdict: PriceVerdict | None) -> str:
    """'£210 · 24 % under the usual £275 (48 listings, 30 days)', or '' without a verdict
    (issue 16: core.verdict)."""
    if verdict is None:
        return ""
    price = whole_price_text(verdict.price, verdict.currency)
    usual = whole_price_text(verdict.usual, verdict.currency)
    basis = f"({verdict.listings} listings, {verdict.days} days)"
    if verdict.kind is VerdictKind.UNDER:
        return f"{price} · {-verdict.percent} % under the usual {usual} {basis}"
    if verdict.kind is VerdictKind.ABOVE:
        return f"{price} · {verdict.percent} % above the usual {usual} {basis}"
    return f"{price} · about the usual price ({usual}, {basis[1:]}"
