"""A Browse catalogue with categories (issue 18): one store of item summaries that answers
keyword searches and category searches consistently, by the rules of
``scrapers.ebay.rules`` (q against titles, whole words; ``category_ids`` on the item's
category or an ancestor; price, condition and buying-option filters).

Items carry ``leafCategoryIds`` and ``categories`` (leaf first, then ancestors) as real
search answers do (tests/fixtures/ebay/search_ps5.json). Indexed by category and by title
word so a benchmark's tens of thousands of searches over a day of listings stay fast.
``FakeEbayApi(model=…)`` serves it over HTTP; a benchmark may call ``answer`` in-process.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.ports import ListingData
from scrapers.ebay.parse import parse_search
from scrapers.ebay.rules import BrowseRequest, parse_q, title_words

HREF = "https://api.ebay.com/buy/browse/v1/item_summary/search"


@dataclass(slots=True)
class CategoryCatalogue:
    """Items in creation order (append newer ones); ``parents``: category → its parent."""

    parents: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    listings: list[ListingData] = field(default_factory=list)
    paths: list[tuple[str, ...]] = field(default_factory=list)
    _by_category: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _by_word: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    requests: int = 0
    # The category model: the words a leaf's titles are made of (category suggestions).
    vocabulary: dict[str, frozenset[str]] = field(default_factory=dict)
    common_words: frozenset[str] = frozenset()  # words any title may hold
    suggestion_requests: int = 0

    def path(self, leaf: str) -> tuple[str, ...]:
        found = [leaf]
        while found[-1] in self.parents:
            found.append(self.parents[found[-1]])
        return tuple(found)

    def add(self, item: dict[str, Any], leaf: str) -> None:
        """Add a listing (newer than every one before) in the ``leaf`` category."""
        path = self.path(leaf)
        item = {
            **item,
            "leafCategoryIds": [leaf],
            "categories": [{"categoryId": c, "categoryName": self.names.get(c, c)} for c in path],
        }
        (listing,) = parse_search({"itemSummaries": [item], "total": 1})
        index = len(self.items)
        self.items.append(item)
        self.listings.append(listing)
        self.paths.append(path)
        for category in path:
            self._by_category[category].append(index)
        for word in title_words(listing.title):
            self._by_word[word].append(index)

    def _candidates(self, request: BrowseRequest) -> list[int]:
        if request.category:
            return self._by_category.get(request.category, [])
        best: set[int] | None = None
        for group in request.groups:
            found: set[int] = set()
            for alternative in group:
                words = sorted(alternative, key=lambda w: len(self._by_word.get(w, ())))
                if words:
                    found.update(self._by_word.get(words[0], ()))
            best = found if best is None or len(found) < len(best) else best
        return sorted(best) if best is not None else list(range(len(self.items)))

    def matching(self, params: Mapping[str, str]) -> list[int]:
        """Indexes of the items the request returns, newest first."""
        request = BrowseRequest.of(params)
        found = [
            i for i in self._candidates(request) if request.returns(self.listings[i], self.paths[i])
        ]
        return sorted(found, reverse=True)

    def answer(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The SearchPagedCollection Browse sends for ``params`` (``sort=newlyListed``)."""
        self.requests += 1
        found = self.matching(params)
        limit = min(int(params.get("limit", "50")), 200)
        offset = int(params.get("offset", "0"))
        body: dict[str, Any] = {
            "href": f"{HREF}?limit={limit}&offset={offset}",
            "total": len(found),
            "limit": limit,
            "offset": offset,
        }
        page = [self.items[i] for i in found[offset : offset + limit]]
        if page:
            body["itemSummaries"] = page
        if offset + limit < len(found):
            body["next"] = f"{HREF}?limit={limit}&offset={offset + limit}"
        return body

    def suggest(self, q: str) -> dict[str, Any]:
        """Taxonomy get_category_suggestions: the leaves whose titles can hold every word
        of ``q`` (by the category model's vocabulary), as eBay shapes the answer."""
        self.suggestion_requests += 1
        words = set().union(*(alt for group in parse_q(q) for alt in group))
        suggestions = []
        for leaf, vocabulary in sorted(self.vocabulary.items()):
            if words and words <= vocabulary | self.common_words:
                ancestors = self.path(leaf)[1:]
                suggestions.append(
                    {
                        "category": {
                            "categoryId": leaf,
                            "categoryName": self.names.get(leaf, leaf),
                        },
                        "categoryTreeNodeAncestors": [
                            {
                                "categoryId": a,
                                "categoryName": self.names.get(a, a),
                                "categoryTreeNodeLevel": len(ancestors) - n,
                            }
                            for n, a in enumerate(ancestors)
                        ],
                        "categoryTreeNodeLevel": len(ancestors) + 1,
                        "relevancy": "HIGH",
                    }
                )
        return {"categorySuggestions": suggestions, "categoryTreeId": "3",
                "categoryTreeVersion": "129"}  # fmt: skip
