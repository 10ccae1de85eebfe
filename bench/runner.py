"""Benchmark of the monitoring loop at scale (prints figures; not a test).

N active searches (default 100,000) at 5-minute intervals over a Zipf(s=1.1) mix of
distinct queries (--queries: the sandbox catalogue's queries, times price caps sent
upstream, so each is its own fetch key), owned by accounts of the four tiers, against the
sandbox marketplace in its own process with 100 ms latency and new listings arriving at a
fixed rate (--listings-per-minute). Searches start primed (so they alert on what appears
from now on); their fetch keys are due over the interval as the scheduler spreads them. It
then measures, per database and number of runner processes:

  * sustained search-checks/s over a steady window against the demand (searches/interval),
    and the due lag p50/p99: of every claimed key (claim time − due time), overall and per
    tier, and of the oldest due key sampled every second;
  * upstream fetches per search-check WITH coalescing, then WITHOUT for a short window of
    the same run, and the ratio;
  * listings fetched → alert rows committed, p50/p99;
  * CPU seconds and peak RSS of the runner process(es), and CPU seconds of the Postgres
    server processes over the window (utime + stime from /proc);
  * searches checked twice within one interval (the searches of keys checked too often).

Each run writes its figures and its per-second timeline as JSON (--json); bench/plot.py
draws lag and throughput over time per configuration into a PNG and prints the median and
spread of repeated runs.

    .venv/bin/python bench/runner.py --db sqlite --db postgres
    .venv/bin/python bench/runner.py --db postgres --processes 2
    .venv/bin/python bench/runner.py --db postgres --searches 1000000 --queries 2000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from tortoise import connections

from core.criteria import Criteria
from core.db import open_database
from core.enums import Platform
from core.fetchkeys import keys_for, link_many, schedule_key
from core.listings import upsert_listings
from core.metrics import Metrics
from core.models import Account, Destination, FetchKey, Listing, Search, SearchFetchKey
from core.ports import ListingData, MarketplaceQuery
from core.retention import Retention, RetentionOptions
from core.runner import Runner, RunnerOptions
from core.scheduling import next_due, oldest_due_lag
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


# Price caps go upstream (they are part of the fetch key): "ps5 under £200" is its own request.
PRICE_CAPS = (None, 50, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000)


def distinct_queries(count: int) -> list[tuple[str, int | None]]:
    """``count`` distinct (keywords, price cap) requests; 0: the catalogue's queries."""
    pool = query_pool()
    if count <= 0:
        return [(q, None) for q in pool]
    combos = [(q, cap) for cap in PRICE_CAPS for q in pool]
    return combos[:count]


def zipf_sample(pool: list, n: int, s: float, rng: random.Random) -> list:
    weights = [1 / (rank**s) for rank in range(1, len(pool) + 1)]
    shuffled = pool[:]
    rng.shuffle(shuffled)
    return rng.choices(shuffled, weights=weights, k=n)


@contextlib.contextmanager
def sandbox_process(port: int, latency_ms: float, per_minute: float, stock: int) -> Iterator[str]:
    """The sandbox in its own process, so its CPU is not counted against the runner's."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port),
         "--latency-ms", str(latency_ms), "--listings-per-minute", str(per_minute),
         "--initial-stock", str(stock)],
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


# Set-ups kept for --reuse-setup (a million searches take minutes to write; a copy of
# the written database takes seconds, so repeated runs measure more and wait less).
SEEDS = Path(os.environ.get("BENCH_SEEDS", "/tmp/mm-bench-seeds"))
MIGRATIONS = Path(__file__).resolve().parent.parent / "core" / "migrations"


def seed_name(args: argparse.Namespace) -> str:
    """Everything the set-up depends on, the schema included: any change makes a new seed.
    The sandbox generates listing n from its seed and n alone, so a fresh sandbox process
    serves the same stock that a kept set-up stored."""
    schema = sorted(f.name for f in MIGRATIONS.glob("0*.py"))
    made_of = [args.searches, args.queries, args.zipf, args.seed, args.interval,
               args.page_size, args.initial_stock, args.old_listings, schema]  # fmt: skip
    digest = hashlib.sha256(json.dumps(made_of).encode()).hexdigest()[:12]
    return f"mm_seed_{args.searches}_{digest}"


def _pg_url(name: str) -> str:
    return POSTGRES.rsplit("/", 1)[0] + "/" + name


@contextlib.asynccontextmanager
async def prepared_database(
    args: argparse.Namespace, build: Callable[[], Awaitable[None]]
) -> AsyncIterator[tuple[str, float, bool]]:
    """A database holding the run's set-up: (its URL, seconds it took, whether it was a
    copy of a kept set-up). ``build`` writes the set-up into the open database."""
    kind = args.db[0]
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "bench.sqlite3"
            t0 = time.perf_counter()
            reused = False
            if args.reuse_setup:
                reused = await asyncio.to_thread(_kept_sqlite, args)
                if not reused:
                    await _build_sqlite_seed(args, build)
                await asyncio.to_thread(shutil.copyfile, _sqlite_seed_path(args), target)
            else:
                async with open_database(f"sqlite://{target}"):
                    await build()
            yield f"sqlite://{target}", time.perf_counter() - t0, reused
        return
    name = f"mm_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(POSTGRES.replace("postgres://", "postgresql://", 1))
    try:
        t0 = time.perf_counter()
        reused = False
        if args.reuse_setup:
            seed = seed_name(args)
            reused = bool(
                await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", seed)
            )
            if not reused:
                await _build_postgres_seed(admin, seed, build)
            await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{seed}"')
        else:
            await admin.execute(f'CREATE DATABASE "{name}"')
            async with open_database(_pg_url(name)):
                await build()
            await _analyze(_pg_url(name))
        yield _pg_url(name), time.perf_counter() - t0, reused
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _build_postgres_seed(
    admin: asyncpg.Connection, seed: str, build: Callable[[], Awaitable[None]]
) -> None:
    """Build the kept set-up under another name and rename it once complete, so an
    interrupted build is never reused."""
    building = seed + "_building"
    await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{building}"')
    async with open_database(_pg_url(building)):
        await build()
    await _analyze(_pg_url(building))
    await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{seed}"')


# What the set-up fills. The tables a run fills (match, alert, price_sample, …) are left
# never analyzed: a vacuumed empty table is planned as empty for good (each alert row's
# foreign-key check on match then scanned the whole table), while a never-analyzed one is
# planned by size, as a running service's tables are after autovacuum.
SET_UP_TABLES = ("account", "destination", "search", "fetch_key", "search_fetch_key", "listing")


async def _analyze(url: str) -> None:
    """Planner statistics for the set-up, as autovacuum keeps them in a running service. A
    copy made from a template carries the template's statistics but not its change
    counters, so autovacuum would not analyze it soon: without this, a copy of a million
    searches kept the statistics of an empty table and planned a batch's search join as a
    hash over every search (8.5 s instead of milliseconds)."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f"VACUUM ANALYZE {', '.join(SET_UP_TABLES)}")
    finally:
        await conn.close()


def _sqlite_seed_path(args: argparse.Namespace) -> Path:
    return SEEDS / f"{seed_name(args)}.sqlite3"


def _kept_sqlite(args: argparse.Namespace) -> bool:
    SEEDS.mkdir(parents=True, exist_ok=True)
    return _sqlite_seed_path(args).exists()


async def _build_sqlite_seed(
    args: argparse.Namespace, build: Callable[[], Awaitable[None]]
) -> None:
    """Build the kept set-up under another name and rename it once complete (closed, so
    SQLite has checkpointed its log into the file), so an interrupted build is never kept."""
    seed = _sqlite_seed_path(args)
    building = seed.with_suffix(".building")
    async with open_database(f"sqlite://{building}"):
        await build()
    await asyncio.to_thread(building.rename, seed)


TIERS = ("free", "starter", "pro", "business")


async def create_searches(
    queries: list[tuple[str, int | None]], interval: int, rng: random.Random
) -> None:
    """Primed searches of accounts of every tier; their fetch keys are due where the
    scheduler puts them over the coming interval."""
    now = datetime.now(UTC)
    owners = []
    for tier in TIERS:
        account = await Account.create(tier=tier)
        destination = await Destination.create(
            platform=Platform.CONSOLE, chat_id=f"bench-{tier}", account=account
        )
        owners.append((account.id, destination.id))
    criteria_of: dict[tuple[str, int | None], Criteria] = {}
    conn = connections.get("default")
    # In chunks: a million ORM rows at once would be gigabytes in this process.
    for start in range(0, len(queries), SETUP_CHUNK):
        rows = []
        for q, cap in queries[start : start + SETUP_CHUNK]:
            criteria = criteria_of.get((q, cap))
            if criteria is None:
                price = None if cap is None else Decimal(cap)
                criteria = criteria_of[(q, cap)] = Criteria(keywords=q, max_price=price)
            key = schedule_key(keys_for(criteria, ["sandbox"]))
            account_id, destination_id = rng.choice(owners)
            rows.append(
                Search(
                    account_id=account_id, destination_id=destination_id, name=q[:80],
                    criteria=criteria.to_json(), marketplaces=["sandbox"], channels=["chat"],
                    interval_seconds=interval, fetch_key=key, primed_at=now,
                    next_check_at=next_due(now, interval, key),
                )
            )  # fmt: skip
        first = await Search.all().order_by("-id").first().values_list("id", flat=True)
        await Search.bulk_create(rows, batch_size=5000)
        spec_of = {c: keys_for(c, ["sandbox"]) for c in criteria_of.values()}
        by_json = {json.dumps(c.to_json(), sort_keys=True): sp for c, sp in spec_of.items()}
        links: dict[int, list] = {}
        new_rows = await Search.filter(id__gt=first or 0).values_list("id", "criteria")
        for sid, crit in new_rows:
            crit = json.loads(crit) if isinstance(crit, str) else crit
            links[sid] = by_json[json.dumps(crit, sort_keys=True)]
        await link_many(conn, links, now, take_schedule=True)
        del rows, links, new_rows


SETUP_CHUNK = 50_000


async def due_from_now(interval: int) -> None:
    """Each key due at its next aligned instant from the end of the set-up, so the window
    does not open on the backlog of keys that came due while the set-up ran (a million
    searches take minutes to write)."""
    now = datetime.now(UTC)
    for key_id, digest in await FetchKey.all().values_list("id", "digest"):
        await FetchKey.filter(id=key_id).update(next_check_at=next_due(now, interval, digest))


async def warm_pages(queries: list[tuple[str, int | None]], sandbox: str, page_size: int) -> None:
    now = datetime.now(UTC)
    async with aiohttp.ClientSession() as http:
        market = PagedSandbox(http, sandbox, page_size)
        gate = asyncio.Semaphore(50)

        async def one(q: str, cap: int | None) -> list[ListingData]:
            criteria = Criteria(keywords=q, max_price=None if cap is None else Decimal(cap))
            async with gate:
                return await market.search(keys_for(criteria, ["sandbox"])[0].query)

        pages = await asyncio.gather(*(one(q, cap) for q, cap in queries))
    found = {(i.marketplace, i.external_id): i for page in pages for i in page}
    items = list(found.values())
    for start in range(0, len(items), 2000):
        await upsert_listings(items[start : start + 2000], now)


async def add_old_listings(count: int) -> None:
    """Listings last seen long ago, for the retention job to delete during the window."""
    long_ago = datetime.now(UTC) - timedelta(days=120)
    for start in range(0, count, 5000):
        await Listing.bulk_create(
            [
                Listing(
                    marketplace="sandbox", external_id=f"old-{n}", url=f"https://old.test/{n}",
                    title=f"Old listing {n}", price=Decimal(10), first_seen_at=long_ago,
                    last_seen_at=long_ago,
                )
                for n in range(start, min(count, start + 5000))
            ]
        )  # fmt: skip


class PagedSandbox(SandboxMarketplace):
    """The sandbox adapter asking for ``page_size`` listings a page (the adapters' default
    is 50; the 1,000,000-search workload reads full pages of 200)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, page_size: int) -> None:
        super().__init__(http, url)
        self.page_size = page_size

    async def search_page(self, query: MarketplaceQuery, page: int) -> list[ListingData]:
        return await super().search_page(replace(query, limit=self.page_size), page)


# The runner's own bound on the searches a claim carries; --claim-searches 0 removes it.
CLAIM_SEARCHES = RunnerOptions().max_claim_searches or 0


def runner_options(
    kind: str, coalesce: bool, claim_searches: int = CLAIM_SEARCHES
) -> RunnerOptions:
    postgres = kind == "postgres"
    return RunnerOptions(
        batch_size=500, idle_sleep_seconds=0.2, max_concurrent_fetches=100,
        skip_locked=postgres, max_concurrent_writes=4 if postgres else 1, coalesce=coalesce,
        max_claim_searches=claim_searches or None,
    )  # fmt: skip


async def run_runner(
    kind: str,
    db_url: str,
    sandbox: str,
    seconds: float,
    coalesce: bool,
    page_size: int = 50,
    warmup: float = 0.0,
    claim_searches: int = CLAIM_SEARCHES,
) -> dict[str, object]:
    """One runner for ``warmup`` then ``seconds``; returns its counters over the second
    part (used in-process and by workers)."""
    async with aiohttp.ClientSession() as http:
        metrics = Metrics(keep_samples=True)
        runner = Runner(
            {"sandbox": PagedSandbox(http, sandbox, page_size)},
            options=runner_options(kind, coalesce, claim_searches), metrics=metrics,
        )  # fmt: skip
        task = asyncio.create_task(runner.run())
        # A runner that has run an interval knows each key's last page (core.checks'
        # KnownPage): what a long-running service is in. The window starts after it.
        await asyncio.sleep(warmup)

        def count(metric: Any) -> float:
            return float(metric.labels("sandbox")._value.get())

        base = {name: count(getattr(metrics, name))
                for name in ("checks", "key_checks", "fetches", "key_overflows")}  # fmt: skip
        for samples in (metrics.match_latency_samples, metrics.first_alert_samples):
            assert samples is not None
            samples.clear()
        runner.lag_samples = []
        cpu0 = time.process_time()
        timeline = []  # checks done by the end of each second
        for _ in range(int(seconds)):
            await asyncio.sleep(1)
            timeline.append(count(metrics.checks) - base["checks"])
        await asyncio.sleep(seconds - int(seconds))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return {
            "checks": count(metrics.checks) - base["checks"],
            "key_checks": count(metrics.key_checks) - base["key_checks"],
            "fetches": count(metrics.fetches) - base["fetches"],
            "overflows": count(metrics.key_overflows) - base["key_overflows"],
            "latency": metrics.match_latency_samples or [],
            "first_latency": metrics.first_alert_samples or [],
            "lags": runner.lag_samples,
            "timeline": timeline,
            "cpu": time.process_time() - cpu0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


async def sample_lag(seconds: float, pg: PostgresCpu | None = None) -> list[float]:
    lags = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lags.append(await oldest_due_lag(datetime.now(UTC)))
        if pg is not None:
            pg.sample()
        await asyncio.sleep(1)
    return lags


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def workers(args: argparse.Namespace, db_url: str, sandbox: str) -> list[dict]:
    """The runner(s) for the steady window, each in a child process of its own (also for
    one runner): its CPU and peak RSS are then the runner's alone, not the set-up's."""
    cmd = [sys.executable, __file__, "--worker", db_url, "--sandbox-url", sandbox,
           "--seconds", str(args.seconds), "--db", args.db[0],
           "--page-size", str(args.page_size), "--warmup", str(args.warmup),
           "--claim-searches", str(args.claim_searches)]  # fmt: skip
    procs = [
        await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
        for _ in range(args.processes)
    ]
    outs = [await p.communicate() for p in procs]
    return [json.loads(out.decode().strip().splitlines()[-1]) for out, _ in outs]


async def retention_during(seconds: float, every: float, deleted: list[int]) -> None:
    """The retention job, a pass every ``every`` seconds of the window; adds the rows it
    deleted to ``deleted``. Cancelled at the window's end if a pass is still running."""
    if every <= 0:
        return
    job = Retention(RetentionOptions(max_batches_per_pass=5))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = await job.run_once()
        deleted.append(sum(found.deleted.values()))
        await asyncio.sleep(every)


async def double_checks(interval: int, started: datetime) -> int:
    """Searches checked more often than their interval allows during the run: the searches
    of keys checked too often (a search is checked with its key)."""
    elapsed = (datetime.now(UTC) - started).total_seconds()
    allowed = int(elapsed // interval) + 1
    keys = await FetchKey.filter(checks_count__gt=allowed).values_list("id", flat=True)
    return await SearchFetchKey.filter(fetch_key_id__in=list(keys)).count()


class PostgresCpu:
    """CPU seconds (utime + stime) of the Postgres processes over a window, from /proc.

    Sampled every second: a connection's backend process exits with its connection, taking
    its counters with it, so each process's last sample is kept.
    """

    def __init__(self) -> None:
        self.first = self._read()
        self.last = dict(self.first)

    def sample(self) -> None:
        self.last.update(self._read())

    def seconds(self) -> float:
        return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items())

    @staticmethod
    def _read() -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            if name.startswith("postgres"):
                fields = stat[stat.rindex(")") + 2 :].split()
                found[int(pid)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        return found


async def measure(args: argparse.Namespace, sandbox: str) -> dict[str, object]:
    kind = args.db[0]
    rng = random.Random(args.seed)
    queries = zipf_sample(distinct_queries(args.queries), args.searches, args.zipf, rng)

    async def build() -> None:
        # What is on sale before the searches exist is stored first (as a running service
        # has it): each key's first check then finds only what is new since, as every later
        # one does, instead of alerting its whole page.
        await warm_pages(sorted(set(queries), key=str), sandbox, args.page_size)
        await create_searches(queries, args.interval, rng)
        await add_old_listings(args.old_listings)

    async with prepared_database(args, build) as (db_url, setup, reused), open_database(db_url):
        await due_from_now(args.interval)
        started = datetime.now(UTC)
        running = asyncio.create_task(workers(args, db_url, sandbox))
        await asyncio.sleep(args.warmup)
        listings_before = await Listing.filter(marketplace="sandbox").count()
        pg = PostgresCpu()
        lag_task = asyncio.create_task(sample_lag(args.seconds, pg))
        passes: list[int] = []
        retention = asyncio.create_task(
            retention_during(args.seconds, args.retention_every, passes)
        )
        results = await running
        lags = await lag_task
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
        deleted = sum(passes)
        pg.sample()
        pg_cpu = pg.seconds()
        stored = await Listing.filter(marketplace="sandbox").count() - listings_before + deleted
        doubled = await double_checks(args.interval, started)
        without = await run_runner(
            kind,
            db_url,
            sandbox,
            args.baseline_seconds,
            False,
            args.page_size,
            claim_searches=args.claim_searches,
        )
    return {"setup": setup, "reused": reused, "results": results, "lags": lags, "doubled": doubled,
            "without": without, "distinct": len(set(queries)), "pg_cpu": pg_cpu,
            "new_listings": stored, "retention_deleted": deleted}  # fmt: skip


def figures(args: argparse.Namespace, m: dict) -> dict[str, object]:
    """The run's figures, as printed and as written to JSON."""
    results, without = m["results"], m["without"]
    checks = sum(r["checks"] for r in results)
    fetches = sum(r["fetches"] for r in results)
    latency = [x for r in results for x in r["latency"]]
    first = [x for r in results for x in r.get("first_latency", [])]
    claimed = [(tier, lag) for r in results for tier, lag in r["lags"]]
    per_check = fetches / max(1, checks)
    per_check_without = without["fetches"] / max(1, without["checks"])
    timeline = [sum(vals) for vals in zip(*(r["timeline"] for r in results), strict=False)]
    tiers = {
        tier: {"p50": pct(lags, 50), "p99": pct(lags, 99), "n": len(lags)}
        for tier in TIERS
        if (lags := [lag for t, lag in claimed if t == tier])
    }
    return {
        "config": f"{args.db[0]}-{args.processes}",
        "db": args.db[0],
        "processes": args.processes,
        "searches": args.searches,
        "distinct_queries": m["distinct"],
        "interval": args.interval,
        "window_s": args.seconds,
        "warmup_s": args.warmup,
        "claim_searches": args.claim_searches,
        "setup_s": m["setup"],
        "setup_reused": m["reused"],
        "demand_checks_per_s": args.searches / args.interval,
        "checks_per_s": checks / args.seconds,
        "key_checks": sum(r["key_checks"] for r in results),
        "overflows": sum(r["overflows"] for r in results),
        "lag_oldest_p50": pct(m["lags"], 50),
        "lag_oldest_p99": pct(m["lags"], 99),
        "lag_claimed_p50": pct([lag for _, lag in claimed], 50),
        "lag_claimed_p99": pct([lag for _, lag in claimed], 99),
        "lag_by_tier": tiers,
        "fetches_per_check": per_check,
        "fetches_per_check_without": per_check_without,
        "coalescing_ratio": per_check_without / max(per_check, 1e-9),
        "alert_rows_p50_ms": pct(latency, 50) * 1000,
        "alert_rows_p99_ms": pct(latency, 99) * 1000,
        "alert_row_fetches": len(latency),
        "runner_cpu_s": [r["cpu"] for r in results],
        "postgres_cpu_s": m["pg_cpu"] if args.db[0] == "postgres" else None,
        "peak_rss_mb": [r["rss_mb"] for r in results],
        "searches_checked_twice": m["doubled"],
        "page_size": args.page_size,
        "new_listings_stored": m["new_listings"],
        # New listings stored per listing fetched (pages assumed full: a lower bound).
        "new_share": m["new_listings"] / max(1, fetches * args.page_size),
        "retention_deleted": m["retention_deleted"],
        "alert_rows_first_p50_ms": pct(first, 50) * 1000,
        "alert_rows_first_p99_ms": pct(first, 99) * 1000,
        "timeline_checks": timeline,
        "timeline_lag": m["lags"],
    }


def report(f: dict) -> None:
    print(
        f"\n== {f['db']}, {f['processes']} runner process(es): {f['searches']:,} searches "
        f"({f['distinct_queries']} distinct queries), every {f['interval']} s; "
        f"set-up {f['setup_s']:.1f} s{' (a copy of a kept one)' if f['setup_reused'] else ''}"
    )
    print(
        f"  sustained search-checks/s  {f['checks_per_s']:8.1f}   "
        f"(demand {f['demand_checks_per_s']:.1f}; window {f['window_s']:g} s; "
        f"{f['key_checks']:.0f} key checks)"
    )
    print(
        f"  due lag, oldest due key    p50 {f['lag_oldest_p50']:6.2f} s   "
        f"p99 {f['lag_oldest_p99']:6.2f} s"
    )
    print(
        f"  due lag, claimed keys      p50 {f['lag_claimed_p50']:6.2f} s   "
        f"p99 {f['lag_claimed_p99']:6.2f} s"
    )
    for tier, t in f["lag_by_tier"].items():
        print(f"    {tier:9s} p50 {t['p50']:6.2f} s   p99 {t['p99']:6.2f} s   ({t['n']} keys)")
    print(
        f"  upstream fetches per check with coalescing {f['fetches_per_check']:.5f}, without "
        f"{f['fetches_per_check_without']:.4f} → {f['coalescing_ratio']:.0f}× fewer"
    )
    print(
        f"  fetched → alert rows ({f['alert_row_fetches']} fetches wrote alerts): "
        f"p50 {f['alert_rows_p50_ms']:.1f} ms   p99 {f['alert_rows_p99_ms']:.1f} ms"
    )
    cpu = " + ".join(f"{c:.1f}" for c in f["runner_cpu_s"])
    rss = " / ".join(f"{r:.0f}" for r in f["peak_rss_mb"])
    pg = f["postgres_cpu_s"]
    print(
        f"  runner CPU {cpu} s; Postgres CPU {'-' if pg is None else f'{pg:.1f}'} s; "
        f"peak RSS {rss} MiB"
    )
    print(
        f"  fetched → first alert rows committed: p50 {f['alert_rows_first_p50_ms']:.1f} ms   "
        f"p99 {f['alert_rows_first_p99_ms']:.1f} ms"
    )
    print(
        f"  pages of {f['page_size']}: {f['new_listings_stored']} new listings stored "
        f"(new share ≥ {f['new_share']:.3f}); retention deleted {f['retention_deleted']} rows"
    )
    print(f"  overflowed pages: {f['overflows']:.0f}")
    print(f"  searches checked more than once per interval: {f['searches_checked_twice']}")


def write_json(path: str, found: dict) -> None:
    with open(path, "w") as out:
        json.dump(found, out)


async def main_async(args: argparse.Namespace) -> None:
    if args.worker:
        result = await worker_main(args)
        print(json.dumps(result))
        return
    stock = args.initial_stock
    with sandbox_process(args.port, args.latency_ms, args.listings_per_minute, stock) as url:
        await wait_ready(url)
        found = figures(args, await measure(args, url))
    report(found)
    if args.json:
        write_json(args.json, found)


async def worker_main(args: argparse.Namespace) -> dict[str, object]:
    profile = os.environ.get("BENCH_PROFILE")  # a file for the runner's cProfile stats
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return await _worker(args)
        finally:
            profiler.disable()
            profiler.dump_stats(f"{profile}.{os.getpid()}")
    return await _worker(args)


async def _worker(args: argparse.Namespace) -> dict[str, object]:
    async with open_database(args.worker, run_migrations=False):
        return await run_runner(
            args.db[0], args.worker, args.sandbox_url, args.seconds, True, args.page_size,
            args.warmup, args.claim_searches,
        )  # fmt: skip


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
    parser.add_argument(
        "--warmup", type=float, default=0.0,
        help="seconds the runners run before the window (one interval: every key checked)",
    )  # fmt: skip
    parser.add_argument("--page-size", type=int, default=50, help="listings a fetch asks for")
    parser.add_argument(
        "--initial-stock", type=int, default=500, help="sandbox listings on sale at start"
    )
    parser.add_argument(
        "--old-listings", type=int, default=0,
        help="listings last seen 120 days ago, for the retention job to delete",
    )  # fmt: skip
    parser.add_argument(
        "--retention-every", type=float, default=0.0,
        help="run a retention pass every this many seconds of the window (0: off)",
    )  # fmt: skip
    parser.add_argument(
        "--queries", type=int, default=0,
        help="distinct requests (0: the sandbox catalogue's, about 180)",
    )  # fmt: skip
    parser.add_argument(
        "--claim-searches", type=int, default=CLAIM_SEARCHES,
        help="searches a runner's claim carries at most (0: only 500 keys bound it)",
    )  # fmt: skip
    parser.add_argument(
        "--reuse-setup", action="store_true",
        help="keep the set-up (a Postgres template database, or a SQLite file in "
        "$BENCH_SEEDS) and start each later run with the same options from a copy of it",
    )  # fmt: skip
    parser.add_argument("--json", help="write the figures and timelines here")
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
