"""Category feeds (issue 18): many distinct eBay queries served by reading a few categories.

* **Where a query's listings fall.** Every search answer carries each item's categories
  (``leafCategoryIds``, ``categories``). A polled query's results teach us its leaf
  categories (weights decaying, stored through core's ``FeedHost``). A query whose weight
  lies ≥ ``share`` (90 %) in at most ``max_categories`` leaves, and which has no weight
  anywhere else (so nothing seen so far would be missed), can be served by feeds.
* **Feeds.** A feed is ``item_summary/search`` with ``category_ids`` only (no ``q``),
  ``sort=newlyListed``, 200 a page, and the filters all its queries share; a read pages on
  until it meets a listing seen before (at most ``max_pages``, else a counted gap), so
  nothing listed between two reads is lost.
* **Plan.** core.feedplan decides which categories are worth a feed, how often each is read
  (about a useful page of new listings, never slower than its fastest query is owed) and
  slows the slowest plans first when the day's calls do not reach.
* **Local answers.** Each new listing of a feed goes to the queries whose own request would
  have returned it (``scrapers.ebay.rules``: same words in the title, category, filters);
  their keys are woken and the runner's check is answered from that buffer without a
  call, then matched by core.matching exactly as a polled answer is. Each served query is
  still polled by itself now and then (``refresh_seconds``): that keeps its categories up
  to date and catches a listing in a category it never showed before.

One process reads the feeds of the keys it sees; several runner processes each read them
(the calls are counted in the shared quota record).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import OrderedDict, defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from core.clock import Clock, utcnow
from core.enums import Condition
from core.errors import MarketplaceError, Slowed
from core.feedplan import Plan, PlanOptions, QueryDemand, plan
from core.metrics import Metrics
from core.ports import CategoryStats, FeedHost, KeyDemand, ListingData, MarketplaceQuery
from scrapers.ebay.parse import categories_by_item, parse_search
from scrapers.ebay.query import MAX_LIMIT, ebay_keywords, search_params
from scrapers.ebay.rules import BrowseRequest, title_words
from scrapers.ebay.sites import EbaySite

__all__ = [
    "FeedItem",
    "FeedOptions",
    "FeedReader",
    "FeedService",
    "FeedState",
    "feed_categories",
    "feed_params",
    "feedable",
    "signature",
    "suggestion_paths",
]

logger = logging.getLogger(__name__)

# One counted Browse call with these parameters → the raw search answer.
RawFetch = Callable[[dict[str, str]], Awaitable[Mapping[str, Any]]]
# Taxonomy get_category_suggestions for a q → its raw answer (not a Browse call).
Suggest = Callable[[str], Awaitable[Mapping[str, Any]]]

# eBay's category tree per marketplace (Taxonomy getDefaultCategoryTreeId's answers).
CATEGORY_TREES = {"EBAY_US": "0", "EBAY_GB": "3", "EBAY_IE": "205", "EBAY_DE": "77",
                  "EBAY_AU": "15", "EBAY_CA": "2", "EBAY_FR": "71", "EBAY_IT": "101",
                  "EBAY_ES": "186"}  # fmt: skip


def suggestion_paths(payload: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """Taxonomy ``categorySuggestions`` as category paths, leaf first then ancestors."""
    paths = []
    suggestions = payload.get("categorySuggestions")
    for found in suggestions if isinstance(suggestions, list) else []:
        if not isinstance(found, Mapping) or not isinstance(found.get("category"), Mapping):
            continue
        leaf = found["category"].get("categoryId")
        ancestors = found.get("categoryTreeNodeAncestors")
        ids = (
            [a.get("categoryId") for a in ancestors if isinstance(a, Mapping)]
            if isinstance(ancestors, list)
            else []
        )
        path = [str(c) for c in [leaf, *ids] if isinstance(c, str | int)]
        if path:
            paths.append(tuple(path))
    return paths


@dataclass(frozen=True, slots=True)
class FeedOptions:
    share: float = 0.9  # a query's weight that must lie in its feed categories
    max_categories: int = 3  # feeds one query may be served by
    max_pages: int = 5  # pages one read may take before it counts a gap
    max_probes: int = 200  # categories measured (one page each) per plan
    tick_seconds: float = 5.0
    replan_seconds: float = 600.0
    refresh_seconds: float = 7 * 86_400.0  # each served query polled by itself this often
    keep_per_query: int = MAX_LIMIT  # newest listings a served query's answer holds
    memory: int = 20_000  # listing ids a feed remembers as seen
    budget_share: float = 0.9  # of the daily quota: the rest for priming, getItems, retries
    decay: float = 0.5  # weight of the older categories when a new sample comes
    min_weight: float = 0.01  # a category below this weight is forgotten
    useful_page: float = 150.0
    poll_call_share: float = 1.0


@dataclass(frozen=True, slots=True)
class FeedItem:
    listing: ListingData
    categories: tuple[str, ...]  # leaf first, then ancestors


def signature(query: MarketplaceQuery, site: EbaySite) -> str:
    """The query as sent (every parameter but ``limit``): equal requests, one signature."""
    params = search_params(query, site)
    params.pop("limit", None)
    text = json.dumps(sorted(params.items()))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def feedable(query: MarketplaceQuery) -> bool:
    """Queries a newest-first category read can serve: keywords, newest first, no sellers,
    no local pickup (those filters are not modelled locally)."""
    return (
        bool(query.keywords.strip())
        and not query.sellers
        and not query.ending_soon
        and not query.location
        and not query.extra
    )


def feed_categories(
    counts: Mapping[str, float], share: float = 0.9, max_categories: int = 3
) -> tuple[str, ...] | None:
    """The leaf categories to serve a query by, or None (keep polling it): the fewest that
    hold ``share`` of its weight, if at most ``max_categories``, and then every other leaf
    it was seen in too (so nothing seen is missed), if that still fits."""
    ranked = sorted(((w, c) for c, w in counts.items() if w > 0), key=lambda p: (-p[0], p[1]))
    total = sum(w for w, _ in ranked)
    if total <= 0:
        return None
    held, needed = 0.0, 0
    while held < share * total - 1e-9:
        held += ranked[needed][0]
        needed += 1
    if needed > max_categories or len(ranked) > max_categories:
        return None
    return tuple(sorted(c for _, c in ranked))


def feed_params(
    category: str, queries: Iterable[MarketplaceQuery], site: EbaySite, limit: int = MAX_LIMIT
) -> dict[str, str]:
    """A feed's request: the category, newest first, and the filters every query shares."""
    conditions = {q.condition for q in queries}
    filters = ["buyingOptions:{FIXED_PRICE|AUCTION}"]
    if len(conditions) == 1 and Condition.ANY not in conditions:
        filters.insert(0, f"conditions:{{{conditions.pop().value.upper()}}}")
    filters.append(f"itemLocationCountry:{site.country}")
    return {
        "category_ids": category,
        "filter": ",".join(filters),
        "sort": "newlyListed",
        "limit": str(limit),
    }


@dataclass(slots=True)
class FeedState:
    """One category feed as this process reads it."""

    category: str
    params: dict[str, str]
    # Listings from this moment on are owed to its queries: a new feed's first read pages
    # back to it, so a query moving from polling to a feed loses nothing in between.
    start: datetime | None = None
    interval: float = 300.0
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    last_read: datetime | None = None
    rate: float | None = None  # new listings a day, measured
    reads: int = 0
    calls: int = 0
    new: int = 0
    gaps: int = 0
    counted: tuple[int, int] = (0, 0)  # calls and gaps already on /metrics

    def remember(self, ids: Iterable[str], memory: int) -> None:
        for item_id in ids:
            self.seen[item_id] = None
            self.seen.move_to_end(item_id)
        while len(self.seen) > memory:
            self.seen.popitem(last=False)

    def due(self, now: datetime) -> bool:
        return self.last_read is None or (now - self.last_read).total_seconds() >= self.interval


def _page_rate(items: Sequence[FeedItem]) -> float | None:
    """New listings a day from a first page's creation times (newest first)."""
    times = [i.listing.posted_at for i in items if i.listing.posted_at is not None]
    if len(times) < 2:
        return None
    span = (max(times) - min(times)).total_seconds()
    return (len(times) - 1) * 86_400.0 / span if span > 0 else None


class FeedReader:
    """Reads a feed's new listings: pages newest first until one was seen before."""

    def __init__(self, fetch: RawFetch, options: FeedOptions | None = None) -> None:
        self._fetch = fetch
        self.options = options or FeedOptions()

    async def read(self, feed: FeedState, now: datetime) -> list[FeedItem]:
        """The listings new since the last read (the first read: since ``feed.start``, or
        none), newest first, paging until one seen before (or older than the start)."""
        found: list[FeedItem] = []
        read: list[str] = []  # every id on the pages: the past is seen too
        limit = int(feed.params.get("limit", MAX_LIMIT))
        for page in range(self.options.max_pages):
            params = {**feed.params, "offset": str(page * limit)} if page else dict(feed.params)
            payload = await self._fetch(params)
            feed.calls += 1
            items = _items(payload)
            read.extend(i.listing.external_id for i in items)
            fresh = [i for i in items if _new(feed, i)]
            known = {i.listing.external_id for i in found}
            found.extend(i for i in fresh if i.listing.external_id not in known)
            if len(fresh) < len(items) or not payload.get("next"):
                break
        else:
            feed.gaps += 1
            logger.warning(
                "ebay: feed %s had more than %d pages of new listings since %s: some were "
                "not read (read it more often)", feed.category, self.options.max_pages,
                feed.last_read,
            )  # fmt: skip
        self._measure(feed, found, now)
        feed.remember(reversed(read), self.options.memory)
        feed.last_read = now
        feed.reads += 1
        feed.new += len(found)
        return found

    async def probe(self, category: str, params: dict[str, str]) -> float | None:
        """One page of a category: its rate of new listings a day (from creation times)."""
        items = _items(await self._fetch(params))
        return _page_rate(items)

    def _measure(self, feed: FeedState, found: list[FeedItem], now: datetime) -> None:
        if feed.last_read is None:
            return  # the first read's span is not "since the last read"
        elapsed = (now - feed.last_read).total_seconds()
        if elapsed <= 0:
            return
        measured = len(found) * 86_400.0 / elapsed
        feed.rate = measured if feed.rate is None else 0.7 * feed.rate + 0.3 * measured


def _new(feed: FeedState, item: FeedItem) -> bool:
    if item.listing.external_id in feed.seen:
        return False
    if feed.last_read is not None:
        return True
    posted = item.listing.posted_at
    return feed.start is not None and posted is not None and posted >= feed.start


def _items(payload: Mapping[str, Any]) -> list[FeedItem]:
    listings = parse_search(payload)
    paths = categories_by_item(payload)
    return [FeedItem(x, paths.get(x.external_id, ())) for x in listings]


@dataclass(slots=True)
class _Served:
    """A query served by feeds: its request rules, keys, and newest listings found for it."""

    query: MarketplaceQuery
    request: BrowseRequest
    categories: tuple[str, ...]
    digests: list[str]
    found: deque[ListingData]


class _QueryIndex:
    """Served queries by a word every listing they take must have in its title."""

    def __init__(self) -> None:
        self._by_word: dict[str, list[str]] = defaultdict(list)
        self._anything: list[str] = []

    def add(self, sig: str, request: BrowseRequest) -> None:
        if not request.groups:
            self._anything.append(sig)
            return
        for alternative in request.groups[0]:
            self._by_word[min(alternative)].append(sig)

    def candidates(self, words: Iterable[str]) -> set[str]:
        found = set(self._anything)
        for word in words:
            found.update(self._by_word.get(word, ()))
        return found


class FeedService:
    """The feeds of one eBay marketplace: plan, read, answer (see the module docstring)."""

    def __init__(
        self,
        site: EbaySite,
        fetch: RawFetch,
        host: FeedHost,
        *,
        daily_calls: int,
        options: FeedOptions | None = None,
        clock: Clock = utcnow,
        metrics: Metrics | None = None,
        marketplace: str = "ebay",
        suggest: Suggest | None = None,
    ) -> None:
        self.site = site
        self._suggest = suggest
        self.host = host
        self.options = options or FeedOptions()
        self.reader = FeedReader(fetch, self.options)
        self.daily_calls = daily_calls
        self.clock = clock
        self.metrics = metrics
        self.marketplace = marketplace
        self.plan: Plan | None = None
        self.feeds: dict[str, FeedState] = {}
        self.served: dict[str, _Served] = {}
        self._index: dict[str, _QueryIndex] = {}
        self._stats: dict[str, CategoryStats] = {}
        self._item_categories: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._planned_at: datetime | None = None
        self._polled_at: dict[str, datetime] = {}
        self._poll_interval: dict[str, tuple[float, float, str]] = {}  # sig → planned, owed, tier
        self.parents: dict[str, str] = {}  # category → parent, from the answers' paths
        self.rates: dict[str, float] = {}  # category → new listings a day, measured
        self.probes = 0  # calls spent measuring categories' rates

    # --- the adapter's hooks ---

    def serves(self, query: MarketplaceQuery) -> bool:
        sig = signature(query, self.site)
        return sig in self.served and not self._refresh_due(sig)

    def answer(self, query: MarketplaceQuery) -> list[ListingData]:
        """A served query's answer: the newest listings its own request would have had."""
        served = self.served[signature(query, self.site)]
        return list(served.found)

    def remember_categories(self, payload: Mapping[str, Any]) -> None:
        """Note each item's categories from any search answer (learn reads them back)."""
        for item_id, path in categories_by_item(payload).items():
            self._item_categories[item_id] = path
            self._learn_tree(path)
            self._item_categories.move_to_end(item_id)
        while len(self._item_categories) > 50_000:
            self._item_categories.popitem(last=False)

    async def _suggested(self, query: MarketplaceQuery) -> list[str]:
        assert self._suggest is not None
        try:
            paths = suggestion_paths(await self._suggest(ebay_keywords(query.keywords)))
        except MarketplaceError as exc:
            logger.info("ebay: no category suggestions for %r: %s", query.keywords, exc)
            return []
        for path in paths:
            self._learn_tree(path)
        return [path[0] for path in paths]

    def _learn_tree(self, path: Sequence[str]) -> None:
        for child, parent in pairwise(path):
            self.parents[child] = parent

    def check_pace(self, query: MarketplaceQuery) -> None:
        """A polled query slowed by the plan (its tier over budget): ``Slowed`` until its
        planned interval has passed, saying so (shown on /searches; not a failure)."""
        sig = signature(query, self.site)
        planned = self._poll_interval.get(sig)
        last = self._polled_at.get(sig)
        if planned is None or last is None or planned[0] <= planned[1] * 1.01:
            return
        wait = planned[0] - (self.clock() - last).total_seconds()
        if wait > 1:
            raise Slowed(
                f"eBay's {self.daily_calls} daily calls do not reach every search: searches "
                f"on the {planned[2]} plan are checked every {planned[0] / 60:.0f} min for now "
                f"instead of {planned[1] / 60:.0f}",
                retry_after=wait,
                marketplace=self.marketplace,
            )

    async def learn(self, query: MarketplaceQuery, listings: Sequence[ListingData]) -> None:
        """A query's own answer came back: weigh where its listings fall, and store it."""
        sig = signature(query, self.site)
        now = self.clock()
        self._polled_at[sig] = now
        if not feedable(query):
            return
        leaves = [p[0] for x in listings if (p := self._item_categories.get(x.external_id))]
        if not leaves and self._suggest is not None and sig not in self._stats:
            leaves = await self._suggested(query)  # nothing listed yet: eBay's suggestion
        if not leaves:
            return
        old = self._stats.get(sig)
        counts: dict[str, float] = defaultdict(float)
        if old is not None:
            for category, weight in old.counts.items():
                counts[category] += self.options.decay * weight
        fresh = 1.0 - self.options.decay if old is not None else 1.0
        for leaf in leaves:
            counts[leaf] += fresh / len(leaves)
        kept = {c: round(w, 4) for c, w in counts.items() if w >= self.options.min_weight}
        self._stats[sig] = CategoryStats(kept, now)
        # Stored when its categories changed, or hourly: not a write on every check.
        if (
            old is None
            or set(kept) != set(old.counts)
            or ((now - old.refreshed_at).total_seconds() >= 3600)
        ):
            await self.host.save_categories(self.marketplace, sig, kept, now)

    # --- the loop ---

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.step()
            except Exception:  # the feeds must outlive one bad read or plan
                logger.exception("ebay: feed step failed; continuing")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.options.tick_seconds)

    async def step(self) -> int:
        """Replan when due, read the due feeds, wake the keys that got something. Returns
        the keys woken."""
        now = self.clock()
        if self._planned_at is None or (
            (now - self._planned_at).total_seconds() >= self.options.replan_seconds
        ):
            await self.replan()
        digests: set[str] = set()
        for feed in list(self.feeds.values()):
            if not feed.due(now):
                continue
            try:
                items = await self.reader.read(feed, now)
            except MarketplaceError as exc:  # the quota or eBay: the next tick tries again
                logger.info("ebay: feed %s not read: %s", feed.category, exc)
                break
            digests.update(self.route(feed.category, items))
            self._count(feed, items)
        if digests:
            await self.host.wake(self.marketplace, sorted(digests))
        return len(digests)

    def route(self, category: str, items: Sequence[FeedItem]) -> set[str]:
        """Give each new listing to the served queries whose request returns it; the keys
        of those that got one."""
        index = self._index.get(category)
        woken: set[str] = set()
        if index is None:
            return woken
        for item in reversed(items):  # oldest first: each answer stays newest first
            self._item_categories[item.listing.external_id] = item.categories
            words = title_words(item.listing.title)
            for sig in index.candidates(words):
                served = self.served[sig]
                known = {x.external_id for x in served.found}
                if item.listing.external_id in known:
                    continue
                if served.request.returns(item.listing, item.categories):
                    served.found.appendleft(item.listing)
                    woken.update(served.digests)
        return woken

    async def replan(self) -> Plan:
        now = self.clock()
        self._planned_at = now
        demand = await self.host.demand(self.marketplace)
        self._stats = await self.host.categories(self.marketplace)
        queries, by_sig = self._demand(demand)
        for category, feed in self.feeds.items():
            if feed.rate is not None:
                self.rates[category] = feed.rate
        await self._probe(queries)
        options = PlanOptions(
            budget=self.daily_calls * self.options.budget_share,
            useful_page=self.options.useful_page,
            poll_call_share=self.options.poll_call_share,
            refresh_seconds=self.options.refresh_seconds,
        )
        found = plan(queries, self.rates, options, self.parents)
        self._apply(found, by_sig, queries, now)
        self.plan = found
        self._publish(found, queries)
        return found

    async def _probe(self, queries: Sequence[QueryDemand]) -> None:
        """Measure the rate of every candidate category (and its ancestors) not yet known:
        one page each, at most ``max_probes`` a plan (the rest at the next)."""
        wanted: list[str] = []
        for category in sorted({c for q in queries for c in q.categories}):
            for node in [category, *self._ancestors(category)]:
                if node not in self.rates and node not in wanted:
                    wanted.append(node)
        for category in wanted[: self.options.max_probes]:
            try:
                rate = await self.reader.probe(category, feed_params(category, [], self.site))
            except MarketplaceError as exc:
                logger.info("ebay: category %s not measured: %s", category, exc)
                return
            self.probes += 1
            self.rates[category] = rate if rate is not None else 0.0

    def _ancestors(self, category: str) -> list[str]:
        found: list[str] = []
        node = self.parents.get(category)
        while node is not None and node not in found:
            found.append(node)
            node = self.parents.get(node)
        return found

    def _demand(
        self, demand: Sequence[KeyDemand]
    ) -> tuple[list[QueryDemand], dict[str, list[KeyDemand]]]:
        by_sig: dict[str, list[KeyDemand]] = defaultdict(list)
        for key in demand:
            by_sig[signature(key.query, self.site)].append(key)
        queries = []
        for sig, keys in by_sig.items():
            query = keys[0].query
            stats = self._stats.get(sig)
            categories = None
            if stats is not None and feedable(query):
                categories = feed_categories(
                    stats.counts, self.options.share, self.options.max_categories
                )
            interval = min(k.interval_seconds for k in keys)
            tier = max((k.tier for k in keys), key=_tier_rank)
            queries.append(QueryDemand(sig, float(interval), tier, categories or ()))
        return queries, by_sig

    def _apply(
        self,
        found: Plan,
        by_sig: Mapping[str, list[KeyDemand]],
        queries: Sequence[QueryDemand],
        now: datetime,
    ) -> None:
        old = self.served
        self.served = {}
        members: dict[str, list[MarketplaceQuery]] = defaultdict(list)
        for sig, categories in found.served.items():
            query = by_sig[sig][0].query
            kept = old.get(sig)
            self.served[sig] = _Served(
                query,
                BrowseRequest.of(search_params(query, self.site)),
                categories,
                [k.digest for k in by_sig[sig]],
                kept.found if kept else deque(maxlen=self.options.keep_per_query),
            )
            for category in categories:
                members[category].append(query)
        feeds: dict[str, FeedState] = {}
        for category, cost in found.feeds.items():
            params = feed_params(category, members[category], self.site)
            feed = self.feeds.get(category)
            if feed is None or feed.params != params:  # new filters: a new watermark
                owed = max((q.interval for q in queries if q.key in found.served), default=0)
                feed = FeedState(category, params, start=now - timedelta(seconds=owed))
            feed.interval = cost.interval
            feeds[category] = feed
        self.feeds = feeds
        self._index = {}
        for sig, served in self.served.items():
            for category in served.categories:
                self._index.setdefault(category, _QueryIndex()).add(sig, served.request)
        tiers = {q.key: q for q in queries}
        self._poll_interval = {
            sig: (interval, tiers[sig].interval, tiers[sig].tier)
            for sig, interval in found.poll_interval.items()
        }

    def _refresh_due(self, sig: str) -> bool:
        stats = self._stats.get(sig)
        if stats is None:
            return True
        # Spread over a quarter of the period either way, so queries learnt together do
        # not all come due together.
        spread = 0.75 + 0.5 * (int(sig[:8], 16) / 0xFFFFFFFF)
        age = (self.clock() - stats.refreshed_at).total_seconds()
        return age >= self.options.refresh_seconds * spread

    def _count(self, feed: FeedState, items: Sequence[FeedItem]) -> None:
        if self.metrics is None:
            return
        m, name = self.metrics, self.marketplace
        calls, gaps = feed.counted
        m.feed_calls.labels(name, feed.category).inc(feed.calls - calls)
        m.feed_overflows.labels(name, feed.category).inc(feed.gaps - gaps)
        m.feed_new_listings.labels(name, feed.category).inc(len(items))
        feed.counted = (feed.calls, feed.gaps)

    def _publish(self, found: Plan, queries: Sequence[QueryDemand]) -> None:
        if self.metrics is None:
            return
        m, name = self.metrics, self.marketplace
        for category, cost in found.feeds.items():
            m.feed_queries.labels(name, category).set(cost.queries)
            m.feed_interval.labels(name, category).set(cost.interval)
        for part, value in (
            ("feeds", found.feed_calls),
            ("polls", found.poll_calls),
            ("refresh", found.refresh_calls),
            ("budget", found.budget),
        ):
            m.plan_calls.labels(name, part).set(value)
        m.plan_queries.labels(name, "feed").set(len(found.served))
        m.plan_queries.labels(name, "poll").set(len(found.poll_interval))
        for tier, worst in freshness(found, queries).items():
            m.plan_freshness.labels(name, tier).set(worst)
            m.plan_slowdown.labels(name, tier).set(found.slowed(tier))


def freshness(found: Plan, queries: Sequence[QueryDemand]) -> dict[str, float]:
    """Per tier, the longest planned time between two looks at one of its queries."""
    worst: dict[str, float] = {}
    for query in queries:
        if query.key in found.served:
            seconds = max(found.feeds[c].interval for c in found.served[query.key])
        else:
            seconds = found.poll_interval.get(query.key, query.interval)
        worst[query.tier] = max(worst.get(query.tier, 0.0), seconds)
    return worst


_TIERS = ("free", "starter", "pro", "business")


def _tier_rank(tier: str) -> int:
    return _TIERS.index(tier) if tier in _TIERS else 0
