"""The quota planner for category feeds (issue 18): which categories to read as feeds, how
often each feed and each polled query is read, and who slows down when the day's calls do
not stretch to everyone. Pure functions: no I/O, no clock.

Two ways to serve a distinct query:

* **polled**: its own request every interval it is owed (its fastest search's plan), one
  call a check (``poll_call_share`` < 1 when OR-batching shares calls);
* **by feeds**: the newest listings of the one to few categories its matches fall in,
  read for every query of those categories together and matched locally.

A feed's cost does not depend on how many queries it serves: it is read every
``interval`` seconds, where ``interval`` is the shorter of the interval its queries are owed
and the time in which ``useful_page`` new listings arrive (a busy category is read often so
that each read is about one full page; a quiet one as seldom as its queries allow), and one
read costs ``ceil(new per read / page_size)`` pages. A category becomes a feed when that is
cheaper than polling the queries that only it keeps off polling (greedy, removing the feed
that costs most more than polling its queries, until every remaining one pays for itself).
A parent category is read instead of its children where that is cheaper (a quiet branch's
many leaves in one page); a query is served when each of its leaves is in some feed.

When the calls needed exceed ``budget`` (calls a day), the tiers slow down slowest plan
first (``TIER_ORDER``): each tier's intervals are stretched by one factor, found by bisection,
up to the slowest check (a day); only when a tier is at its slowest does the next one slow.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

__all__ = [
    "DAY_SECONDS",
    "TIER_ORDER",
    "FeedCost",
    "Plan",
    "PlanOptions",
    "QueryDemand",
    "feed_interval",
    "plan",
]

DAY_SECONDS = 86_400.0
TIER_ORDER = ("free", "starter", "pro", "business")  # slowest plan first: slowed first
SLOWEST_SECONDS = 86_400.0  # the slowest check a plan allows (1440 min)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    budget: float = 5000.0  # calls a day the plan may spend (the quota less a reserve)
    page_size: int = 200  # Browse's largest page
    useful_page: float = 150.0  # a busy feed is read when about this many are new
    poll_call_share: float = 1.0  # calls per polled check (OR-batching makes it smaller)
    refresh_seconds: float = 7 * DAY_SECONDS  # each feed-served query's own poll, weekly


@dataclass(frozen=True, slots=True)
class QueryDemand:
    """One distinct query: who it is owed to (fastest interval, best tier) and the categories
    feeds could serve it from (empty: it can only be polled)."""

    key: str
    interval: float
    tier: str
    categories: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedCost:
    category: str
    interval: float  # seconds between reads
    pages: int  # pages a read takes
    calls_per_day: float
    queries: int


@dataclass(slots=True)
class Plan:
    """What to do: feeds by category, the queries each serves, and intervals."""

    feeds: dict[str, FeedCost] = field(default_factory=dict)
    served: dict[str, tuple[str, ...]] = field(default_factory=dict)  # query key → its feeds
    poll_interval: dict[str, float] = field(default_factory=dict)  # polled query key → s
    stretch: dict[str, float] = field(default_factory=dict)  # tier → factor (1: on plan)
    calls_per_day: float = 0.0
    feed_calls: float = 0.0
    poll_calls: float = 0.0
    refresh_calls: float = 0.0
    budget: float = 0.0

    @property
    def fits(self) -> bool:
        return self.calls_per_day <= self.budget + 1e-9

    def slowed(self, tier: str) -> float:
        return self.stretch.get(tier, 1.0)


def feed_interval(rate_per_day: float, owed: float, options: PlanOptions) -> tuple[float, int]:
    """(seconds between reads, pages a read takes) of a feed with ``rate_per_day`` new
    listings whose queries are owed a check every ``owed`` seconds."""
    rate = max(0.0, rate_per_day) / DAY_SECONDS
    interval = owed if rate <= 0 else min(owed, max(1.0, options.useful_page / rate))
    pages = max(1, math.ceil(rate * interval / options.page_size))
    return interval, pages


@dataclass(frozen=True, slots=True)
class _Planning:
    """What a plan is worked out for: the distinct queries, new listings a day per category
    (``rates``), each tier's slow-down factor (``stretch``), the options and the category
    tree (``parents``: category → parent). The feeds are what the planner chooses, so they
    are passed beside it; ``plan`` tries other stretches with ``at``."""

    queries: Sequence[QueryDemand]
    rates: Mapping[str, float]
    stretch: Mapping[str, float]
    options: PlanOptions
    parents: Mapping[str, str]

    def at(self, stretch: Mapping[str, float]) -> _Planning:
        return replace(self, stretch=stretch)


def _stretched(interval: float, tier: str, stretch: Mapping[str, float]) -> float:
    return min(SLOWEST_SECONDS, max(interval, interval * stretch.get(tier, 1.0)))


def _feed_cost(category: str, members: Sequence[QueryDemand], planning: _Planning) -> FeedCost:
    owed = min(_stretched(q.interval, q.tier, planning.stretch) for q in members)
    interval, pages = feed_interval(planning.rates.get(category, 0.0), owed, planning.options)
    return FeedCost(category, interval, pages, DAY_SECONDS / interval * pages, len(members))


def _poll_cost(query: QueryDemand, planning: _Planning) -> float:
    stretched = _stretched(query.interval, query.tier, planning.stretch)
    return DAY_SECONDS / stretched * planning.options.poll_call_share


def _cover(leaf: str, feeds: set[str], parents: Mapping[str, str]) -> str | None:
    """The feed that holds ``leaf``'s listings: the leaf's own, or an ancestor's."""
    node: str | None = leaf
    seen: set[str] = set()
    while node is not None and node not in seen:
        if node in feeds:
            return node
        seen.add(node)
        node = parents.get(node)
    return None


def _members(
    queries: Iterable[QueryDemand], feeds: set[str], parents: Mapping[str, str]
) -> tuple[dict[str, list[QueryDemand]], list[QueryDemand], dict[str, tuple[str, ...]]]:
    """Queries served (each category of theirs in a feed, its own or an ancestor's), by
    feed; those polled; and the feeds each served query is read from."""
    by_feed: dict[str, list[QueryDemand]] = {}
    polled: list[QueryDemand] = []
    served: dict[str, tuple[str, ...]] = {}
    for query in queries:
        covers = [_cover(c, feeds, parents) for c in query.categories]
        if not query.categories or None in covers:
            polled.append(query)
            continue
        mine = tuple(sorted({c for c in covers if c is not None}))
        served[query.key] = mine
        for feed in mine:
            by_feed.setdefault(feed, []).append(query)
    return by_feed, polled, served


def _cost(planning: _Planning, feeds: set[str]) -> Plan:
    by_feed, polled, served = _members(planning.queries, feeds, planning.parents)
    found = Plan(stretch=dict(planning.stretch), budget=planning.options.budget, served=served)
    for category, members in sorted(by_feed.items()):
        found.feeds[category] = _feed_cost(category, members, planning)
    for query in polled:
        found.poll_interval[query.key] = _stretched(query.interval, query.tier, planning.stretch)
        found.poll_calls += _poll_cost(query, planning)
    found.feed_calls = sum(f.calls_per_day for f in found.feeds.values())
    found.refresh_calls = len(found.served) * DAY_SECONDS / planning.options.refresh_seconds
    found.calls_per_day = found.feed_calls + found.poll_calls + found.refresh_calls
    return found


def _ancestors(category: str, parents: Mapping[str, str]) -> list[str]:
    found: list[str] = []
    node = parents.get(category)
    while node is not None and node not in found:
        found.append(node)
        node = parents.get(node)
    return found


def _merge_up(planning: _Planning, feeds: set[str]) -> set[str]:
    """Read a parent category instead of its children's feeds where that costs less: a
    quiet branch's many leaves in one page (only parents whose rate was measured)."""
    parents = planning.parents
    for _ in range(3):  # a level of the tree per round
        ancestors = sorted(
            {a for c in feeds for a in _ancestors(c, parents) if a in planning.rates}
        )
        changed = False
        for ancestor in ancestors:
            below = {c for c in feeds if ancestor in _ancestors(c, parents)}
            if not below:
                continue
            now = _cost(planning, feeds).feed_calls
            merged = (feeds - below) | {ancestor}
            if _cost(planning, merged).feed_calls < now:
                feeds, changed = merged, True
        if not changed:
            break
    return feeds


def _choose_feeds(planning: _Planning) -> set[str]:
    """Every candidate leaf, merged up where a parent is cheaper; then drop the feed that
    costs most more than polling the queries it serves would, while one does (a query
    served by several feeds is polled as soon as one of them goes)."""
    queries = planning.queries
    feeds = _merge_up(planning, {c for q in queries for c in q.categories})
    while feeds:
        by_feed, _, _ = _members(queries, feeds, planning.parents)
        worst, loss = "", 0.0
        for category in sorted(feeds):
            members = by_feed.get(category, [])
            if not members:
                worst = category
                break
            cost = _feed_cost(category, members, planning).calls_per_day
            polled = sum(_poll_cost(q, planning) for q in members)
            refresh = len(members) * DAY_SECONDS / planning.options.refresh_seconds
            if cost + refresh - polled > loss:
                worst, loss = category, cost + refresh - polled
        if not worst:
            break
        feeds.discard(worst)
    return feeds


def plan(
    queries: Sequence[QueryDemand],
    rates: Mapping[str, float],
    options: PlanOptions | None = None,
    parents: Mapping[str, str] | None = None,
) -> Plan:
    """The cheapest split of ``queries`` between feeds and polls (``rates``: new listings
    a day per category; ``parents``: category → parent category, where known), slowed
    tier by tier, slowest plan first, until it fits the budget."""
    planning = _Planning(queries, rates, {}, options or PlanOptions(), parents or {})
    feeds = _choose_feeds(planning)  # with every tier on its plan's intervals
    found = _cost(planning, feeds)
    stretch: dict[str, float] = {}
    for tier in TIER_ORDER:
        if found.fits:
            break
        if not any(q.tier == tier for q in queries):
            continue
        high = max(SLOWEST_SECONDS / min(q.interval for q in queries), 1.0)
        at_slowest = _cost(planning.at({**stretch, tier: high}), feeds)
        if not at_slowest.fits:  # this tier at its slowest is not enough: the next slows too
            stretch[tier] = high
            found = at_slowest
            continue
        low = 1.0
        for _ in range(40):
            middle = (low + high) / 2
            trial = _cost(planning.at({**stretch, tier: middle}), feeds)
            if trial.fits:
                high = middle
            else:
                low = middle
        stretch[tier] = high
        found = _cost(planning.at(stretch), feeds)
    return found
