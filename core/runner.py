"""The monitoring loop: claim due searches, fetch once per shared query, match, queue alerts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiojobs

from core.backoff import poll_pause
from core.breaker import CircuitBreaker
from core.checks import CheckResult, record_fetch
from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.errors import MarketplaceError, Unavailable
from core.fetchkeys import FetchKeySpec, key_for
from core.health import HealthRecorder
from core.metrics import Metrics
from core.models import MarketplaceState, Search
from core.parse_health import ParseHealth
from core.ports import ListingData, Marketplace, MarketplaceQuery
from core.rates import RatesCache, RatesJob
from core.saved_state import SavedStateChecker
from core.scheduling import SPREAD_SECONDS, Outcomes, claim_due_searches, save_outcomes

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    batch_size: int = 500
    lease_seconds: float = 300.0
    idle_sleep_seconds: float = 1.0
    max_concurrent_fetches: int = 50
    # Storing results is serialised per process (SQLite has one writer anyway; on Postgres a
    # few writers keep the pool free for the dispatcher and the web).
    max_concurrent_writes: int = 1
    # Batches in flight at once: one batch's fetch latency overlaps another's storing.
    concurrent_batches: int = 3
    # Searches with the same upstream query share one fetch. Off only to measure the saving.
    coalesce: bool = True
    # A fetch this recent (or still in flight) serves later batches with the same query: a
    # popular query's searches span several batches but cost one upstream call.
    share_window_seconds: float = SPREAD_SECONDS + 2.0  # FETCH_SHARE_SECONDS in Settings
    # Postgres: claim with FOR UPDATE SKIP LOCKED so several processes divide the work.
    skip_locked: bool = False


@dataclass(slots=True)
class _Group:
    """The searches of a batch that share one fetch key: one upstream call serves them all."""

    key: FetchKeySpec
    searches: list[Search]
    criteria: dict[int, Criteria]  # search id → its criteria, parsed once for the batch

    @property
    def query(self) -> MarketplaceQuery:
        return self.key.query


@dataclass(slots=True)
class _Batch:
    outcomes: Outcomes
    errors: dict[int, tuple[MarketplaceError, datetime | None]]
    results: dict[int, CheckResult]


class Runner:
    """Checks due searches until cancelled. Every state it needs lives in the database."""

    def __init__(
        self,
        marketplaces: Mapping[str, Marketplace],
        *,
        options: RunnerOptions | None = None,
        metrics: Metrics | None = None,
        clock: Clock = utcnow,
        rates_job: RatesJob | None = None,
        rates: RatesCache | None = None,
        saved_state: SavedStateChecker | None = None,
    ) -> None:
        self.marketplaces = dict(marketplaces)
        # Reference rates for prices in another currency (core.currency): the job fetches
        # them before the first check and daily; the cache reads the latest stored ones
        # (another process's job may have fetched them).
        self.rates_job = rates_job
        self.rates = rates or (rates_job.cache if rates_job else RatesCache())
        # Saved listings' state (issue 14): its own loop beside the checks, same marketplaces.
        self.saved_state = saved_state
        self.options = options or RunnerOptions()
        self.metrics = metrics or Metrics()
        self.parse_health = ParseHealth(self.metrics)
        self.clock = clock
        self.last_tick_at: datetime | None = None
        self.breakers = {name: CircuitBreaker(name) for name in self.marketplaces}
        # The runner sees every upstream call, so it is the one that records health.
        self.health = {name: HealthRecorder(name, clock=self.clock) for name in self.marketplaces}
        for name in self.marketplaces:
            self.metrics.breaker_open.labels(name).set(0)
        self._writes = asyncio.Semaphore(self.options.max_concurrent_writes)
        self._checks_done = 0
        self._fetches_done = 0
        self._breakers_synced_at: datetime | None = None
        self._stopping = asyncio.Event()
        # Fetches by fetch key digest: (when started, the fetch), shared for the share window.
        self._recent: dict[str, tuple[float, asyncio.Future[list[ListingData]]]] = {}

    def request_stop(self) -> None:
        """Finish the batch in hand, claim no more: `run` then returns (a graceful drain)."""
        self._stopping.set()
        if self.rates_job is not None:
            self.rates_job.request_stop()

    async def run(self) -> None:
        jobs: list[Awaitable[None]] = []
        if self.rates_job is not None:
            await self.rates_job.refresh_before_checks()  # a failure is logged
            jobs.append(self.rates_job.run(first_done=True))
        if self.saved_state is not None:
            jobs.append(self.saved_state.run(self._stopping))
        try:
            async with aiojobs.Scheduler(
                limit=self.options.max_concurrent_fetches, close_timeout=5.0
            ) as scheduler:
                loops = [self._loop(scheduler) for _ in range(self.options.concurrent_batches)]
                await asyncio.gather(*loops, *jobs)
        finally:
            if self.rates_job is not None:
                self.rates_job.request_stop()

    async def _loop(self, scheduler: aiojobs.Scheduler) -> None:
        while not self._stopping.is_set():
            try:
                checked = await self.tick(scheduler)
            except Exception:  # the loop must outlive any one bad batch
                logger.exception("runner batch failed; continuing")
                checked = 0
            if checked < self.options.batch_size:
                with contextlib.suppress(TimeoutError):
                    pause = poll_pause(self.options.idle_sleep_seconds)
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def tick(self, scheduler: aiojobs.Scheduler | None = None) -> int:
        """Claim one batch of due searches and check them. Returns how many were claimed."""
        now = self.clock()
        self.last_tick_at = now
        await self._sync_breakers(now)
        lease_until = now + timedelta(seconds=self.options.lease_seconds)
        searches = await claim_due_searches(
            now, limit=self.options.batch_size, lease_until=lease_until,
            skip_locked=self.options.skip_locked,
        )  # fmt: skip
        if searches:
            try:
                await self._check_all(searches, lease_until, scheduler)
            except asyncio.CancelledError:
                # Stopped mid-check: hand the searches back now rather than when the lease
                # runs out, so a restart (or another process) checks them at once.
                ids = [s.id for s in searches]
                await Search.filter(id__in=ids, lease_until=lease_until).update(lease_until=None)
                raise
        return len(searches)

    async def prime(self, search: Search) -> list[ListingData]:
        """Record what a new search matches today as seen; return the newest few as a preview.

        The runner's loop does this for every new search (it is due at once); this runs one
        check of one search now. A preview also goes to the chat as a notice. If it fails the
        search stays unprimed and its next check primes it instead.
        """
        await search.refresh_from_db()
        await search.fetch_related("destination")
        if search.lease_until is None:
            search.lease_until = self.clock() + timedelta(seconds=self.options.lease_seconds)
            await search.save(update_fields=["lease_until"])
        results = await self._check_all([search], search.lease_until, None)
        found = results.get(search.id)
        return found.preview if found else []

    async def _check_all(
        self,
        searches: Sequence[Search],
        lease_until: datetime,
        scheduler: aiojobs.Scheduler | None,
    ) -> dict[int, CheckResult]:
        batch = _Batch(Outcomes(self.clock(), lease_until), {}, {})
        runs = [self._check_group(group, batch) for group in self._groups(searches)]
        if scheduler is None:
            await asyncio.gather(*runs)
        else:
            jobs = [await scheduler.spawn(run) for run in runs]
            await asyncio.gather(*(job.wait() for job in jobs))
        for search in searches:
            if search.id in batch.errors:
                error, wait_until = batch.errors[search.id]
                batch.outcomes.failure(search, error, wait_until)
            else:
                found = batch.results.get(search.id)
                if found is None:
                    batch.outcomes.success(search, 0, None)
                else:
                    batch.outcomes.success(search, found.new_matches, found.seen_at, found.preview)
        async with self._writes:
            await save_outcomes(batch.outcomes)
        return batch.results

    def _groups(self, searches: Sequence[Search]) -> list[_Group]:
        """Group a batch by fetch key; each search's criteria are parsed once, here."""
        groups: dict[object, _Group] = {}
        for search in searches:
            criteria = Criteria.from_json(search.criteria)
            for name in dict.fromkeys(search.marketplaces):
                key = key_for(criteria, name)
                by: object = key.digest if self.options.coalesce else (key.digest, search.id)
                group = groups.get(by)
                if group is None:
                    group = groups[by] = _Group(key, [], {})
                group.searches.append(search)
                group.criteria[search.id] = criteria
        return list(groups.values())

    async def _check_group(self, group: _Group, batch: _Batch) -> None:
        name = group.query.marketplace
        marketplace = self.marketplaces.get(name)
        breaker = self.breakers.get(name)
        now = self.clock()
        if marketplace is None or breaker is None:
            error = Unavailable(f"the {name} marketplace is not configured here", marketplace=name)
            self._record_error(group, error, batch, None)
            return
        if not breaker.allow(now):
            error = Unavailable(f"{name} is refusing our requests; checks resume by themselves",
                                marketplace=name)  # fmt: skip
            self._record_error(group, error, batch, breaker.open_until)
            return
        try:
            fetched = await self._fetch(marketplace, group.key)
        except MarketplaceError as exc:
            if breaker.record_failure(exc, now):
                await self._publish_breaker(breaker)
            self._record_error(group, exc, batch, breaker.open_until)
            return
        except Exception as exc:  # an adapter bug must not stop the other groups
            logger.exception("fetch of %s failed unexpectedly", group.query)
            self._record_error(group, Unavailable(f"internal error: {exc}"), batch, None)
            return
        if breaker.record_success():
            await self._publish_breaker(breaker)
        await self._store(group, fetched, batch)

    async def _fetch(self, marketplace: Marketplace, key: FetchKeySpec) -> list[ListingData]:
        """One upstream call per fetch key per share window, however many batches ask for it."""
        query = key.query
        if not self.options.coalesce:
            return await self._call(marketplace, query)
        now = self.clock().timestamp()
        shared = self._recent.get(key.digest)
        if shared is None or now - shared[0] > self.options.share_window_seconds:
            if len(self._recent) > 10_000:
                self._forget_old(now)
            future = asyncio.ensure_future(self._call(marketplace, query))
            # Whoever awaits it sees its error; this keeps an unawaited one from being reported.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            shared = (now, future)
            self._recent[key.digest] = shared
        try:
            return list(await asyncio.shield(shared[1]))
        except MarketplaceError:
            self._recent.pop(key.digest, None)  # a failure is not shared with later batches
            raise

    async def _call(self, marketplace: Marketplace, query: MarketplaceQuery) -> list[ListingData]:
        self.metrics.fetches.labels(query.marketplace).inc()
        self._fetches_done += 1
        health = self.health.get(query.marketplace)
        try:
            found = await marketplace.search(query)
        except MarketplaceError as exc:
            if health is not None:
                await health.record(exc)
            raise
        if health is not None:
            await health.record(None)
        self.parse_health.record(query.marketplace, found)  # once per upstream fetch
        return found

    def _forget_old(self, now: float) -> None:
        window = self.options.share_window_seconds
        for digest in [d for d, (at, _) in self._recent.items() if now - at > window]:
            del self._recent[digest]

    async def _store(self, group: _Group, fetched: list[ListingData], batch: _Batch) -> None:
        platforms = {s.id: s.destination.platform.value for s in group.searches}
        try:
            async with self._writes:
                started = time.perf_counter()
                rates = await self.rates.get()
                found = await record_fetch(
                    group.searches, group.criteria, fetched, self.clock(), platforms, rates
                )
                queued = sum(r.alerts_queued for r in found.values())
                self.metrics.observe_match_latency(time.perf_counter() - started, queued)
        except Exception as exc:  # a storage problem fails these searches, not the loop
            logger.exception("storing %s failed", group.query)
            self._record_error(group, Unavailable(f"internal error: {exc}"), batch, None)
            return
        self._merge(found, batch.results)
        self.metrics.checks.labels(group.query.marketplace).inc(len(group.searches))
        self._checks_done += len(group.searches)
        self.metrics.coalescing_ratio.set(self._checks_done / max(1, self._fetches_done))

    async def _publish_breaker(self, breaker: CircuitBreaker) -> None:
        """Share an opened/closed circuit with other processes (and /metrics)."""
        is_open = breaker.open_until is not None
        self.metrics.breaker_open.labels(breaker.marketplace).set(1 if is_open else 0)
        await MarketplaceState.get_or_create(name=breaker.marketplace)
        # The error itself was recorded by the health recorder (the one writer of last_error).
        await MarketplaceState.filter(name=breaker.marketplace).update(
            breaker=breaker.state.value,
            open_until=breaker.open_until,
            consecutive_failures=breaker.consecutive_failures,
        )

    async def _sync_breakers(self, now: datetime) -> None:
        """Every few seconds, adopt circuits another process opened."""
        if self._breakers_synced_at and (now - self._breakers_synced_at).total_seconds() < 10:
            return
        self._breakers_synced_at = now
        rows = await MarketplaceState.filter(name__in=list(self.breakers), open_until__gt=now)
        for row in rows:
            self.breakers[row.name].adopt(row.open_until, now)

    def _record_error(
        self,
        group: _Group,
        exc: MarketplaceError,
        batch: _Batch,
        wait_until: datetime | None,
    ) -> None:
        self.metrics.fetch_errors.labels(group.query.marketplace, type(exc).__name__).inc()
        ids = [s.id for s in group.searches]
        # One line per failed fetch, naming the searches it failed (not one per search).
        logger.warning(
            "%s check failed for search %s%s: %s",
            group.query.marketplace,
            ", ".join(map(str, ids[:10])),
            f" and {len(ids) - 10} more" if len(ids) > 10 else "",
            exc,
        )
        for search in group.searches:
            batch.errors[search.id] = (exc, wait_until)

    def _merge(self, found: dict[int, CheckResult], results: dict[int, CheckResult]) -> None:
        for search_id, result in found.items():
            total = results.setdefault(search_id, CheckResult(search_id))
            total.new_matches += result.new_matches
            total.alerts_queued += result.alerts_queued
            total.preview.extend(result.preview)
            if result.seen_at and (total.seen_at is None or result.seen_at > total.seen_at):
                total.seen_at = result.seen_at
            self.metrics.matches.inc(result.new_matches)
