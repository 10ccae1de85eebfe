"""The monitoring loop: claim due searches, fetch once per shared query, match, queue alerts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from array import array
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiojobs
from tortoise.expressions import Q

from core.backoff import poll_pause
from core.breaker import CircuitBreaker
from core.checks import CheckResult, KnownPage, record_fetch
from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.errors import MarketplaceError, Slowed, Unavailable
from core.fetchkeys import FetchKeySpec, key_for, query_from_json
from core.health import HealthRecorder
from core.keystate import instant_between
from core.metrics import Metrics
from core.models import FetchKey, Listing, MarketplaceState, Search, SearchFetchKey
from core.parse_health import ParseHealth
from core.ports import BackgroundMarketplace, ListingData, Marketplace, MarketplaceQuery
from core.rates import RatesCache, RatesJob
from core.saved_state import SavedStateChecker
from core.scheduling import (
    SPREAD_SECONDS,
    Claim,
    KeyResult,
    KeySearch,
    Outcomes,
    active_searches,
    claim_keys,
    save_outcomes,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    batch_size: int = 500
    # A batch's searches are loaded at once: a claim carries at most this many (summed over
    # its keys; a bigger key alone). None: only ``batch_size`` bounds it (to measure).
    max_claim_searches: int | None = 50_000
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


# An overflowed page: fetch at most this many further pages (each one paced like any call).
MAX_OVERFLOW_PAGES = 3
# A page shorter than this cannot have overflowed (the marketplace had no more to give).
OVERFLOW_MIN_PAGE = 20


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
        # (tier, seconds) of every claimed key's due lag, when a benchmark asks for them.
        self.lag_samples: list[tuple[str, float]] | None = None
        # Fetches by fetch key digest: (when started, the fetch), shared for the share window.
        self._recent: dict[str, tuple[float, asyncio.Future[list[ListingData]]]] = {}
        # Each key's last page and the searches that had it written (see _remember_page).
        self._pages: dict[str, tuple[array[int], array[int]]] = {}

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
        for marketplace in self.marketplaces.values():  # eBay's category feeds (issue 18)
            if isinstance(marketplace, BackgroundMarketplace):
                jobs.append(marketplace.run_background(self._stopping))
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
                more = await self._tick(scheduler)
            except Exception:  # the loop must outlive any one bad batch
                logger.exception("runner batch failed; continuing")
                more = False
            if not more:  # nothing bounded the claim: wait for keys to come due
                with contextlib.suppress(TimeoutError):
                    pause = poll_pause(self.options.idle_sleep_seconds)
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def tick(self, scheduler: aiojobs.Scheduler | None = None) -> int:
        """Claim one batch of due fetch keys and check them. Returns how many were claimed."""
        return len((await self._checked_claim(scheduler)).keys)

    async def _tick(self, scheduler: aiojobs.Scheduler | None) -> bool:
        """``tick``; whether a bound stopped the claim (more keys may be due now)."""
        return (await self._checked_claim(scheduler)).full

    async def _checked_claim(self, scheduler: aiojobs.Scheduler | None) -> Claim:
        now = self.clock()
        self.last_tick_at = now
        await self._sync_breakers(now)
        lease_until = now + timedelta(seconds=self.options.lease_seconds)
        claim = await claim_keys(
            now, limit=self.options.batch_size, lease_until=lease_until,
            skip_locked=self.options.skip_locked, max_searches=self.options.max_claim_searches,
        )  # fmt: skip
        keys = claim.keys
        for key in keys:
            if key.next_check_at is not None:
                lag = max(0.0, (now - key.next_check_at).total_seconds())
                self.metrics.key_due_lag.labels(key.tier).observe(lag)
                if self.lag_samples is not None:
                    self.lag_samples.append((key.tier, lag))
        if keys:
            try:
                await self._check_keys(keys, lease_until, scheduler)
            except asyncio.CancelledError:
                await _hand_back([k.id for k in keys], lease_until)
                raise
        return claim

    async def prime(self, search: Search) -> list[ListingData]:
        """Record what a new search matches today as seen; return the newest few as a preview.

        The runner's loop does this for every new search (its keys are due at once); this
        checks its keys now. A key no other process holds is checked as a whole (its due
        searches ride along, as the loop would have done); one being checked elsewhere is
        checked for this search only. If it fails the search stays unprimed and its next
        check primes it instead.
        """
        await search.refresh_from_db()
        now = self.clock()
        lease_until = now + timedelta(seconds=self.options.lease_seconds)
        key_ids = await SearchFetchKey.filter(search_id=search.id).values_list(
            "fetch_key_id", flat=True
        )
        claimed: list[FetchKey] = []
        others: list[FetchKey] = []
        for key in await FetchKey.filter(id__in=list(key_ids)):
            free = Q(lease_until=None) | Q(lease_until__lt=now)
            if await FetchKey.filter(Q(id=key.id), free).update(lease_until=lease_until):
                claimed.append(key)
            else:
                others.append(key)
        results = await self._check_keys(claimed, lease_until, None)
        if others:
            more = await self._check_keys(others, lease_until, None, only={search.id})
            self._merge(more, results)
        found = results.get(search.id)
        return found.preview if found else []

    async def _check_keys(
        self,
        keys: Sequence[FetchKey],
        lease_until: datetime,
        scheduler: aiojobs.Scheduler | None,
        only: set[int] | None = None,
    ) -> dict[int, CheckResult]:
        """Check ``keys``; ``only``: check just these searches and leave the keys' schedule
        alone (another process holds them)."""
        if not keys:
            return {}
        now = self.clock()
        outcomes = Outcomes(now, lease_until)
        results: dict[int, CheckResult] = {}
        by_key = await active_searches([k.id for k in keys])
        runs = []
        for key in keys:
            searches = by_key.get(key.id, [])
            if only is not None:
                searches = [s for s in searches if s.id in only]
            interval = min((s.interval_seconds for s in searches), default=None)
            result = KeyResult(key, searches, interval=interval)
            if only is None:
                outcomes.keys.append(result)
            # A slower search is matched on its own grid's instants only (a subset of the
            # key's); a search not yet primed is always checked (its first check).
            due = [
                s
                for s in searches
                if s.primed_at is None
                or s.interval_seconds == interval
                or key.consecutive_failures  # a retry: its missed instants are owed
                or instant_between(key.digest, s.interval_seconds, key.last_checked_at, now)
            ]
            if due:
                runs.append(self._check_key(key, due, result, outcomes, results))
        if scheduler is None:
            await asyncio.gather(*runs)
        else:
            jobs = [await scheduler.spawn(run) for run in runs]
            await asyncio.gather(*(job.wait() for job in jobs))
        async with self._writes:
            await save_outcomes(outcomes)
        return results

    async def _check_key(
        self,
        key: FetchKey,
        searches: list[KeySearch],
        result: KeyResult,
        outcomes: Outcomes,
        results: dict[int, CheckResult],
    ) -> None:
        name = key.marketplace
        marketplace = self.marketplaces.get(name)
        breaker = self.breakers.get(name)
        now = self.clock()
        criteria = _parsed(searches)
        # The request as its searches spell it (the stored JSON is normalised: 100.00 is
        # stored as 100); equal digests mean the same request either way.
        spec = key_for(criteria[searches[0].id], name)
        if spec.digest != key.digest:  # a search edited since the claim: the stored request
            spec = FetchKeySpec(name, key.digest, query_from_json(_json(key.query)))
        if marketplace is None or breaker is None:
            error = Unavailable(f"the {name} marketplace is not configured here", marketplace=name)
            self._record_error(result, searches, error, None)
            return
        if self._refused(breaker, result, searches, now):
            return
        groups = [searches] if self.options.coalesce else [[s] for s in searches]
        known = self._known_page(key.digest)
        page: set[int] = set()
        for group in groups:
            try:
                fetched = await self._fetch(marketplace, spec)
                if breaker.record_success():
                    await self._publish_breaker(breaker)
                fetched = await self._overflow(marketplace, key, spec, fetched, result)
            except Slowed as exc:  # the planner's pace, not a failure (issue 18)
                result.slowed = exc
                return
            except MarketplaceError as exc:
                if breaker.record_failure(exc, now):
                    await self._publish_breaker(breaker)
                self._record_error(result, searches, exc, breaker.open_until)
                return
            except Exception as exc:  # an adapter bug must not stop the other keys
                logger.exception("fetch of %s failed unexpectedly", spec.query)
                self._record_error(result, searches, Unavailable(f"internal error: {exc}"), None)
                return
            await self._store(result, group, criteria, fetched, outcomes, results, known, page)
        self._remember_page(key.digest, page, searches, result)
        self.metrics.key_checks.labels(name).inc()

    def _refused(
        self, breaker: CircuitBreaker, result: KeyResult, searches: list[KeySearch], now: datetime
    ) -> bool:
        """Whether the marketplace's breaker is open (its error recorded on the key if so)."""
        if breaker.allow(now):
            return False
        name = breaker.marketplace
        error = Unavailable(f"{name} is refusing our requests; checks resume by themselves",
                            marketplace=name)  # fmt: skip
        self._record_error(result, searches, error, breaker.open_until)
        return True

    def _known_page(self, digest: str) -> KnownPage | None:
        entry = self._pages.get(digest)
        return None if entry is None else KnownPage(frozenset(entry[0]), frozenset(entry[1]))

    def _remember_page(
        self, digest: str, page: set[int], searches: list[KeySearch], result: KeyResult
    ) -> None:
        """The key's page and the searches that had it written, for its next check here
        (forgotten when the check failed: not every search had it written then).

        Kept compact (ids in arrays): one entry per key this process checks. Losing it (a
        restart, or another process's check) only makes the next check look at the whole
        page again."""
        if result.error is not None:
            self._pages.pop(digest, None)
            return
        self._pages[digest] = (array("i", sorted(page)), array("i", sorted(s.id for s in searches)))

    async def _overflow(
        self,
        marketplace: Marketplace,
        key: FetchKey,
        spec: FetchKeySpec,
        fetched: list[ListingData],
        result: KeyResult,
    ) -> list[ListingData]:
        """A newest-first page that is all new since the key's last fetch may have overflowed:
        fetch further pages (each a paced, counted call) until a seen listing appears."""
        if key.last_checked_at is None or key.checks_count == 0:
            return fetched  # the first fetch of a key: everything is new by definition
        if len(fetched) < min(OVERFLOW_MIN_PAGE, spec.query.limit) or await _any_seen(fetched):
            return fetched
        name = spec.marketplace
        result.overflowed = True
        self.metrics.key_overflows.labels(name).inc()
        more = getattr(marketplace, "search_page", None)
        if more is None:
            return fetched  # one page is all this marketplace gives: counted, and told
        pages = list(fetched)
        for page in range(2, 2 + MAX_OVERFLOW_PAGES):
            self.metrics.overflow_pages.labels(name).inc()
            found = await self._call_page(more, spec.query, page)
            pages.extend(found)
            if not found or await _any_seen(found):
                break
        return pages

    async def _call_page(
        self, more: object, query: MarketplaceQuery, page: int
    ) -> list[ListingData]:
        assert callable(more)
        self.metrics.fetches.labels(query.marketplace).inc()
        self._fetches_done += 1
        found = await more(query, page)
        assert isinstance(found, list)
        return found

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

    async def _store(
        self,
        result: KeyResult,
        searches: list[KeySearch],
        criteria: dict[int, Criteria],
        fetched: list[ListingData],
        outcomes: Outcomes,
        results: dict[int, CheckResult],
        known: KnownPage | None = None,
        page: set[int] | None = None,
    ) -> None:
        platforms = {s.id: s.destination.platform.value for s in searches}
        name = result.key.marketplace
        # From the fetch's answer, the wait for a write slot included: what a user waits.
        started = time.perf_counter()
        first: list[float] = []

        def committed(alerts: int) -> None:
            if alerts and not first:
                first.append(time.perf_counter() - started)
                self.metrics.observe_first_alert(first[0])

        try:
            async with self._writes:
                rates = await self.rates.get()
                found = await record_fetch(
                    searches, criteria, fetched, self.clock(), platforms, rates, known, page,
                    committed,
                )  # fmt: skip
                queued = sum(r.alerts_queued for r in found.values())
                self.metrics.observe_match_latency(time.perf_counter() - started, queued)
        except Exception as exc:  # a storage problem fails this key, not the loop
            logger.exception("storing %s failed", result.key.digest)
            self._record_error(result, searches, Unavailable(f"internal error: {exc}"), None)
            return
        by_id = {s.id: s for s in searches}
        for search_id, check in found.items():
            outcomes.matched(search_id, check.new_matches)
            if check.seen_at is not None:
                outcomes.prime(by_id[search_id], check.seen_at, check.preview)
        self._merge(found, results)
        self.metrics.checks.labels(name).inc(len(searches))
        self._checks_done += len(searches)
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
        result: KeyResult,
        searches: list[KeySearch],
        exc: MarketplaceError,
        wait_until: datetime | None,
    ) -> None:
        self.metrics.fetch_errors.labels(result.key.marketplace, type(exc).__name__).inc()
        ids = [s.id for s in searches]
        # One line per failed fetch, naming the searches it failed (not one per search).
        logger.warning(
            "%s check failed for search %s%s: %s",
            result.key.marketplace,
            ", ".join(map(str, ids[:10])),
            f" and {len(ids) - 10} more" if len(ids) > 10 else "",
            exc,
        )
        result.error = exc
        result.wait_until = wait_until

    def _merge(self, found: dict[int, CheckResult], results: dict[int, CheckResult]) -> None:
        for search_id, result in found.items():
            total = results.setdefault(search_id, CheckResult(search_id))
            total.new_matches += result.new_matches
            total.alerts_queued += result.alerts_queued
            total.preview.extend(result.preview)
            if result.seen_at and (total.seen_at is None or result.seen_at > total.seen_at):
                total.seen_at = result.seen_at
            self.metrics.matches.inc(result.new_matches)


def _parsed(searches: Sequence[KeySearch]) -> dict[int, Criteria]:
    """Each search's criteria, parsed once per distinct criteria: a popular key's thousands
    of searches mostly ask the same thing, and parsing each would cost more than matching."""
    by_text: dict[str, Criteria] = {}
    # active_searches shares one criteria object among equal ones: seen by identity first.
    by_object: dict[int, Criteria] = {}
    found = {}
    for search in searches:
        parsed = by_object.get(id(search.criteria))
        if parsed is None:
            text = json.dumps(search.criteria, sort_keys=True)
            if text not in by_text:
                by_text[text] = Criteria.from_json(search.criteria)
            parsed = by_object[id(search.criteria)] = by_text[text]
        found[search.id] = parsed
    return found


async def _any_seen(listings: Sequence[ListingData]) -> bool:
    """Was any of ``listings`` stored before (by any key)? One indexed query."""
    ids = list({item.external_id for item in listings})[:500]
    if not ids:
        return False
    name = listings[0].marketplace
    return await Listing.filter(marketplace=name, external_id__in=ids).exists()


def _json(value: object) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, str | bytes) else value
    assert isinstance(loaded, dict)
    return loaded


async def _hand_back(key_ids: list[int], lease_until: datetime) -> None:
    """Stopped mid-check: hand the keys back now rather than when the lease runs out, so a
    restart (or another process) checks them at once. Best effort: the database may be
    going away too (a shutdown closes the pool), and an error here must not turn the
    cancellation into a failed batch that the loop would then carry on after."""
    try:
        await FetchKey.filter(id__in=key_ids, lease_until=lease_until).update(lease_until=None)
    except Exception:
        logger.warning("could not hand back %d keys; their lease runs out", len(key_ids))
