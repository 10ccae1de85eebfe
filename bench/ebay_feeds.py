"""Benchmark of eBay category feeds (issue 18; prints figures, not a test).

A fake Browse catalogue with a category model (tests/fakes/ebay_catalogue.py): a few busy
leaf categories (phones, cases, consoles, watches, laptops, bikes, coats: 3,000–20,000 new
listings a day) and a long tail of 150 quiet ones (1,500/k^0.8 a day) under 8 parents,
titles made of each leaf's brand and model words plus common words. Keyword and category
searches are answered from that one catalogue by the same rules (scrapers/ebay/rules.py).

N distinct queries are drawn Zipf-like over the leaves (busy ones first): brand + model
words, sometimes a common word, a price cap or a condition. All are owed a 5-minute check.

Simulated time (a virtual clock): ``--history`` hours of listings exist at the start (the
queries' first checks learn their categories from them); then ``--hours`` of listings
arrive while the real FeedService (scrapers/ebay/feeds.py, planner core/feedplan.py) reads
the feeds every 30 virtual seconds, against the catalogue in-process (the wire format is
exercised by tests/integration/test_ebay_feeds.py). Per-query polling and its completeness
baseline are computed from the same catalogue: a 5-minute poll of each query's own request
(``limit`` 50, further pages when more are new), then core.matching; OR-batching is
measured by running the real SearchBatcher on every query, all due together, for
``--batch-rounds`` 5-minute rounds. Calls a day are scaled from the simulated hours.

    .venv/bin/python bench/ebay_feeds.py                 # 100, 1,000 and 10,000 queries
    .venv/bin/python bench/ebay_feeds.py --queries 1000 --hours 2
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, from anywhere

from core.criteria import Criteria
from core.enums import BuyingFormat, Condition
from core.feedplan import PlanOptions, QueryDemand, plan
from core.fetchkeys import upstream_query
from core.matching import matches
from core.ports import KeyDemand, MarketplaceQuery
from scrapers.ebay.batching import BatchOptions, SearchBatcher
from scrapers.ebay.feeds import FeedOptions, FeedService, signature
from scrapers.ebay.parse import page_facts, parse_search
from scrapers.ebay.query import search_params
from scrapers.ebay.sites import site_for
from tests.fakes.ebay_api import item
from tests.fakes.ebay_catalogue import CategoryCatalogue
from tests.fakes.feed_host import MemoryFeedHost

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)
SITE = site_for("EBAY_GB")
COMMON = ("boxed", "used", "excellent", "uk", "bundle", "genuine", "black", "white", "spares")
PHONES = {"iphone": ["11", "12", "13", "14", "15", "se"], "samsung": ["s21", "s22", "s23", "a52"],
          "pixel": ["6", "7", "8", "7a"]}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Leaf:
    id: str
    parent: str
    name: str
    per_day: float
    brands: dict[str, list[str]]
    price: float
    extra: tuple[str, ...] = ()  # words every title of the leaf holds (a case's "case")


def leaves() -> list[Leaf]:
    busy = [
        Leaf("9355", "15032", "Mobile & Smart Phones", 20_000, PHONES, 300),
        Leaf("20349", "15032", "Cases & Covers", 9_000, PHONES, 12, ("case",)),
        Leaf("139971", "1249", "Video Game Consoles", 6_000,
             {"ps5": ["disc", "digital", "slim"], "xbox": ["series", "one"],
              "nintendo": ["switch", "oled", "lite"]}, 250),
        Leaf("31387", "281", "Wrist Watches", 8_000,
             {"rolex": ["submariner", "datejust"], "omega": ["speedmaster", "seamaster"],
              "seiko": ["presage", "turtle", "5"], "casio": ["gshock", "f91w"]}, 400),
        Leaf("175672", "58058", "Laptops & Netbooks", 7_000,
             {"macbook": ["air", "pro", "m1", "m2"], "thinkpad": ["x1", "t480", "x220"],
              "dell": ["xps", "latitude"]}, 500),
        Leaf("177831", "888", "Bikes", 3_000,
             {"brompton": ["m6l", "c"], "trek": ["domane", "marlin"],
              "specialized": ["allez", "rockhopper"]}, 600),
        Leaf("57990", "11450", "Coats & Jackets", 15_000,
             {"barbour": ["bedale", "beaufort"], "northface": ["nuptse", "puffer"],
              "moncler": ["maya", "gilet"]}, 150),
    ]  # fmt: skip
    parents = ["1", "220", "11116", "550", "267", "11700", "619", "2984"]
    tail = [
        Leaf(
            str(100_000 + k),
            parents[k % len(parents)],
            f"Tail {k}",
            1_500 / k**0.8,
            {f"t{k}b{j}": [f"t{k}m{j}{i}" for i in range(4)] for j in range(4)},
            40,
        )
        for k in range(1, 151)
    ]
    return busy + tail


def catalogue_for(model: list[Leaf]) -> CategoryCatalogue:
    catalogue = CategoryCatalogue(common_words=frozenset(COMMON))
    for leaf in model:
        catalogue.parents[leaf.id] = leaf.parent
        catalogue.names[leaf.id] = leaf.name
        words = {w for brand, models in leaf.brands.items() for w in [brand, *models]}
        catalogue.vocabulary[leaf.id] = frozenset(words | set(leaf.extra))
    return catalogue


@dataclass(frozen=True, slots=True)
class Arrival:
    at: float  # seconds from EPOCH
    leaf: str
    summary: dict[str, Any]


def arrivals(model: list[Leaf], start: float, end: float, rng: random.Random) -> list[Arrival]:
    found: list[Arrival] = []
    number = 0
    for leaf in model:
        rate = leaf.per_day / 86_400.0
        at = start + rng.expovariate(rate)
        while at < end:
            number += 1
            brand = rng.choice(list(leaf.brands))
            words = [brand, rng.choice(leaf.brands[brand]), *leaf.extra]
            words += rng.sample(COMMON, rng.randint(0, 2))
            price = Decimal(str(round(leaf.price * rng.lognormvariate(0, 0.6), 2)))
            auction = rng.random() < 0.15
            summary = item(
                number * 1000 + len(found) % 1000,
                " ".join(words).title(),
                (EPOCH + timedelta(seconds=at)).isoformat().replace("+00:00", "Z"),
                price=str(price),
                conditionId="1000" if rng.random() < 0.3 else "3000",
                buyingOptions=["AUCTION"] if auction else ["FIXED_PRICE"],
            )
            summary["itemId"] = f"v1|{len(found) + 1}|0"
            found.append(Arrival(at, leaf.id, summary))
            at += rng.expovariate(rate)
    return sorted(found, key=lambda a: a.at)


def draw_queries(
    model: list[Leaf], n: int, zipf: float, rng: random.Random
) -> list[tuple[Criteria, MarketplaceQuery]]:
    weights = [1 / (k + 1) ** zipf for k in range(len(model))]
    found: dict[MarketplaceQuery, Criteria] = {}
    while len(found) < n:
        leaf = rng.choices(model, weights)[0]
        brand = rng.choice(list(leaf.brands))
        words = [brand] + ([rng.choice(leaf.brands[brand])] if rng.random() < 0.85 else [])
        words += list(leaf.extra) + ([rng.choice(COMMON)] if rng.random() < 0.15 else [])
        cap = None if rng.random() < 0.5 else Decimal(round(leaf.price * rng.uniform(0.3, 2)))
        condition = rng.choices(list(Condition), [0.7, 0.1, 0.2])[0]
        criteria = Criteria(
            keywords=" ".join(words), max_price=cap, condition=condition,
            buying_format=BuyingFormat.BOTH,
        )  # fmt: skip
        found.setdefault(upstream_query(criteria, "ebay"), criteria)
    return [(c, q) for q, c in found.items()]


@dataclass(slots=True)
class Result:
    n: int
    per_query: float
    batching: float
    feeds: float
    feed_reads: float
    polled_queries: int
    served: int
    feeds_count: int
    refresh: float
    probes: int
    priming: int
    suggestions: int
    completeness: float
    missed: int
    extra: int
    baseline_alerts: int
    delays: list[float]
    planned: float
    seconds: float


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.model = leaves()
        rng = random.Random(args.seed)
        hours = args.hours * 3600.0
        self.history = arrivals(self.model, -args.history * 3600.0, 0.0, rng)
        self.live = arrivals(self.model, 0.0, hours, random.Random(args.seed + 1))
        self.now = 0.0

    def clock(self) -> datetime:
        return EPOCH + timedelta(seconds=self.now)

    async def run(self, n: int) -> Result:
        started = time.perf_counter()
        args = self.args
        catalogue = catalogue_for(self.model)
        for arrival in self.history:
            catalogue.add(arrival.summary, arrival.leaf)
        queries = draw_queries(self.model, n, args.zipf, random.Random(args.seed + n))
        calls = {"n": 0}

        async def fetch(params: dict[str, str]) -> Mapping[str, Any]:
            calls["n"] += 1
            return catalogue.answer(params)

        async def suggest(q: str) -> Mapping[str, Any]:
            return catalogue.suggest(q)

        host = MemoryFeedHost(
            keys=[KeyDemand(signature(q, SITE), q, 300, "pro") for _, q in queries]
        )
        options = FeedOptions(keep_per_query=10**9, refresh_seconds=args.refresh_days * 86_400)
        self.now = 0.0
        # An unbounded budget: the calls needed at 5-minute freshness, nobody slowed.
        service = FeedService(
            SITE, fetch, host, daily_calls=10**12, options=options, clock=self.clock,
            suggest=suggest,
        )  # fmt: skip
        for _, query in queries:  # each query's first check: its own request
            payload = await fetch({**search_params(query, SITE), "limit": "200"})
            service.remember_categories(payload)
            await service.learn(query, parse_search(payload))
        priming = calls["n"]
        batching = await self._batching(catalogue, queries)
        calls["n"] = 0
        alerted, first_seen, feed_calls = await self._feeds(service, catalogue, calls)
        return self._figures(
            n, catalogue, queries, service, alerted, first_seen, feed_calls, priming, batching,
            started,
        )  # fmt: skip

    async def _batching(
        self, catalogue: CategoryCatalogue, queries: list[tuple[Criteria, MarketplaceQuery]]
    ) -> float:
        """Calls a 5-minute round takes with OR-batching, every query due together."""
        counted = {"n": 0}

        async def fetch(params: dict[str, str], category: str) -> Any:
            counted["n"] += 1
            payload = catalogue.answer(params)
            return parse_search(payload, category=category), page_facts(payload)

        batcher = SearchBatcher(SITE, fetch, BatchOptions(window_seconds=0.0))
        rounds = self.args.batch_rounds
        for _ in range(rounds):
            await asyncio.gather(*(batcher.search(q) for _, q in queries))
        return counted["n"] / rounds * 288

    async def _feeds(
        self, service: FeedService, catalogue: CategoryCatalogue, calls: dict[str, int]
    ) -> tuple[dict[str, set[str]], dict[str, float], int]:
        """Run the feeds over the live hours, then on (no new listings) until every listing
        was read; the calls of the live hours only, less the rate probes."""
        alerted: dict[str, set[str]] = defaultdict(set)
        first_seen: dict[str, float] = {}
        end = self.args.hours * 3600.0
        pending = iter(self.live)
        upcoming = next(pending, None)
        self.now = 0.0
        spent = 0
        while self.now <= end + 900:
            if self.now <= end:
                spent = calls["n"] - service.probes
            while upcoming is not None and upcoming.at <= self.now:
                catalogue.add(upcoming.summary, upcoming.leaf)
                upcoming = next(pending, None)
            await service.step()
            for sig, served in service.served.items():
                for listing in served.found:
                    if listing.external_id not in alerted[sig]:
                        alerted[sig].add(listing.external_id)
                        first_seen.setdefault(listing.external_id, self.now)
            self.now += 30.0
        return alerted, first_seen, spent

    def _figures(
        self,
        n: int,
        catalogue: CategoryCatalogue,
        queries: list[tuple[Criteria, MarketplaceQuery]],
        service: FeedService,
        alerted: dict[str, set[str]],
        first_seen: dict[str, float],
        feed_calls: int,
        priming: int,
        batching: float,
        started: float,
    ) -> Result:
        hours = self.args.hours
        scale = 24 / hours
        live_from = len(self.history)
        moment = self.clock()
        per_query_total = 0.0
        polled_cost = 0.0
        found_total = missed = extra = 0
        delays: list[float] = []
        found_plan = service.plan
        assert found_plan is not None
        by_id = {
            catalogue.listings[i].external_id: i for i in range(live_from, len(catalogue.items))
        }
        for criteria, query in queries:
            sig = signature(query, SITE)
            params = {**search_params(query, SITE), "limit": "200"}
            live = [i for i in catalogue.matching(params) if i >= live_from]
            pages = _poll_pages(catalogue, live, hours, query.limit)
            per_query_total += pages
            if sig not in found_plan.served:
                polled_cost += pages
                continue
            wanted = {
                catalogue.listings[i].external_id
                for i in live
                if matches(criteria, catalogue.listings[i], moment)
            }
            got = {
                x for x in alerted.get(sig, set())
                if x in by_id and matches(criteria, catalogue.listings[by_id[x]], moment)
            }  # fmt: skip
            found_total += len(wanted)
            missed += len(wanted - got)
            extra += len(got - wanted)
            for x in wanted & got:
                posted = catalogue.listings[by_id[x]].posted_at
                assert posted is not None
                delays.append(first_seen[x] - (posted - EPOCH).total_seconds())
        feeds_total = feed_calls * scale + polled_cost * scale + found_plan.refresh_calls
        return Result(
            n=n,
            per_query=per_query_total * scale,
            batching=batching,
            feeds=feeds_total,
            feed_reads=feed_calls * scale,
            polled_queries=len(queries) - len(found_plan.served),
            served=len(found_plan.served),
            feeds_count=len(found_plan.feeds),
            refresh=found_plan.refresh_calls,
            probes=service.probes,
            priming=priming,
            suggestions=catalogue.suggestion_requests,
            completeness=1.0 if not found_total else (found_total - missed) / found_total,
            missed=missed,
            extra=extra,
            baseline_alerts=found_total,
            delays=delays,
            planned=found_plan.calls_per_day,
            seconds=time.perf_counter() - started,
        )


def _poll_pages(catalogue: CategoryCatalogue, live: list[int], hours: float, limit: int) -> int:
    """Calls of 5-minute polls over ``hours``: one a check, and one more per ``limit``
    listings new since the last check beyond the first page."""
    per_slot: dict[int, int] = defaultdict(int)
    for i in live:
        posted = catalogue.listings[i].posted_at
        assert posted is not None
        per_slot[int((posted - EPOCH).total_seconds() // 300)] += 1
    slots = int(hours * 12)
    return sum(max(1, math.ceil(per_slot.get(s, 0) / limit)) for s in range(slots))


def largest(bench: Bench, service_rates: dict[str, float], parents: dict[str, str],
            quota: int, refresh_days: float) -> list[tuple[int, float, int]]:  # fmt: skip
    """Planner estimates for growing N (categories from the category model): calls a day."""
    catalogue = catalogue_for(bench.model)
    rows = []
    for n in (1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000, 20_000):
        queries = draw_queries(bench.model, n, bench.args.zipf, random.Random(n))
        demand = []
        for _, query in queries:
            leaves_ = [
                s["category"]["categoryId"]
                for s in catalogue.suggest(search_params(query, SITE)["q"])["categorySuggestions"]
            ]
            demand.append(QueryDemand(signature(query, SITE), 300.0, "pro", tuple(leaves_)))
        # Unbounded budget: the calls needed with nobody slowed down.
        options = PlanOptions(budget=1e12, refresh_seconds=refresh_days * 86_400)
        found = plan(demand, service_rates, options, parents)
        rows.append((n, found.calls_per_day, len(found.poll_interval)))
    return rows


def _pct(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: list[Result], quota: int) -> None:
    print("\ncalls a day at 5-minute freshness (simulated; scaled to 24 h)")
    print(f"{'queries':>8} {'per-query':>10} {'batching':>9} {'feeds':>7} {'x fewer':>8} "
          f"{'feeds':>6} {'served':>7} {'polled':>7} {'refresh':>8} {'planned':>8}")  # fmt: skip
    for r in results:
        print(
            f"{r.n:>8} {r.per_query:>10.0f} {r.batching:>9.0f} {r.feeds:>7.0f} "
            f"{r.per_query / max(1.0, r.feeds):>8.1f} {r.feeds_count:>6} {r.served:>7} "
            f"{r.polled_queries:>7} {r.refresh:>8.0f} {r.planned:>8.0f}"
        )
    print("\ncompleteness of the feed path against per-query polling (served queries)")
    print(f"{'queries':>8} {'alerts':>8} {'complete':>9} {'missed':>7} {'extra':>6} "
          f"{'delay p50':>10} {'p95':>6} {'p99':>6} {'max':>6} {'one-off calls':>14}")  # fmt: skip
    for r in results:
        print(
            f"{r.n:>8} {r.baseline_alerts:>8} {r.completeness:>9.2%} {r.missed:>7} {r.extra:>6} "
            f"{statistics.median(r.delays) if r.delays else 0:>9.0f}s "
            f"{_pct(r.delays, 0.95):>5.0f}s {_pct(r.delays, 0.99):>5.0f}s "
            f"{max(r.delays, default=0):>5.0f}s "
            f"{r.priming:>6}+{r.probes} probes ({r.suggestions} taxonomy, {r.seconds:.0f}s run)"
        )
    within = [r.n for r in results if r.feeds <= quota and max(r.delays, default=0) <= 330]
    print(f"\nlargest simulated N kept within 5 minutes on {quota} calls/day: "
          f"{max(within, default=0)} (feeds column ≤ {quota}, every alert within 5 min + "
          "the 30-s simulation tick)")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, nargs="*", default=[100, 1_000, 10_000])
    parser.add_argument("--hours", type=float, default=3.0, help="simulated live hours")
    parser.add_argument("--history", type=float, default=24.0, help="hours of listings before")
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--quota", type=int, default=5_000)
    parser.add_argument("--refresh-days", type=float, default=7.0)
    parser.add_argument("--batch-rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=18)
    args = parser.parse_args()
    bench = Bench(args)
    print(
        f"catalogue: {len(bench.model)} leaf categories, {len(bench.history)} listings of "
        f"history, {len(bench.live)} arriving in {args.hours:g} simulated hours "
        f"({len(bench.live) * 24 / args.hours:.0f} a day); Zipf s={args.zipf}"
    )
    results = []
    rates: dict[str, float] = {}
    parents: dict[str, str] = {}
    for n in args.queries:
        result = await bench.run(n)
        results.append(result)
        print(f"  {n} queries simulated in {result.seconds:.0f} s", flush=True)
    report(results, args.quota)
    # The largest N: the planner's estimate with the rates the last run measured.
    model_rates = {leaf.id: leaf.per_day for leaf in bench.model}
    for leaf in bench.model:
        rates[leaf.parent] = rates.get(leaf.parent, 0.0) + leaf.per_day
        parents[leaf.id] = leaf.parent
    rates.update(model_rates)
    print(f"\nplanner estimate for more queries (5-minute freshness; the planner spends "
          f"90 % of the quota, {args.quota * 0.9:.0f})")  # fmt: skip
    for n, calls, polled in largest(bench, rates, parents, args.quota, args.refresh_days):
        verdict = (
            "fits the planner's 90 %" if calls <= args.quota * 0.9
            else "fits the quota" if calls <= args.quota else "over"
        )  # fmt: skip
        print(f"{n:>8} queries: {calls:>7.0f} calls/day needed ({polled} polled) {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
