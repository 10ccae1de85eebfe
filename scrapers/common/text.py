"""Small text helpers for parsing what pages show: prices and whitespace.

Making text safe to store (NUL and other controls, surrogates, bidi controls, NFC, column
lengths) is not done here: core cleans every listing once before storage (``core.text``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["clean_text", "collection_only", "parse_price"]

_NUMBER = re.compile(r"\d[\d,.\s]*")
_SPACES = re.compile(r"\s+")
# Classified ads have no delivery field: the seller writes it ("Collection only", "pick up
# only", "no postage"). "Collection from E8 or can post" is not collection-only.
_COLLECTION_ONLY = re.compile(
    r"\b(?:collection|collect|pick[\s-]?up)\s+only\b|\bno\s+(?:postage|delivery)\b", re.I
)


def collection_only(*texts: str) -> bool:
    """Whether the seller's own words say the item must be collected."""
    return any(_COLLECTION_ONLY.search(t) for t in texts if t)


def clean_text(text: str | None) -> str:
    """Collapse runs of whitespace (pages indent and wrap freely); ``None`` → ``""``."""
    return _SPACES.sub(" ", text or "").strip()


def parse_price(text: str | None) -> Decimal | None:
    """The first amount in a shown price: '£1,250.50' → 1250.50, '$40' → 40.

    ``None`` when there is no amount ('Free' is 0; 'Contact seller', '' are None). Thousands
    separators are commas here (UK/US sites); a trailing '.dd' is the pence/cents.
    """
    if text is None:
        return None
    if text.strip().lower() == "free":
        return Decimal(0)
    found = _NUMBER.search(text)
    if found is None:
        return None
    digits = found.group().replace(",", "").replace(" ", "").rstrip(".")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
