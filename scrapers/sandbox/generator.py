"""Seeded, deterministic listings that appear over time, plus ones added through the API.

Listing ``n`` depends only on the seed and ``n``: the same seed gives the same listings however
often (or rarely) the generator is advanced. Price drops draw from their own random stream so
they never shift the generated sequence.
"""

from __future__ import annotations

import itertools
import logging
import math
import random
from bisect import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from core.enums import Condition
from scrapers.sandbox.catalogue import (
    CATEGORIES,
    SELLER_FIRST_NAMES,
    SELLER_SHOPS,
    TOWNS,
    Category,
    Model,
    Town,
)
from scrapers.sandbox.index import ListingIndex
from scrapers.sandbox.listing import SandboxListing

__all__ = ["ListingGenerator", "compose_title", "describe", "seller_name", "tidy_price"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_PENNY = Decimal("0.01")
_NEW_SHARE = 0.2
_RECENT_FOR_DROPS = 200  # price drops hit recent listings, the ones searches still show
_USED_OPENINGS = (
    "Used but well looked after.",
    "A few light marks from normal use, nothing major.",
    "Barely used, selling as no longer needed.",
    "In good working order, some signs of wear.",
    "Excellent condition throughout.",
)
_NEW_OPENINGS = (
    "Brand new, never opened.",
    "New and unused, unwanted gift.",
    "New with tags, still in the packaging.",
)
_CLOSINGS = (
    "Collection from {town} or can post.",
    "Cash on collection in {town} please.",
    "Can meet near {town} centre.",
    "Postage available at the buyer's cost.",
    "No time wasters please.",
)
_COLOURS = ("black", "navy", "olive", "grey", "cream")


def tidy_price(value: float) -> Decimal:
    """Prices as sellers write them: whole pounds, 50p steps when cheap, the odd £x.99."""
    if value < 20:
        return (Decimal(round(value * 2)) / 2).quantize(_PENNY)
    pounds = round(value)
    price = Decimal(pounds)
    return (price - _PENNY if pounds % 7 == 0 else price).quantize(_PENNY)


def _pick(rng: random.Random, options: Sequence[T]) -> T:
    """``rng.choice`` at a third of the cost: generation is the sandbox's start-up time."""
    return options[int(rng.random() * len(options))]


def seller_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.12:
        return _pick(rng, SELLER_SHOPS)
    first = _pick(rng, SELLER_FIRST_NAMES)
    if roll < 0.6:
        return f"{first} {_pick(rng, 'ABCDEFGHJKLMNPRSTW')}."
    return f"{first.lower()}_{1 + int(rng.random() * 99)}"


def compose_title(model: Model, variants: Sequence[str], extra: str, alias: str = "") -> str:
    """A title as sellers write them: "Brand Model (alias) variants – extra"."""
    parts = [model.brand, model.name, f"({alias})" if alias else "", *variants]
    return f"{' '.join(p for p in parts if p)} – {extra}"


def _title(rng: random.Random, category: Category, model: Model) -> str:
    alias = ""
    if model.aliases and rng.random() < 0.5:
        alias = _pick(rng, model.aliases)
    variants = [_pick(rng, group) for group in model.variants or category.variants]
    return compose_title(model, variants, _pick(rng, category.extras), alias)


def describe(rng: random.Random, category: Category, condition: Condition, town: str) -> str:
    opening = _pick(rng, _NEW_OPENINGS if condition is Condition.NEW else _USED_OPENINGS)
    bits = rng.getrandbits(32)  # one draw feeds every placeholder a template may use
    detail = _pick(rng, category.details).format(
        pct=82 + bits % 19,
        colour=_COLOURS[(bits >> 5) % len(_COLOURS)],
        year=2018 + (bits >> 8) % 6,
        cycles=12 + (bits >> 11) % 229,
        months=1 + (bits >> 19) % 6,
        shutter=f"{2 + (bits >> 22) % 39},000",
    )
    return f"{opening} {detail} {_pick(rng, _CLOSINGS).format(town=town)}"


class ListingGenerator:
    """Listings over simulated time.

    At ``now`` there are ``initial_stock + floor(listings_per_minute × minutes since start)``
    generated listings (the stock is back-dated over ``stock_span`` before ``start``), plus
    whatever was added. They are made lazily by :meth:`advance_to` and kept in
    :attr:`index` (``listings`` is oldest first, newest last).
    """

    def __init__(
        self,
        seed: int,
        start: datetime,
        listings_per_minute: float,
        *,
        initial_stock: int = 500,
        price_drop_rate: float = 0.02,
        stock_span: timedelta = timedelta(days=3),
    ) -> None:
        self.start = start
        self.listings_per_minute = max(0.0, listings_per_minute)
        self.initial_stock = max(0, initial_stock)
        self.price_drop_rate = price_drop_rate
        self.index = ListingIndex()
        self._stock_step = stock_span / max(1, self.initial_stock)
        self._rng = random.Random(seed)
        self._drop_rng = random.Random(f"{seed}:price-drops")
        self._town_weights = list(itertools.accumulate(t.weight for t in TOWNS))
        self._generated = 0

    @property
    def listings(self) -> list[SandboxListing]:
        return self.index.listings

    def get(self, listing_id: str) -> SandboxListing | None:
        return self.index.get(listing_id)

    def due_count(self, now: datetime) -> int:
        """How many generated listings exist at ``now``."""
        minutes = max(0.0, (now - self.start).total_seconds() / 60)
        return self.initial_stock + math.floor(self.listings_per_minute * minutes)

    def advance_to(self, now: datetime) -> int:
        """Generate every listing due by ``now``; returns how many were added."""
        due = self.due_count(now)
        added = due - self._generated
        while self._generated < due:
            self._generate_next()
        return max(0, added)

    def add(
        self,
        *,
        title: str,
        price: Decimal,
        now: datetime,
        description: str = "",
        category: str = "",
        condition: Condition = Condition.USED,
        location: str = "",
        seller: str = "",
        currency: str = "GBP",
    ) -> SandboxListing:
        """List something now (after everything already due, so the order stays by time)."""
        self.advance_to(now)
        listing = SandboxListing(
            id=self._next_id(),
            title=title,
            description=description,
            price=price,
            location=location,
            seller=seller,
            condition=condition,
            category=category,
            posted_at=now,
            currency=currency,
        )
        self.index.add(listing)
        return listing

    def change_price(self, listing_id: str, price: Decimal) -> SandboxListing:
        """Set a listing's price; raises ``KeyError`` for an unknown id."""
        listing = self.index.get(listing_id)
        if listing is None:
            raise KeyError(listing_id)
        listing.price = price
        return listing

    # --- generation -------------------------------------------------------------------

    def _next_id(self) -> str:
        return f"sbx-{len(self.index):06d}"

    def _town(self, rng: random.Random) -> Town:
        return TOWNS[bisect(self._town_weights, rng.random() * self._town_weights[-1])]

    def _posted_at(self, n: int) -> datetime:
        if n < self.initial_stock:
            return self.start - self._stock_step * (self.initial_stock - n)
        return self.start + timedelta(
            minutes=(n - self.initial_stock + 1) / self.listings_per_minute
        )

    def _generate_next(self) -> None:
        n = self._generated
        self._generated += 1
        self.index.add(self._make(n))
        if n >= self.initial_stock:
            self._maybe_drop_price()

    def _make(self, n: int) -> SandboxListing:
        rng = self._rng
        category = _pick(rng, CATEGORIES)
        model = _pick(rng, category.models)
        condition = Condition.NEW if rng.random() < _NEW_SHARE else Condition.USED
        town = self._town(rng)
        factor = 1.15 if condition is Condition.NEW else 1.0
        return SandboxListing(
            id=self._next_id(),
            title=_title(rng, category, model),
            description=describe(rng, category, condition, town.name),
            price=tidy_price(rng.uniform(model.low, model.high) * factor),
            location=town.name,
            seller=seller_name(rng),
            condition=condition,
            category=category.key,
            posted_at=self._posted_at(n),
        )

    def _maybe_drop_price(self) -> None:
        rng = self._drop_rng
        count = len(self.index)
        if count < 2 or rng.random() >= self.price_drop_rate:
            return
        listing = self.listings[rng.randrange(max(0, count - 1 - _RECENT_FOR_DROPS), count - 1)]
        lower = tidy_price(float(listing.price) * (1 - rng.uniform(0.05, 0.25)))
        if Decimal(0) < lower < listing.price:
            logger.debug("price drop: %s %s -> %s", listing.id, listing.price, lower)
            listing.price = lower
