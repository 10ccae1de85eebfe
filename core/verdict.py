"""Is it a deal? (issue 16) The usual asking price of an item and the verdict on one listing.

Pure rules, no database (the samples are kept by ``core.prices``; docs/prices.md explains
the whole and its limits):

* An *item* is what a search looks for on one marketplace site: its keywords normalised
  (``core.matching``'s canonical expression), the marketplace and its own site fields
  (Craigslist's city), the condition asked for, and the currency prices are compared in.
  Price filters, place and radius are not part of it: every search of the same thing shares
  one estimate, so a search capped at £200 does not call every bargain "usual".
* A listing *counts* towards the usual price only when it is comparable: a fixed price (an
  auction's current bid is not a price), not free, and no accessory, parts or faulty words in
  its title (``DEFAULT_ACCESSORY_WORDS`` plus the search's own). Reposts are one sample:
  the sample is keyed on seller + normalised title.
* The estimate is the median and the quartiles of the samples after prices far from the
  bulk are dropped (beyond 4x the median either way, then Tukey's fences at 1.5 IQR).
* A verdict is given only when the estimate rests on ``MIN_LISTINGS`` listings and its
  spread (IQR) is at most ``MAX_SPREAD`` of the median; and only on a comparable listing.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from core.matching import KeywordQuery, normalise, parse_keywords

if TYPE_CHECKING:
    from core.criteria import Criteria
    from core.ports import ListingData

WINDOW_DAYS = 30
MIN_LISTINGS = 10
MAX_SPREAD = 0.6  # IQR over the median: wider than this, the query mixes different things
ABOUT_PERCENT = 10  # within ±10 % of the median is "about the usual price"
GROSS_FACTOR = 4.0  # a price 4x off the median is another thing (a case, a job lot)
TUKEY = 1.5
# A listing priced under 30 % (or over 3x) of the usual price is more likely a part, a
# swap, a "wanted" ad or a typo than a deal on the item: it gets no verdict.
IMPLAUSIBLE_LOW = Decimal("0.3")
IMPLAUSIBLE_HIGH = Decimal("3")

# Words in a title that say the listing is not the item itself, or not a working one. The
# search's own accessory words (templates carry theirs) are added to these.
DEFAULT_ACCESSORY_WORDS: tuple[str, ...] = (
    "box only",
    "empty box",
    "for parts",
    "parts only",
    "spares",
    "spares or repair",
    "faulty",
    "broken",
    "cracked",
    "not working",
    "untested",
    "job lot",
    "joblot",
    "wanted",
)


class VerdictKind(StrEnum):
    UNDER = "under"
    ABOUT = "about"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Item:
    """What an estimate is about; ``digest`` names it in the database."""

    marketplace: str
    keywords: str  # canonical expression
    site: str  # the marketplace's own fields, "k=v;…"
    condition: str
    currency: str

    @property
    def digest(self) -> str:
        text = json.dumps(
            [self.marketplace, self.keywords, self.site, self.condition, self.currency]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:40]


MAX_ITEMS_PER_SEARCH = 64  # alternatives multiply: "a OR b" "c OR d" is four items


def item_for(
    criteria: Criteria, marketplace: str, listing: ListingData | None = None
) -> Item | None:
    """The item a search looks for on ``marketplace``; None for a search of everything some
    sellers list (no keywords: no one item to price).

    A search with alternatives (``iphone "13" OR "14"``) looks for several things: a listing
    belongs to the item its title and description name (``iphone 14``), the same item a
    plain search of those words has.
    """
    if not criteria.keywords.strip():
        return None
    query = parse_keywords(criteria.keywords)
    if listing is not None and any(len(group) > 1 for group in query.groups):
        haystack = _padded(f"{listing.title} {listing.description}")
        chosen = tuple(
            (next((p for p in group if f" {' '.join(p)} " in haystack), group[0]),)
            for group in query.groups
        )
        query = KeywordQuery(groups=chosen)
    return _item(criteria, marketplace, query.to_expression())


def items_for(criteria: Criteria, marketplace: str) -> list[Item]:
    """Every item a search looks for (one per combination of its alternatives, at most
    ``MAX_ITEMS_PER_SEARCH``): what /prices of a search chooses from."""
    if not criteria.keywords.strip():
        return []
    groups = parse_keywords(criteria.keywords).groups
    combos = itertools.islice(itertools.product(*groups), MAX_ITEMS_PER_SEARCH)
    return [
        _item(
            criteria, marketplace, KeywordQuery(groups=tuple((p,) for p in combo)).to_expression()
        )
        for combo in combos
    ]


def _item(criteria: Criteria, marketplace: str, keywords: str) -> Item:
    site = ";".join(f"{k}={v}" for k, v in criteria.extras_for(marketplace))
    return Item(
        marketplace, keywords, site, criteria.condition.value, criteria.currency.strip().upper()
    )


def keywords_text(words: str) -> str:
    """Typed words as an item's canonical keywords ('' when none)."""
    try:
        return parse_keywords(words).to_expression()
    except ValueError:
        return ""


def _padded(text: str) -> str:
    return f" {' '.join(normalise(text))} "


# "iPhone 13 with case", "MacBook Air + charger": the accessory comes with the item.
_COMES_WITH = frozenset({"with", "and", "inc", "incl", "including", "plus", "w", "includes"})


def accessory_word(title: str, words: Iterable[str]) -> str | None:
    """The first accessory word or phrase found in ``title`` (whole words), else None. A
    word right after "with", "and", "including"… is something the item comes with."""
    tokens = normalise(title)
    haystack = f" {' '.join(tokens)} "
    for word in words:
        needle = _padded(word)
        if not needle.strip():
            continue
        at = haystack.find(needle)
        while at >= 0:
            before = haystack[:at].split()
            if not before or before[-1] not in _COMES_WITH:
                return word
            at = haystack.find(needle, at + 1)
    return None


# Words that make another model of the same name: "iphone 13" matches "iPhone 13 Pro Max",
# which sells for half as much again. A title with one the keywords do not have is another
# model: it neither counts towards this item's usual price nor gets a verdict.
VARIANT_WORDS = frozenset({"pro", "max", "mini", "plus", "ultra", "lite", "xl"})


def accessory_words(criteria: Criteria) -> tuple[str, ...]:
    return (*DEFAULT_ACCESSORY_WORDS, *criteria.accessory_words)


def other_model(title: str, keywords: str) -> str | None:
    """A variant word in ``title`` that the keywords do not ask for, else None."""
    wanted = set(normalise(keywords))
    extra = (set(normalise(title)) & VARIANT_WORDS) - wanted
    return min(extra) if extra else None


def not_comparable(listing: ListingData, words: Iterable[str], keywords: str = "") -> str | None:
    """Why ``listing`` says nothing about the usual price of the item (None: it does)."""
    if listing.is_auction:
        return "auction"
    if listing.price is None or listing.price <= 0:
        return "free"
    word = accessory_word(listing.title, words)
    if word:
        return f"accessory word {word!r}"
    variant = other_model(listing.title, keywords) if keywords else None
    return f"another model ({variant!r})" if variant else None


@dataclass(frozen=True, slots=True)
class Estimate:
    usual: Decimal  # the median
    low: Decimal  # first quartile
    high: Decimal  # third quartile
    listings: int  # how many prices it rests on (after outliers went)
    dropped: int  # prices left out as outliers

    @property
    def spread(self) -> float:
        return float(self.high - self.low) / float(self.usual) if self.usual else float("inf")

    @property
    def enough(self) -> bool:
        """Enough listings and a spread narrow enough to mean something."""
        return self.listings >= MIN_LISTINGS and self.spread <= MAX_SPREAD


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def estimate(prices: Sequence[Decimal]) -> Estimate | None:
    """The usual price of ``prices`` (one currency), outliers left out; None when empty."""
    values = sorted(float(p) for p in prices if p > 0)
    if not values:
        return None
    middle = statistics.median(values)
    kept = [v for v in values if middle / GROSS_FACTOR <= v <= middle * GROSS_FACTOR]
    q1, _, q3 = _quartiles(kept)
    fence = TUKEY * (q3 - q1)
    kept = [v for v in kept if q1 - fence <= v <= q3 + fence]
    q1, median, q3 = _quartiles(kept)
    return Estimate(_money(median), _money(q1), _money(q3), len(kept), len(values) - len(kept))


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class PriceVerdict:
    """How one listing's price compares with the usual price of its item (issue 16)."""

    kind: VerdictKind
    price: Decimal  # the listing's price in ``currency``
    usual: Decimal
    low: Decimal
    high: Decimal
    percent: int  # signed: -24 is 24 % under the usual
    listings: int
    days: int
    currency: str

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("price", "usual", "low", "high"):
            data[key] = str(data[key])
        data["kind"] = self.kind.value
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> PriceVerdict | None:
        if not text:
            return None
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(
                kind=VerdictKind(data["kind"]),
                price=Decimal(data["price"]),
                usual=Decimal(data["usual"]),
                low=Decimal(data["low"]),
                high=Decimal(data["high"]),
                percent=int(data["percent"]),
                listings=int(data["listings"]),
                days=int(data["days"]),
                currency=str(data["currency"]),
            )
        except (KeyError, ValueError, TypeError, ArithmeticError):
            return None  # an unreadable verdict is left out, never a failed alert


def judge(price: Decimal, found: Estimate | None, currency: str) -> PriceVerdict | None:
    """The verdict on ``price`` (in the estimate's currency), or None when the estimate is
    too thin or too wide to say anything."""
    if found is None or not found.enough or price <= 0:
        return None
    if not IMPLAUSIBLE_LOW * found.usual <= price <= IMPLAUSIBLE_HIGH * found.usual:
        return None
    ratio = (price - found.usual) / found.usual * 100
    percent = int(ratio.to_integral_value(rounding=ROUND_HALF_UP))
    if percent <= -ABOUT_PERCENT:
        kind = VerdictKind.UNDER
    elif percent >= ABOUT_PERCENT:
        kind = VerdictKind.ABOVE
    else:
        kind = VerdictKind.ABOUT
    return PriceVerdict(
        kind,
        price,
        found.usual,
        found.low,
        found.high,
        percent,
        found.listings,
        WINDOW_DAYS,
        currency,
    )


def deal_enough(verdict: PriceVerdict | None, percent: int) -> bool:
    """A deals-only search's test: at least ``percent`` % under the usual price."""
    return verdict is not None and -verdict.percent >= percent


__all__ = [
    "DEFAULT_ACCESSORY_WORDS",
    "MIN_LISTINGS",
    "WINDOW_DAYS",
    "Estimate",
    "Item",
    "PriceVerdict",
    "VerdictKind",
    "accessory_word",
    "accessory_words",
    "deal_enough",
    "estimate",
    "item_for",
    "items_for",
    "judge",
    "keywords_text",
    "not_comparable",
]
