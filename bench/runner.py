"""Benchmark of the monitoring loop against the sandbox marketplace (prints figures; not a test).

For N searches (default 10,000) over a Zipf(s=1.1) mix of queries it measures, per database:
  * search-checks per second while draining a full due queue (the first pass records the
    baseline; the second pass, after new listings appear, writes alerts);
  * upstream fetches, with coalescing on, against one-fetch-per-search (the baseline, same run);
  * p50/p95/p99 from listings fetched to alert rows committed.

    .venv/bin/python bench/runner.py --searches 10000 --db sqlite --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.db import open_database
from core.enums import Platform
from core.metrics import Metrics
from core.models import Account, Destination, Search
from core.runner import Runner, RunnerOptions
from scrapers import SandboxMarketplace
from scrapers.sandbox.catalogue import CATEGORIES

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def query_pool() -> list[str]:
    """Realistic distinct queries: brand + model, model alone, and aliases."""
    pool: list[str] = []
    for category in CATEGORIES:
        for model in category.models:
            pool.append(f"{model.brand} {model.name}".strip().lower())
            pool.append(model.name.lower())
            pool.extend(alias.lower() for alias in model.aliases)
    return list(dict.fromkeys(q for q in pool if q))


def zipf_sample(pool: list[str], n: int, s: float, rng: random.Random) -> list[str]:
    weights = [1 / (rank**s) for rank in range(1, len(pool) + 1)]
    shuffled = pool[:]
    rng.shuffle(shuffled)
    return rng.choices(shuffled, weights=weights, k=n)


@contextlib.contextmanager
def sandbox_process(port: int, latency_ms: float) -> Iterator[str]:
    """The sandbox in its own process, so its CPU is not counted against the runner's."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "sandbox",
            "--port",
            str(port),
            "--latency-ms",
            str(latency_ms),
            "--listings-per-minute",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "Sandbox marketplace on …"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/health") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError("sandbox did not start")


@contextlib.asynccontextmanager
async def fresh_database(kind: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite://{folder}/bench.sqlite3"
        return
    name = f"mm_bench_{secrets.token_hex(4)}"
    admin = POSTGRES.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def create_searches(queries: list[str]) -> None:
    now = datetime.now(UTC)
    account = await Account.create(tier="business")
    destination = await Destination.create(
        platform=Platform.CONSOLE, chat_id="bench", account=account
    )
    rows = [
        Search(
            account_id=account.id,
            destination_id=destination.id,
            name=q[:80],
            criteria={"keywords": q},
            marketplaces=["sandbox"],
            channels=["chat"],
            interval_seconds=300,
            next_check_at=now,
        )
        for q in queries
    ]
    await Search.bulk_create(rows, batch_size=1000)


async def drain(runner: Runner) -> tuple[int, float]:
    """Check every due search once; returns (checks, seconds)."""
    started = time.perf_counter()
    checked = 0
    while (claimed := await runner.tick()) > 0:
        checked += claimed
    return checked, time.perf_counter() - started


async def post_listings(url: str, queries: list[str], count: int, rng: random.Random) -> None:
    async with aiohttp.ClientSession() as http:
        for i in range(count):
            title = f"{rng.choice(queries).title()} bench listing {i}"
            body = {"title": title, "price": str(rng.randint(20, 900))}
            async with http.post(url + "/api/listings", json=body) as response:
                response.raise_for_status()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run_one(kind: str, url: str, args: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(args.seed)
    queries = zipf_sample(query_pool(), args.searches, args.zipf, rng)
    async with fresh_database(kind) as db_url, open_database(db_url):
        await create_searches(queries)
        async with aiohttp.ClientSession() as http:
            market = SandboxMarketplace(http, url)
            metrics = Metrics(keep_samples=True)
            options = RunnerOptions(
                batch_size=args.batch,
                skip_locked=(kind == "postgres"),
                max_concurrent_fetches=args.concurrency,
            )
            runner = Runner({"sandbox": market}, options=options, metrics=metrics)
            cpu0 = time.process_time()
            prime_checks, prime_s = await drain(runner)
            await post_listings(url, sorted(set(queries)), args.new_listings, rng)
            await Search.all().update(next_check_at=datetime.now(UTC))
            fetches_before = metrics.fetches.labels("sandbox")._value.get()
            checks, seconds = await drain(runner)
            fetches = metrics.fetches.labels("sandbox")._value.get() - fetches_before
            cpu = time.process_time() - cpu0
        samples = metrics.match_latency_samples or []
        return {
            "prime_rate": prime_checks / prime_s,
            "rate": checks / seconds,
            "checks": checks,
            "fetches": fetches,
            "fetches_uncoalesced": checks,  # one fetch per search-check without sharing
            "alert_groups": len(samples),
            "p50": pct(samples, 50) * 1000,
            "p95": pct(samples, 95) * 1000,
            "p99": pct(samples, 99) * 1000,
            "cpu": cpu,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def report(kind: str, r: dict[str, float], args: argparse.Namespace) -> None:
    ratio = r["fetches_uncoalesced"] / max(1.0, r["fetches"])
    print(
        f"\n== {kind}: {args.searches:,} searches, Zipf s={args.zipf}, "
        f"sandbox latency {args.latency_ms} ms"
    )
    print(
        f"  search-checks/s   first pass (baseline) {r['prime_rate']:8.0f}   "
        f"second pass (alerts) {r['rate']:8.0f}"
    )
    print(
        f"  upstream fetches  {r['fetches']:8.0f} coalesced vs {r['fetches_uncoalesced']:.0f} "
        f"one-per-search  → {ratio:.1f}× fewer ({r['fetches'] / r['checks']:.3f} per check)"
    )
    print(
        f"  fetched → alert rows committed (ms, {r['alert_groups']:.0f} fetches with alerts): "
        f"p50 {r['p50']:.1f}  p95 {r['p95']:.1f}  p99 {r['p99']:.1f}"
    )
    print(f"  CPU {r['cpu']:.1f} s, peak RSS {r['rss_mb']:.0f} MiB")


async def main_async(args: argparse.Namespace) -> None:
    with sandbox_process(args.port, args.latency_ms) as url:
        await wait_ready(url)
        for kind in args.db or ["sqlite"]:
            report(kind, await run_one(kind, url, args), args)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--searches", type=int, default=10_000)
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--new-listings", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    if args.db and len(args.db) > 1:
        # One process per database: Tortoise keeps per-model SQL built for the first backend,
        # and each run's peak RSS and CPU should be its own.
        for kind in args.db:
            rest = [a for a in sys.argv[1:] if a not in ("--db", *args.db)]
            subprocess.run([sys.executable, __file__, *rest, "--db", kind], check=True)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
