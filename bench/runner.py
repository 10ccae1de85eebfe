"""Benchmark of the monitoring loop at scale (prints figures; not a test).

N active searches (default 100,000) at 5-minute intervals over a Zipf(s=1.1) mix of
queries, against the sandbox marketplace in its own process with 100 ms latency and new
listings arriving. Searches start primed (so they alert on what appears from now on) and
spread over the interval as the scheduler spreads them. It then measures, per database:

  * sustained search-checks/s over a steady window, and the due-queue lag p50/p99
    (now − next_check_at of the oldest due search, sampled every second);
  * upstream fetches per search-check WITH coalescing, then WITHOUT for a short window of
    the same run, and the ratio;
  * listings fetched → alert rows committed, p50/p99;
  * CPU seconds and peak RSS of the runner process(es);
  * on Postgres, optionally 2 runner processes (--processes 2) and whether any search was
    checked twice within one interval.

    .venv/bin/python bench/runner.py --db sqlite --db postgres
    .venv/bin/python bench/runner.py --db postgres --processes 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
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

import aiohttp
import asyncpg

from core.criteria import Criteria
from core.db import open_database
from core.enums import Platform
from core.fetchkeys import keys_for, schedule_key
from core.metrics import Metrics
from core.models import Account, Destination, Search
from core.runner import Runner, RunnerOptions
from core.scheduling import next_due, oldest_due_lag, spread_of
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
def sandbox_process(port: int, latency_ms: float, per_minute: float) -> Iterator[str]:
    """The sandbox in its own process, so its CPU is not counted against the runner's."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port),
         "--latency-ms", str(latency_ms), "--listings-per-minute", str(per_minute)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "Sandbox marketplace on …"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
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
    admin = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def create_searches(queries: list[str], interval: int) -> None:
    """Primed searches, due where the scheduler would put them over the coming interval."""
    now = datetime.now(UTC)
    account = await Account.create(tier="business")
    destination = await Destination.create(
        platform=Platform.CONSOLE, chat_id="bench", account=account
    )
    rows = []
    for number, q in enumerate(queries, 1):  # ids on the fresh database are 1..N in order
        key = schedule_key(keys_for(Criteria(keywords=q), ["sandbox"]))
        rows.append(
            Search(
                account_id=account.id, destination_id=destination.id, name=q[:80],
                criteria={"keywords": q}, marketplaces=["sandbox"], channels=["chat"],
                interval_seconds=interval, fetch_key=key, primed_at=now,
                next_check_at=next_due(now, interval, key, spread_of(number)),
            )
        )  # fmt: skip
    await Search.bulk_create(rows, batch_size=2000)


def runner_options(kind: str, coalesce: bool) -> RunnerOptions:
    postgres = kind == "postgres"
    return RunnerOptions(
        batch_size=500, idle_sleep_seconds=0.2, max_concurrent_fetches=100,
        skip_locked=postgres, max_concurrent_writes=4 if postgres else 1, coalesce=coalesce,
    )  # fmt: skip


async def run_runner(
    kind: str, db_url: str, sandbox: str, seconds: float, coalesce: bool
) -> dict[str, object]:
    """One runner for ``seconds``; returns its counters (used in-process and by workers)."""
    async with aiohttp.ClientSession() as http:
        metrics = Metrics(keep_samples=True)
        runner = Runner(
            {"sandbox": SandboxMarketplace(http, sandbox)},
            options=runner_options(kind, coalesce), metrics=metrics,
        )  # fmt: skip
        cpu0 = time.process_time()
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(seconds)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {
            "checks": metrics.checks.labels("sandbox")._value.get(),
            "fetches": metrics.fetches.labels("sandbox")._value.get(),
            "latency": metrics.match_latency_samples or [],
            "cpu": time.process_time() - cpu0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


async def sample_lag(seconds: float) -> list[float]:
    lags = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lags.append(await oldest_due_lag(datetime.now(UTC)))
        await asyncio.sleep(1)
    return lags


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def workers(args: argparse.Namespace, db_url: str, sandbox: str) -> list[dict]:
    """The runner(s) for the steady window: in this process, or --processes children."""
    if args.processes == 1:
        return [await run_runner(args.db[0], db_url, sandbox, args.seconds, True)]
    cmd = [sys.executable, __file__, "--worker", db_url, "--sandbox-url", sandbox,
           "--seconds", str(args.seconds), "--db", args.db[0]]  # fmt: skip
    procs = [
        await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
        for _ in range(args.processes)
    ]
    outs = [await p.communicate() for p in procs]
    return [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outs]


async def double_checks(interval: int, started: datetime) -> int:
    """Searches checked more often than their interval allows during the run."""
    elapsed = (datetime.now(UTC) - started).total_seconds()
    allowed = int(elapsed // interval) + 1
    return await Search.filter(checks_count__gt=allowed).count()


async def measure(args: argparse.Namespace, sandbox: str) -> dict[str, object]:
    kind = args.db[0]
    rng = random.Random(args.seed)
    queries = zipf_sample(query_pool(), args.searches, args.zipf, rng)
    async with fresh_database(kind) as db_url, open_database(db_url):
        t0 = time.perf_counter()
        await create_searches(queries, args.interval)
        setup = time.perf_counter() - t0
        started = datetime.now(UTC)
        lag_task = asyncio.create_task(sample_lag(args.seconds))
        results = await workers(args, db_url, sandbox)
        lags = await lag_task
        doubled = await double_checks(args.interval, started)
        without = await run_runner(kind, db_url, sandbox, args.baseline_seconds, False)
    return {"setup": setup, "results": results, "lags": lags, "doubled": doubled,
            "without": without, "distinct": len(set(queries))}  # fmt: skip


def report(args: argparse.Namespace, m: dict) -> None:
    results, without = m["results"], m["without"]
    checks = sum(r["checks"] for r in results)
    fetches = sum(r["fetches"] for r in results)
    latency = [x for r in results for x in r["latency"]]
    per_check = fetches / max(1, checks)
    per_check_without = without["fetches"] / max(1, without["checks"])
    print(
        f"\n== {args.db[0]}, {args.processes} runner process(es): {args.searches:,} searches "
        f"({m['distinct']} distinct queries, Zipf s={args.zipf}), every {args.interval} s, "
        f"sandbox latency {args.latency_ms:g} ms; set-up {m['setup']:.1f} s"
    )
    print(
        f"  sustained search-checks/s  {checks / args.seconds:8.1f}   "
        f"(needed: {args.searches / args.interval:.1f}; window {args.seconds:g} s)"
    )
    print(
        f"  due-queue lag              p50 {pct(m['lags'], 50):6.2f} s   "
        f"p99 {pct(m['lags'], 99):6.2f} s"
    )
    print(
        f"  upstream fetches per check with coalescing {per_check:.4f}, without "
        f"{per_check_without:.4f} → {per_check_without / max(per_check, 1e-9):.0f}× fewer"
    )
    print(
        f"  fetched → alert rows ({len(latency)} fetches wrote alerts): "
        f"p50 {pct(latency, 50) * 1000:.1f} ms   p95 {pct(latency, 95) * 1000:.1f} ms   "
        f"p99 {pct(latency, 99) * 1000:.1f} ms"
    )
    for i, r in enumerate(results, 1):
        print(
            f"  runner {i}: {r['checks']:.0f} checks, CPU {r['cpu']:.1f} s, "
            f"peak RSS {r['rss_mb']:.0f} MiB"
        )
    print(f"  searches checked more than once per interval: {m['doubled']}")


async def main_async(args: argparse.Namespace) -> None:
    if args.worker:
        result = await worker_main(args)
        print(json.dumps(result))
        return
    with sandbox_process(args.port, args.latency_ms, args.listings_per_minute) as url:
        await wait_ready(url)
        report(args, await measure(args, url))


async def worker_main(args: argparse.Namespace) -> dict[str, object]:
    async with open_database(args.worker, run_migrations=False):
        return await run_runner(args.db[0], args.worker, args.sandbox_url, args.seconds, True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--interval", type=int, default=300)
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--listings-per-minute", type=float, default=6.0)
    parser.add_argument(
        "--seconds",
        type=float,
        default=300.0,
        help="steady window (one full interval sees every search once)",
    )
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=20.0,
        help="window without coalescing, for the ratio",
    )
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--db", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.db = args.db or ["sqlite"]
    if len(args.db) > 1:
        # One process per database: Tortoise keeps per-model SQL built for the first backend,
        # and each run's peak RSS and CPU should be its own.
        rest = [a for a in sys.argv[1:] if a not in ("--db", *args.db)]
        for kind in args.db:
            subprocess.run([sys.executable, __file__, *rest, "--db", kind], check=True)
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
