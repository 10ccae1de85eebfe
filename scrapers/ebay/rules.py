"""What Browse ``item_summary/search`` returns for a request, as we model it (issue 18).

A category feed reads every new listing of a category once and answers each query it serves
locally: it must pick exactly the listings the query's own request would have returned, or
a search served by a feed would get more or less than when polled. These are the rules the
feed path applies, and the rules the fake Browse API (tests/fakes) answers by:

* ``q``: groups separated by spaces are ANDed; ``(a, b)`` ORs alternatives (a multi-word
  alternative is its words ANDed). A word matches a whole word of the **title** only,
  case- and accent-insensitively (core.matching.normalise), with no stemming or synonyms.
  Assumption: eBay matches ``q`` against titles (descriptions are not searched by Browse);
  where eBay also finds word forms (``iphones`` for ``iphone``) the core matcher drops
  those listings anyway unless the exact word is in the title — only a listing with a word
  form in its title and the exact word only in its description could differ.
* ``category_ids``: the listing's category or one of its ancestors (``categories``).
* ``filter``: ``price:[lo..hi]`` on the price to pay now (Buy It Now, or the current bid of
  an auction-only listing: ListingData.price), ``conditions:{NEW|USED}`` (a listing of
  unknown condition does not pass), ``buyingOptions:{…}``, ``sellers:{…}``.
  ``itemLocationCountry`` and the pickup filters are not modelled: a feed sends the same
  country filter as its queries, and local-pickup searches are never served by feeds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core.enums import BuyingFormat
from core.matching import normalise
from core.ports import ListingData

__all__ = ["BrowseRequest", "parse_q", "q_matches", "title_words"]

Groups = tuple[tuple[frozenset[str], ...], ...]

_Q_PART = re.compile(r"\(([^)]*)\)|([^\s()]+)")
_PRICE = re.compile(r"price:\[([^\]]*)\]")
_SET = re.compile(r"(conditions|buyingOptions|sellers):\{([^}]*)\}")


@lru_cache(maxsize=16384)
def parse_q(q: str) -> Groups:
    """Browse ``q`` as groups ANDed, each a tuple of alternatives (word sets ANDed)."""
    groups: list[tuple[frozenset[str], ...]] = []
    for found in _Q_PART.finditer(q):
        if found[1] is not None:
            alternatives = [frozenset(normalise(alt)) for alt in found[1].split(",")]
            kept = tuple(alt for alt in alternatives if alt)
            if kept:
                groups.append(kept)
        else:
            groups.extend((frozenset([w]),) for w in normalise(found[2]))
    return tuple(groups)


@lru_cache(maxsize=65536)
def title_words(title: str) -> frozenset[str]:
    return frozenset(normalise(title))


def q_matches(groups: Groups, title: str) -> bool:
    words = title_words(title)
    return all(any(alt <= words for alt in group) for group in groups)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text.strip() else None
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class BrowseRequest:
    """The parts of a search request that decide which listings it returns."""

    groups: Groups = ()
    category: str = ""
    low: Decimal | None = None
    high: Decimal | None = None
    conditions: frozenset[str] = frozenset()
    buying: frozenset[str] = frozenset()
    sellers: frozenset[str] = frozenset()

    @classmethod
    def of(cls, params: Mapping[str, str]) -> BrowseRequest:
        filters = params.get("filter", "")
        low = high = None
        price = _PRICE.search(filters)
        if price is not None:
            lo, _, hi = price[1].partition("..")
            low, high = _decimal(lo), _decimal(hi)
        sets = {name: frozenset(v.strip() for v in values.split("|") if v.strip())
                for name, values in _SET.findall(filters)}  # fmt: skip
        return cls(
            groups=parse_q(params.get("q", "")),
            category=params.get("category_ids", "").strip(),
            low=low,
            high=high,
            conditions=frozenset(c.upper() for c in sets.get("conditions", ())),
            buying=sets.get("buyingOptions", frozenset()),
            sellers=frozenset(s.lower() for s in sets.get("sellers", ())),
        )

    def returns(self, listing: ListingData, categories: Sequence[str]) -> bool:
        """Whether Browse answers this request with ``listing`` (in ``categories``)."""
        if self.category and self.category not in categories:
            return False
        if self.groups and not q_matches(self.groups, listing.title):
            return False
        return self._filters_pass(listing)

    def _filters_pass(self, listing: ListingData) -> bool:
        if self.low is not None or self.high is not None:
            price = listing.price
            if price is None or (self.low is not None and price < self.low):
                return False
            if self.high is not None and price > self.high:
                return False
        if self.conditions and listing.condition.value.upper() not in self.conditions:
            return False
        if self.buying and not self.buying & _options(listing):
            return False
        return not self.sellers or listing.seller.lower() in self.sellers


def _options(listing: ListingData) -> frozenset[str]:
    return {
        BuyingFormat.BUY_IT_NOW: frozenset({"FIXED_PRICE"}),
        BuyingFormat.AUCTION: frozenset({"AUCTION"}),
        BuyingFormat.BOTH: frozenset({"FIXED_PRICE", "AUCTION"}),
    }.get(listing.buying_format, frozenset({"FIXED_PRICE"}))
