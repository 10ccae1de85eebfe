"""Small text helpers for Gumtree tiles: prices, relative ages, whitespace."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

__all__ = ["clean", "parse_age", "parse_price"]

_SPACES = re.compile(r"\s+")
# "£1,250", "£95pw", "£1.5k", "1,200.50" — the first amount in the text wins.
_AMOUNT = re.compile(r"(?P<num>\d[\d,]*(?:\.\d{1,2})?)\s*(?P<k>[kK]\b)?")
_FREE = ("free",)
_AGE = re.compile(
    r"(?P<n>\d+|an?|one)\s*(?P<unit>sec|second|min|minute|hour|hr|day|week|wk|month)s?\b",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "wk": 7 * 86400,
    "month": 30 * 86400,
}


def clean(text: str | None) -> str:
    """Collapse runs of whitespace (tiles are full of indentation and line breaks)."""
    return _SPACES.sub(" ", text or "").strip()


def parse_price(text: str | None) -> Decimal | None:
    """The asking price in a tile's price text; None when it states none ("Please contact")."""
    value = clean(text).lower()
    if not value:
        return None
    if value.startswith(_FREE):
        return Decimal(0)
    match = _AMOUNT.search(value)
    if match is None:
        return None
    try:
        amount = Decimal(match["num"].replace(",", ""))
    except InvalidOperation:
        return None
    return amount * 1000 if match["k"] else amount


def parse_age(text: str | None, now: datetime) -> datetime | None:
    """When a listing was posted, from "2 mins ago", "1 hour ago", "Just now", "Yesterday"."""
    value = clean(text).lower()
    if not value:
        return None
    if "just now" in value or value in {"now", "today"}:
        return now
    if "yesterday" in value:
        return now - timedelta(days=1)
    match = _AGE.search(value)
    if match is None:
        return None
    count = 1 if match["n"] in {"a", "an", "one"} else int(match["n"])
    return now - timedelta(seconds=count * _UNIT_SECONDS[match["unit"].lower()])
