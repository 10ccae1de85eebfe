"""How prices, ages and intervals read in every front-end (plain text; each adapter escapes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

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
