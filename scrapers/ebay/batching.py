"""Several eBay searches in one Browse request, with the OR syntax ``(a, b)``.

Browse's ``q`` ANDs words separated by spaces and ORs a comma-separated list in parentheses
(item_summary/search reference: ``q=iphone ipad`` is iphone AND ipad, ``q=(iphone, ipad)``
is iphone OR ipad). So ``iphone 13`` and ``iphone 14 pro`` can be asked together as
``iphone (13, 14)``: every listing either would find also matches the merged ``q``.

How a batch goes:

* ``search(query)`` queues the query and waits; after a short collection window the queued
  queries with identical server-side parameters (everything but ``q`` and ``limit``) are
  packed into groups and each group is ONE request, ``limit=200``, ``sort=newlyListed``.
* Only queries whose keywords are a plain AND of words can join: their own OR groups (and
  so multi-word alternatives, whose meaning inside ``( , )`` eBay does not document) go
  alone. A quoted phrase is sent upstream as its words ANDed anyway, so it merges as words.
* If the page is complete (no ``next``, not full, ``total`` agrees) each query gets the
  items holding all its words (matched locally as core.matching does), newest first, cut
  to its own ``limit``: what it would have got alone. If the page might be cut off, it is
  still the newest part of the merged results, so a query with at least its ``limit`` of
  matches on it is settled too; the others are asked again (the group halved if nobody
  was settled), down to single queries sent exactly as alone.
* The size of each query's result set is remembered for a while, so a query too big to
  share a page goes alone at once and groups are packed to fit one page.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from core.errors import InvalidCriteria
from core.matching import normalise, parse_keywords
from core.ports import ListingData, MarketplaceQuery
from scrapers.ebay.parse import PageFacts
from scrapers.ebay.query import MAX_LIMIT, category_label, ebay_or_words, search_params
from scrapers.ebay.sites import EbaySite

__all__ = [
    "BatchOptions",
    "Fetch",
    "SearchBatcher",
    "filter_key",
    "mergeable_words",
    "merged_q",
    "tight_enough",
]

logger = logging.getLogger(__name__)

# One counted Browse call: (params, category label) → listings and what the page holds.
Fetch = Callable[[dict[str, str], str], Awaitable[tuple[list[ListingData], PageFacts]]]
FilterKey = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    window_seconds: float = 0.04  # how long a query waits for others to share its request
    max_q_chars: int = 100  # keep q short; eBay documents no longer queries
    max_terms: int = 20  # words in one merged q
    max_queries: int = 20  # distinct queries in one merged request
    max_or_groups: int = 3  # "(a, b) (c, d)": more groups keep q tighter but longer
    page_size: int = MAX_LIMIT
    # Plan to fill only this share of a page with the known result sizes: listings keep
    # arriving, and a page that turns out full costs extra calls.
    fill: float = 0.75
    unknown_size: int = 25  # assumed result size of a query never seen before
    memory_seconds: float = 3600.0  # how long a seen result size is trusted
    memory_entries: int = 50_000


def mergeable_words(query: MarketplaceQuery) -> tuple[str, ...] | None:
    """The query's words if its keywords are a plain AND of words, else ``None``."""
    try:
        groups = parse_keywords(ebay_or_words(query.keywords)).groups
    except InvalidCriteria:
        return None
    if any(len(group) > 1 for group in groups):
        return None  # its own OR group: a second level of OR is not expressible
    return tuple(dict.fromkeys(word for group in groups for word in group[0]))


def filter_key(query: MarketplaceQuery, site: EbaySite) -> FilterKey:
    """Everything sent but ``q`` and ``limit``, and the category label of the listings."""
    params = search_params(query, site)
    params.pop("q", None)  # a seller-only search has none
    params.pop("limit")
    return (*sorted(params.items()), ("_category", category_label(query)))


def _shape(
    words: Sequence[tuple[str, ...]], max_or_groups: int
) -> tuple[list[str], list[list[str]]]:
    """The words every query shares, then up to ``max_or_groups`` OR groups, the k-th
    holding each query's k-th other word."""
    common = [w for w in words[0] if all(w in other for other in words[1:])]
    rests = [[w for w in ws if w not in common] for ws in words]
    depth = min(max_or_groups, *(len(rest) for rest in rests))
    groups = [list(dict.fromkeys(rest[k] for rest in rests)) for k in range(depth)]
    return common, groups


def merged_q(words: Sequence[tuple[str, ...]], max_or_groups: int = 3) -> str:
    """A Browse ``q`` that every listing matching any of ``words`` (each ANDed) matches:
    ``iphone 13 pro`` + ``iphone 14`` → ``iphone (13, 14)``. Each query has a word in every
    OR group, so nothing it would find alone is lost."""
    common, groups = _shape(words, max_or_groups)
    ors = [g[0] if len(g) == 1 else f"({', '.join(g)})" for g in groups]
    return " ".join([*common, *ors])


def tight_enough(words: Sequence[tuple[str, ...]], max_or_groups: int = 3) -> bool:
    """Whether the merged ``q`` stays close to the union of the queries.

    It is exact when one query is just the shared words (``iphone`` + ``iphone 13`` →
    ``iphone``). Otherwise each query must be pinned by two of its words (or all it has):
    ``(iphone, ps5)`` for ``iphone 13`` + ``ps5`` would fetch every iPhone.
    """
    common, groups = _shape(words, max_or_groups)
    if not groups:
        return True
    pinned = len(common) + len(groups)
    return all(pinned >= min(len(ws), 2) for ws in words)


def _haystack(listing: ListingData) -> str:
    # As core.matching.keywords_match sees a listing: whole words of title + description.
    return f" {' '.join(normalise(f'{listing.title} {listing.description}'))} "


@dataclass(slots=True)
class _Waiter:
    """One distinct query of a batch and every caller waiting for it."""

    query: MarketplaceQuery
    words: tuple[str, ...]
    futures: list[asyncio.Future[list[ListingData]]] = field(default_factory=list)

    def resolve(self, listings: list[ListingData]) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(list(listings))

    def fail(self, exc: BaseException) -> None:
        for future in self.futures:
            if not future.done():
                future.set_exception(exc)

    def cancel(self) -> None:
        for future in self.futures:
            future.cancel()

    @property
    def limit(self) -> int:
        return max(1, min(self.query.limit, MAX_LIMIT))


@dataclass(slots=True)
class _Queued:
    query: MarketplaceQuery
    words: tuple[str, ...]
    future: asyncio.Future[list[ListingData]]


class SearchBatcher:
    """Merges concurrent searches into shared Browse requests (see the module docstring)."""

    def __init__(self, site: EbaySite, fetch: Fetch, options: BatchOptions | None = None) -> None:
        self.site = site
        self.options = options or BatchOptions()
        self._fetch = fetch
        self._queued: dict[FilterKey, list[_Queued]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sizes: dict[MarketplaceQuery, tuple[int, float]] = {}  # size, when seen

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        words = mergeable_words(query)
        if words is None or self._too_big(query):
            return await self._alone(query)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[ListingData]] = loop.create_future()
        key = filter_key(query, self.site)
        queue = self._queued.setdefault(key, [])
        if not queue:  # the first of a window starts its timer
            loop.call_later(self.options.window_seconds, self._flush, key)
        queue.append(_Queued(query, words, future))
        return await future

    def _flush(self, key: FilterKey) -> None:
        waiters: dict[MarketplaceQuery, _Waiter] = {}
        for queued in self._queued.pop(key, []):
            if queued.future.done():  # its caller gave up (cancelled)
                continue
            waiter = waiters.setdefault(queued.query, _Waiter(queued.query, queued.words))
            waiter.futures.append(queued.future)
        if not waiters:
            return
        task = asyncio.create_task(self._dispatch(list(waiters.values())))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, waiters: list[_Waiter]) -> None:
        groups = self._plan(waiters)
        try:
            await asyncio.gather(*(self._run(group) for group in groups))
        except asyncio.CancelledError:  # shutting down: nobody may wait forever
            for waiter in waiters:
                waiter.cancel()
            raise
        except Exception as exc:  # a bug here must not leave callers waiting forever
            logger.exception("ebay: batched search failed unexpectedly")
            for waiter in waiters:
                waiter.fail(exc)

    def _plan(self, waiters: list[_Waiter]) -> list[list[_Waiter]]:
        """Pack queries into groups. Sorted by words, neighbours share words (a tighter q);
        one-word queries first, as they only merge tightly with each other."""
        groups: list[list[_Waiter]] = []
        current: list[_Waiter] = []
        load = 0
        for waiter in sorted(waiters, key=lambda w: (len(w.words) > 1, w.words)):
            size = self._size(waiter.query)
            if current and self._fits([*current, waiter], load + size):
                current.append(waiter)
                load += size
                continue
            if current:
                groups.append(current)
            current, load = [waiter], size
        if current:
            groups.append(current)
        return groups

    def _fits(self, group: list[_Waiter], load: int) -> bool:
        opts = self.options
        if len(group) > opts.max_queries or load > opts.fill * opts.page_size:
            return False
        words = [w.words for w in group]
        q = merged_q(words, opts.max_or_groups)
        return (
            len(q) <= opts.max_q_chars
            and len(q.split()) <= opts.max_terms
            and tight_enough(words, opts.max_or_groups)
        )

    async def _run(self, group: list[_Waiter]) -> None:
        if len(group) == 1:
            await self._run_alone(group[0])
            return
        q = merged_q([w.words for w in group], self.options.max_or_groups)
        params = {**search_params(group[0].query, self.site), "q": q}
        params["limit"] = str(self.options.page_size)
        try:
            listings, facts = await self._fetch(params, category_label(group[0].query))
        except Exception as exc:  # the same error reaches every caller of this request
            for waiter in group:
                waiter.fail(exc)
            return
        complete = facts.complete(self.options.page_size)
        haystacks = [_haystack(listing) for listing in listings]
        unsure: list[_Waiter] = []
        for waiter in group:
            needles = [f" {word} " for word in waiter.words]
            found = [
                listing
                for listing, hay in zip(listings, haystacks, strict=True)
                if all(needle in hay for needle in needles)
            ]
            # The page is the newest part of the merged results, so a query with at least
            # its limit of matches on it has its newest items here even if the page is cut.
            if complete or len(found) >= waiter.limit:
                size = len(found) if complete else facts.total or self.options.page_size + 1
                self._remember(waiter.query, size)
                waiter.resolve(found[: waiter.limit])  # newest first, as many as alone
            else:
                unsure.append(waiter)  # its older items may lie beyond this page
        if not unsure:
            logger.debug("ebay: %d queries answered by one request q=%r", len(group), q)
            return
        logger.debug(
            "ebay: page for %r may be cut off (%s): %d queries again", q, facts, len(unsure)
        )
        if len(unsure) < len(group):
            await self._run(unsure)
        else:  # nobody settled: halve, so the retries shrink
            half = len(group) // 2
            await asyncio.gather(self._run(group[:half]), self._run(group[half:]))

    async def _run_alone(self, waiter: _Waiter) -> None:
        try:
            found = await self._alone(waiter.query)
        except Exception as exc:
            waiter.fail(exc)
            return
        waiter.resolve(found)

    async def _alone(self, query: MarketplaceQuery) -> list[ListingData]:
        """The query's own request, exactly as without batching."""
        params = search_params(query, self.site)
        listings, facts = await self._fetch(params, category_label(query))
        self._remember(query, facts.total if facts.total is not None else facts.returned)
        return listings

    def _size(self, query: MarketplaceQuery) -> int:
        seen = self._sizes.get(query)
        if seen is None or time.monotonic() - seen[1] > self.options.memory_seconds:
            return self.options.unknown_size
        return seen[0]

    def _too_big(self, query: MarketplaceQuery) -> bool:
        return self._size(query) > self.options.fill * self.options.page_size

    def _remember(self, query: MarketplaceQuery, size: int) -> None:
        now = time.monotonic()
        if len(self._sizes) >= self.options.memory_entries:
            oldest = sorted(self._sizes, key=lambda q: self._sizes[q][1])
            for stale in oldest[: len(oldest) // 2]:
                del self._sizes[stale]
        self._sizes[query] = (size, now)
