"""One sandbox listing as the server keeps it in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.enums import Condition
from core.matching import normalise

__all__ = ["SandboxListing", "listing_tokens"]


def listing_tokens(title: str, description: str) -> frozenset[str]:
    """The words a search can find: core's own tokenizer, so the server's prefilter never
    rejects a listing that core's matching would accept."""
    # The en dash of generated titles would push every listing off normalise's ASCII fast path.
    return frozenset(normalise(f"{title} {description}".replace("–", " ")))


@dataclass(slots=True)
class SandboxListing:
    """Mutable only in ``price`` (price drops); everything else is fixed once listed."""

    id: str
    title: str
    description: str
    price: Decimal
    location: str
    seller: str
    condition: Condition
    category: str
    posted_at: datetime
    currency: str = "GBP"
    tokens: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tokens:
            self.tokens = listing_tokens(self.title, self.description)

    @property
    def price_text(self) -> str:
        """The price for people: "£35.50", or "35.50 EUR" in another currency."""
        if self.currency == "GBP":
            return f"£{self.price}"
        return f"{self.price} {self.currency}"
