"""The in-memory listing store with an inverted index, so a search stays cheap at 100k listings.

Positions in ``listings`` grow with time (newest last), and every posting list is in the same
order, so walking a posting list backwards yields newest-first results without sorting.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.enums import Condition
from core.matching import normalise
from scrapers.sandbox.listing import SandboxListing

__all__ = ["ListingIndex", "SearchFilters", "SearchResult", "keyword_terms"]

# core.Criteria.upstream_query lowercases the keywords, so "or" is the operator here too.
_OR = re.compile(r"(?:^|\s)or(?:\s|$)|\|", re.IGNORECASE)
_OR_TOKEN = "or"


def keyword_terms(q: str) -> tuple[tuple[str, ...], bool]:
    """A coarse reading of a keyword expression: its plain words, and whether ANY word will do
    (the expression has an OR) rather than ALL of them. Quotes are ignored."""
    words = tuple(dict.fromkeys(t for t in normalise(q) if t != _OR_TOKEN))
    return words, bool(words) and _OR.search(q) is not None


@dataclass(frozen=True, slots=True)
class SearchFilters:
    words: tuple[str, ...] = ()
    any_word: bool = False
    category: str = ""
    condition: Condition = Condition.ANY
    towns: frozenset[str] | None = None  # allowed locations; None = anywhere
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    limit: int = 50

    def only_words(self) -> bool:
        """No filter but the words: the total is the candidate count, no scan needed."""
        return (
            not self.category
            and self.condition is Condition.ANY
            and self.towns is None
            and self.min_price is None
            and self.max_price is None
        )


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[SandboxListing]
    total: int


def _passes(listing: SandboxListing, rest: frozenset[str], f: SearchFilters) -> bool:
    if f.category and listing.category != f.category:
        return False
    if f.condition is not Condition.ANY and listing.condition is not f.condition:
        return False
    if f.towns is not None and listing.location not in f.towns:
        return False
    if f.min_price is not None and listing.price < f.min_price:
        return False
    if f.max_price is not None and listing.price > f.max_price:
        return False
    return rest <= listing.tokens


class ListingIndex:
    """Listings (oldest first) plus token → positions and id → listing lookups."""

    def __init__(self) -> None:
        self.listings: list[SandboxListing] = []
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        self._by_id: dict[str, SandboxListing] = {}

    def __len__(self) -> int:
        return len(self.listings)

    def add(self, listing: SandboxListing) -> None:
        position = len(self.listings)
        self.listings.append(listing)
        self._by_id[listing.id] = listing
        for token in listing.tokens:
            self._postings[token].append(position)

    def get(self, listing_id: str) -> SandboxListing | None:
        return self._by_id.get(listing_id)

    def search(self, filters: SearchFilters) -> SearchResult:
        candidates, rest = self._candidates(filters)
        if not rest and filters.only_words():
            picked = [self.listings[p] for p in _first(candidates, filters.limit)]
            return SearchResult(picked, len(candidates))
        return self._scan(candidates, rest, filters)

    def _candidates(self, f: SearchFilters) -> tuple[Sequence[int], frozenset[str]]:
        """Positions to look at (newest first) and the words each must still contain."""
        if not f.words:
            return range(len(self.listings) - 1, -1, -1), frozenset()
        if f.any_word:
            union: set[int] = set()
            for word in f.words:
                union.update(self._postings.get(word, ()))
            return sorted(union, reverse=True), frozenset()
        postings = [self._postings.get(word, []) for word in f.words]
        shortest = min(range(len(postings)), key=lambda i: len(postings[i]))
        rest = frozenset(w for i, w in enumerate(f.words) if i != shortest)
        return postings[shortest][::-1], rest

    def _scan(
        self, candidates: Iterable[int], rest: frozenset[str], f: SearchFilters
    ) -> SearchResult:
        items: list[SandboxListing] = []
        total = 0
        listings = self.listings
        for position in candidates:
            listing = listings[position]
            if _passes(listing, rest, f):
                total += 1
                if len(items) < f.limit:
                    items.append(listing)
        return SearchResult(items, total)


def _first(positions: Sequence[int], limit: int) -> Sequence[int]:
    return positions[:limit]
