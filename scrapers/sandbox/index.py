"""The in-memory listing store with an inverted index, so a search stays cheap at 100k listings.

Positions in ``listings`` grow with time (newest last), and every posting list is in the same
order, so walking a posting list backwards yields newest-first results without sorting.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from core.enums import Condition
from core.matching import normalise
from scrapers.sandbox.listing import SandboxListing

__all__ = ["ListingIndex", "SearchFilters", "SearchResult", "keyword_terms"]

# core.fetchkeys.upstream_query lowercases the keywords, so "or" is the operator here too.
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
    estimated: bool = False  # True: ``total`` was extrapolated from a partial scan


def _narrow(
    found: Iterable[SandboxListing], rest: frozenset[str], f: SearchFilters
) -> Iterator[SandboxListing]:
    """The listings passing every active filter, lazily: one cheap stage per filter."""
    stream = iter(found)
    if f.towns is not None:
        towns = f.towns
        stream = (x for x in stream if x.location in towns)
    if f.category:
        category = f.category
        stream = (x for x in stream if x.category == category)
    if f.condition is not Condition.ANY:
        condition = f.condition
        stream = (x for x in stream if x.condition is condition)
    if rest:
        stream = (x for x in stream if rest <= x.tokens)
    if f.min_price is not None:
        low = f.min_price
        stream = (x for x in stream if x.price >= low)
    if f.max_price is not None:
        high = f.max_price
        stream = (x for x in stream if x.price <= high)
    return stream


@dataclass(frozen=True, slots=True)
class _Candidates:
    positions: Iterable[int]  # newest first
    count: int  # how many there are (an upper bound unless ``exact``)
    exact: bool = True
    rest: frozenset[str] = frozenset()  # words each candidate must still contain


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
        """Matching listings, newest first, up to ``filters.limit``.

        The scan stops at ``limit`` matches, so a search costs about ``limit / selectivity``
        steps however big the store is. ``total`` is then extrapolated from the part scanned
        (``estimated``), as real marketplaces show "about N results".
        """
        found = self._candidates(filters)
        listings, limit = self.listings, filters.limit
        positions = iter(found.positions)
        if not found.rest and filters.only_words():
            newest = [listings[p] for p in itertools.islice(positions, limit)]
            if len(newest) < limit:
                return SearchResult(newest, len(newest))
            return SearchResult(newest, found.count, estimated=not found.exact)
        scanned = itertools.count()
        # zip pulls a number from ``scanned`` per position taken: it counts what was scanned.
        source = (listings[p] for p, _ in zip(positions, scanned, strict=False))
        items = list(itertools.islice(_narrow(source, found.rest, filters), limit))
        consumed = next(scanned)
        if len(items) < limit or next(positions, None) is None:
            return SearchResult(items, len(items))  # the scan reached the end: exact
        estimate = max(limit + 1, round(found.count * limit / consumed))
        return SearchResult(items, estimate, estimated=True)

    def _candidates(self, f: SearchFilters) -> _Candidates:
        """Positions to look at, newest first, and the words each must still contain."""
        if not f.words:
            return _Candidates(range(len(self.listings) - 1, -1, -1), len(self.listings))
        postings = [self._postings.get(word, []) for word in f.words]
        if f.any_word:
            return _union(postings)
        shortest = min(range(len(postings)), key=lambda i: len(postings[i]))
        rest = frozenset(w for i, w in enumerate(f.words) if i != shortest)
        exact = not rest
        return _Candidates(reversed(postings[shortest]), len(postings[shortest]), exact, rest)


def _union(postings: list[list[int]]) -> _Candidates:
    """Positions in any of ``postings``, newest first, merged lazily (no sort of the union)."""
    lists = [p for p in postings if p]
    if len(lists) <= 1:
        only = lists[0] if lists else []
        return _Candidates(reversed(only), len(only))
    merged = heapq.merge(*(reversed(p) for p in lists), reverse=True)
    distinct = (position for position, _ in itertools.groupby(merged))
    return _Candidates(distinct, sum(map(len, lists)), exact=False)
