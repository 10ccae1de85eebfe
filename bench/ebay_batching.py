"""Benchmark of eBay batching (prints figures; not a test).

N active searches drawn Zipf(s) from realistic eBay-style queries, against the local fake
Browse API (tests/fakes/ebay_api.py) with a catalogue in which popular queries have many
listings and rare ones few, and new listings arriving between checks. Equal queries are
coalesced first (as the runner does), so each check round asks every distinct query once,
concurrently, at most ``--concurrency`` at a time (the runner's aiojobs limit). Two
EbayMarketplace instances, batching on and off, check the same queries against the same
fake in the same run; the upstream search calls of each are counted, and every query's
result with batching on is compared with batching off.

Two load shapes:

* ``all-due``: every distinct query is due in the same tick (e.g. after a restart, or a
  short interval with many searches) — the best case for batching;
* ``spread``: the queries are spread over the check interval (``--interval`` ticks of about
  one second), as the scheduler spreads them, so a tick holds only the queries due then.

    .venv/bin/python bench/ebay_batching.py
    .venv/bin/python bench/ebay_batching.py --searches 100000 --pool 3000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, from anywhere

from core.db import open_database
from core.ports import ListingData, MarketplaceQuery
from core.quota import DailyQuota
from scrapers.ebay import EbayMarketplace
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi, item

BRANDS: dict[str, list[str]] = {
    "iphone": ["11", "12", "12 mini", "13", "13 pro", "13 pro max", "14", "14 pro", "15",
               "15 pro", "se"],
    "samsung galaxy": ["s21", "s22", "s23 ultra", "a52", "z flip", "tab s8", "watch 5"],
    "google pixel": ["6", "7 pro", "8", "7a"],
    "ps5": ["console", "controller", "disc", "digital", "slim", "headset"],
    "xbox": ["series x", "series s", "one x", "controller elite"],
    "nintendo": ["switch oled", "switch lite", "gameboy advance", "ds lite", "64", "wii u"],
    "lego": ["star wars", "technic", "millennium falcon", "harry potter", "ninjago",
             "city police", "creator", "icons"],
    "rolex": ["submariner", "datejust", "gmt master"],
    "omega": ["speedmaster", "seamaster"],
    "seiko": ["5 sports", "presage", "prospex turtle"],
    "casio": ["g shock", "f91w"],
    "nike": ["air max 90", "dunk low", "air force 1", "jordan 1"],
    "adidas": ["samba", "gazelle", "ultraboost"],
    "dyson": ["v11", "v15", "airwrap", "supersonic"],
    "macbook": ["air m1", "air m2", "pro 14", "pro 16"],
    "thinkpad": ["x1 carbon", "t480", "x220"],
    "canon": ["eos r6", "ae 1", "5d mark iv"],
    "nikon": ["d750", "z6", "fm2"],
    "leica": ["m6", "q2"],
    "fujifilm": ["x100v", "xt30"],
    "brompton": ["m6l", "c line"],
    "trek": ["domane", "marlin 7"],
    "pokemon": ["charizard", "base set", "booster box", "pikachu"],
    "vinyl": ["pink floyd", "beatles", "oasis"],
    "kitchenaid": ["artisan mixer"],
    "le creuset": ["casserole", "kettle"],
    "barbour": ["jacket", "bedale"],
    "north face": ["nuptse", "puffer"],
    "ipad": ["air", "pro 11", "mini 6"],
    "airpods": ["pro", "max"],
}  # fmt: skip
MODIFIERS = ["boxed", "bundle", "spares", "used", "new", "sealed", "128gb", "256gb", "black",
             "white", "faulty", "job lot", "uk", "vintage", "rare"]  # fmt: skip
FILLER = ["great", "condition", "fast", "postage", "genuine", "original", "tested", "working",
          "with", "box", "charger", "cables", "collection", "only", "free", "p&p"]  # fmt: skip


def query_pool(size: int, rng: random.Random) -> list[str]:
    """Distinct realistic queries: brand + model, model + modifier, brand alone."""
    base = [f"{brand} {model}" for brand, models in BRANDS.items() for model in models]
    base += list(BRANDS)
    pool = list(dict.fromkeys(base))
    while len(pool) < size:
        pool.append(f"{rng.choice(base)} {rng.choice(MODIFIERS)}")
        pool = list(dict.fromkeys(pool))
    rng.shuffle(pool)
    return pool[:size]


def zipf_sample(pool: list[str], n: int, s: float, rng: random.Random) -> list[str]:
    weights = [1 / (rank**s) for rank in range(1, len(pool) + 1)]
    return rng.choices(pool, weights=weights, k=n)


@dataclass
class Catalogue:
    """Listings in which a query's popularity decides how many it finds."""

    pool: list[str]
    rng: random.Random
    items: list[dict[str, Any]]
    next_id: int = 1
    minute: int = 0

    def add(self, keywords: str) -> None:
        words = keywords.split()
        filler = self.rng.sample(FILLER, 3)
        title = " ".join([*words, *filler]).title()
        created = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=self.minute)
        self.items.append(item(self.next_id, title, created.isoformat().replace("+00:00", "Z")))
        self.next_id += 1
        self.minute += 1

    def seed(self, heavy: int) -> None:
        """The rank-r query gets about heavy / r listings (popular: > one page; rare: few)."""
        for rank, keywords in enumerate(self.pool, start=1):
            for _ in range(max(0, round(heavy / rank**0.9 * self.rng.uniform(0.5, 1.5)))):
                self.add(keywords)

    def arrivals(self, count: int) -> None:
        for keywords in zipf_sample(self.pool, count, 1.0, self.rng):
            self.add(keywords)


def make_ebay(session: aiohttp.ClientSession, url: str, *, batching: bool) -> EbayMarketplace:
    return EbayMarketplace(
        session,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=url,
        quota=DailyQuota("ebay", 10**9),  # counted, never paced: we measure calls, not the budget
        min_interval_seconds=0.0,
        batching=batching,
    )


@dataclass
class Tally:
    checks: int = 0  # distinct-query checks (after coalescing)
    search_checks: int = 0  # search checks those stand for
    calls_on: int = 0
    calls_off: int = 0
    mismatches: int = 0
    seconds_on: float = 0.0


async def check(
    ebay: EbayMarketplace, queries: Sequence[MarketplaceQuery], concurrency: int
) -> list[list[ListingData]]:
    """As the runner: every due query at once, at most ``concurrency`` in flight."""
    gate = asyncio.Semaphore(concurrency)

    async def one(query: MarketplaceQuery) -> list[ListingData]:
        async with gate:
            return await ebay.search(query)

    return list(await asyncio.gather(*(one(q) for q in queries)))


async def tick(
    fake: FakeEbayApi,
    on: EbayMarketplace,
    off: EbayMarketplace,
    due: list[tuple[MarketplaceQuery, int]],
    concurrency: int,
    tally: Tally,
) -> None:
    queries = [q for q, _ in due]
    before = len(fake.searches)
    started = time.perf_counter()
    merged = await check(on, queries, concurrency)
    tally.seconds_on += time.perf_counter() - started
    middle = len(fake.searches)
    alone = await check(off, queries, concurrency)
    tally.calls_on += middle - before
    tally.calls_off += len(fake.searches) - middle
    tally.checks += len(queries)
    tally.search_checks += sum(n for _, n in due)
    tally.mismatches += sum(a != b for a, b in zip(merged, alone, strict=True))


def report(name: str, tally: Tally) -> None:
    per_on = tally.calls_on / max(1, tally.checks)
    per_off = tally.calls_off / max(1, tally.checks)
    print(
        f"{name:>8}: {tally.checks} query checks ({tally.search_checks} search checks): "
        f"calls/check on {per_on:.3f}, off {per_off:.3f}, "
        f"ratio {tally.calls_off / max(1, tally.calls_on):.2f}x; "
        f"per search check on {tally.calls_on / max(1, tally.search_checks):.4f}; "
        f"results differing from batching off: {tally.mismatches}"
    )


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    pool = query_pool(args.pool, rng)
    searches = Counter(zipf_sample(pool, args.searches, args.zipf, rng))
    distinct = [(MarketplaceQuery("ebay", k), n) for k, n in searches.most_common()]
    catalogue = Catalogue(pool, rng, [])
    catalogue.seed(args.heavy)
    fake = FakeEbayApi(catalogue=catalogue.items)
    print(
        f"{args.searches} searches, {len(distinct)} distinct queries (Zipf s={args.zipf} over "
        f"{len(pool)}), catalogue {len(catalogue.items)} listings, "
        f"+{args.arrivals} per round"
    )
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        async with open_database(url), fake.running() as api, aiohttp.ClientSession() as s:
            on, off = make_ebay(s, api, batching=True), make_ebay(s, api, batching=False)
            await check(off, [distinct[0][0]], 1)  # the token, once
            await check(on, [distinct[0][0]], 1)
            first, steady = Tally(), Tally()
            for round_ in range(args.rounds):
                catalogue.arrivals(args.arrivals)
                await tick(
                    fake, on, off, distinct, args.concurrency, first if round_ == 0 else steady
                )
            print("all-due (every distinct query in one tick):")
            report("round 1", first)
            report("later", steady)
            spread = Tally()
            order = distinct[:]
            rng.shuffle(order)
            for start in range(args.interval):
                catalogue.arrivals(max(1, args.arrivals // args.interval))
                due = order[start :: args.interval]
                if due:
                    await tick(fake, on, off, due, args.concurrency, spread)
            print(f"spread (over {args.interval} ticks, ~{len(distinct) / args.interval:.1f} "
                  "queries per tick):")  # fmt: skip
            report("spread", spread)
            print(f"batching wall time for the all-due checks: {steady.seconds_on:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=400, help="distinct queries to draw from")
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--heavy", type=int, default=600, help="listings of the top query")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--arrivals", type=int, default=100, help="new listings per round")
    parser.add_argument("--interval", type=int, default=300, help="ticks per check interval")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
