"""The listing the sandbox posts for a newly saved search: a catalogue item that matches it.

Every candidate is a title the generator could write (a catalogue model with its variants and
extras) at a price typical for that model; core's own matcher (``core.matching.matches``, what
the runner applies to fetched listings) decides whether it satisfies the search. Nothing is
made from the search's words, so a search the catalogue cannot satisfy gets nothing.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

from core.criteria import Criteria
from core.enums import Condition
from core.matching import matches
from core.ports import ListingData
from scrapers.sandbox.catalogue import (
    CATEGORIES,
    TOWNS,
    Category,
    Model,
    category_by_key,
    find_town,
    towns_within,
)
from scrapers.sandbox.generator import compose_title, describe, seller_name, tidy_price

__all__ = ["Pick", "pick_listing"]

_PENNY = Decimal("0.01")
# A deal is what a search hunts for: a price down to 80% of the model's usual low is believable.
_BARGAIN = Decimal("0.8")
_NEW_MARKUP = Decimal("1.15")  # the generator prices new items the same way


@dataclass(frozen=True, slots=True)
class Pick:
    """A listing to post: every field the sandbox's ``add`` needs but the time."""

    title: str
    description: str
    price: Decimal
    category: str
    condition: Condition
    location: str
    seller: str


def pick_listing(criteria: Criteria, rng: random.Random, now: datetime) -> Pick | None:
    """A catalogue listing that ``criteria`` matches, or None when the catalogue has none."""
    condition = Condition.USED if criteria.condition is Condition.ANY else criteria.condition
    place = _place(criteria, rng)
    for category, model in _models(criteria, rng):
        bounds = _price_bounds(model, condition, criteria)
        if bounds is None:
            continue
        for title in _titles(category, model, rng):
            candidate = Pick(
                title=title,
                description=describe(rng, category, condition, place),
                price=_price_within(rng, *bounds),
                category=category.key,
                condition=condition,
                location=place,
                seller=seller_name(rng),
            )
            if matches(criteria, _as_listing(candidate, now), now):
                return candidate
    return None


def _as_listing(pick: Pick, now: datetime) -> ListingData:
    return ListingData(
        marketplace="sandbox",
        external_id="candidate",
        url="",
        title=pick.title,
        price=pick.price,
        description=pick.description,
        location=pick.location,
        seller=pick.seller,
        condition=pick.condition,
        category=pick.category,
        posted_at=now,
    )


def _models(criteria: Criteria, rng: random.Random) -> list[tuple[Category, Model]]:
    """Every model of the search's category (every category when it names none), shuffled so
    two searches alike do not always get the same item."""
    if criteria.category.strip():
        known = category_by_key(criteria.category.strip().casefold())
        categories: tuple[Category, ...] = (known,) if known else ()
    else:
        categories = CATEGORIES
    found = [(category, model) for category in categories for model in category.models]
    rng.shuffle(found)
    return found


def _titles(category: Category, model: Model, rng: random.Random) -> Iterator[str]:
    """Every title the generator could write for ``model``, in a random order."""
    groups = model.variants or category.variants
    combos = list(itertools.product(("", *model.aliases), *groups, category.extras))
    rng.shuffle(combos)
    for alias, *rest in combos:
        yield compose_title(model, rest[:-1], rest[-1], alias)


def _price_bounds(
    model: Model, condition: Condition, criteria: Criteria
) -> tuple[Decimal, Decimal] | None:
    """The model's believable price range cut to the search's, or None when they miss."""
    markup = _NEW_MARKUP if condition is Condition.NEW else Decimal(1)
    low = Decimal(model.low) * _BARGAIN * markup
    high = Decimal(model.high) * markup
    if criteria.min_price is not None:
        low = max(low, criteria.min_price)
    if criteria.max_price is not None:
        high = min(high, criteria.max_price)
    # Whole pennies inside the bounds: a listing's price is in pence.
    low, high = low.quantize(_PENNY, ROUND_UP), high.quantize(_PENNY, ROUND_DOWN)
    return (low, high) if low <= high else None


def _price_within(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    """A seller's round price between the bounds, or the exact amount when rounding leaves."""
    exact = Decimal(rng.uniform(float(low), float(high))).quantize(_PENNY, ROUND_HALF_UP)
    exact = min(max(exact, low), high)
    tidy = tidy_price(float(exact))
    return tidy if low <= tidy <= high else exact


def _place(criteria: Criteria, rng: random.Random) -> str:
    """A town the search covers: within its radius of a town the sandbox has on its map;
    a place it has no map of is taken as written (the sandbox does not filter by it)."""
    centre = find_town(criteria.location)
    if centre is None:
        written = " ".join(criteria.location.split())
        return written.title() if written else rng.choice(TOWNS).name
    return rng.choice(sorted(towns_within(centre, float(criteria.radius_miles or 0))))
