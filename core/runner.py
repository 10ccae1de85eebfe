"""The monitoring loop: claim due searches, fetch once per shared query, match, queue alerts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import aiojobs

from core.checks import CheckResult, record_fetch
from core.clock import Clock, utcnow
from core.criteria import Criteria
from core.errors import MarketplaceError, Unavailable
from core.metrics import Metrics
from core.models import Search
from core.ports import ListingData, Marketplace, MarketplaceQuery
from core.scheduling import (
    claim_due_searches,
    save_schedules,
    schedule_failure,
    schedule_success,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunnerOptions:
    batch_size: int = 500
    lease_seconds: float = 300.0
    idle_sleep_seconds: float = 1.0
    max_concurrent_fetches: int = 50
    # Searches with the same upstream query share one fetch. Off only to measure the saving.
    coalesce: bool = True
    # Postgres: claim with FOR UPDATE SKIP LOCKED so several processes divide the work.
    skip_locked: bool = False


@dataclass(slots=True)
class _Group:
    query: MarketplaceQuery
    searches: list[Search]


class Runner:
    """Checks due searches until cancelled. Every state it needs lives in the database."""

    def __init__(
        self,
        marketplaces: Mapping[str, Marketplace],
        *,
        options: RunnerOptions | None = None,
        metrics: Metrics | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.marketplaces = dict(marketplaces)
        self.options = options or RunnerOptions()
        self.metrics = metrics or Metrics()
        self.clock = clock
        self.last_tick_at: datetime | None = None

    async def run(self) -> None:
        async with aiojobs.Scheduler(
            limit=self.options.max_concurrent_fetches, close_timeout=5.0
        ) as scheduler:
            while True:
                try:
                    checked = await self.tick(scheduler)
                except Exception:  # the loop must outlive any one bad batch
                    logger.exception("runner batch failed; continuing")
                    checked = 0
                if checked < self.options.batch_size:
                    await asyncio.sleep(self.options.idle_sleep_seconds)

    async def tick(self, scheduler: aiojobs.Scheduler | None = None) -> int:
        """Claim one batch of due searches and check them. Returns how many were claimed."""
        now = self.clock()
        self.last_tick_at = now
        searches = await claim_due_searches(
            now,
            limit=self.options.batch_size,
            lease_seconds=self.options.lease_seconds,
            skip_locked=self.options.skip_locked,
        )
        if searches:
            await self._check_all(searches, scheduler)
        return len(searches)

    async def prime(self, search: Search) -> list[ListingData]:
        """Record what a new search matches today as seen; return the newest few as a preview.

        Called right after creation so the user sees a preview at once. If it fails the search
        stays unprimed and its first scheduled check records the baseline instead.
        """
        await search.fetch_related("destination")
        results = await self._check_all([search], None)
        found = results.get(search.id)
        return found.preview if found else []

    async def _check_all(
        self, searches: Sequence[Search], scheduler: aiojobs.Scheduler | None
    ) -> dict[int, CheckResult]:
        groups = self._groups(searches)
        errors: dict[int, MarketplaceError] = {}
        results: dict[int, CheckResult] = {}
        runs = [self._check_group(group, errors, results) for group in groups]
        if scheduler is None:
            await asyncio.gather(*runs)
        else:
            jobs = [await scheduler.spawn(run) for run in runs]
            await asyncio.gather(*(job.wait() for job in jobs))
        self._finish(searches, errors, results)
        await save_schedules(searches)
        return results

    def _groups(self, searches: Sequence[Search]) -> list[_Group]:
        groups: dict[object, _Group] = {}
        for search in searches:
            criteria = Criteria.from_json(search.criteria)
            for name in search.marketplaces:
                query = criteria.upstream_query(name)
                key: object = query if self.options.coalesce else (query, search.id)
                groups.setdefault(key, _Group(query, [])).searches.append(search)
        return list(groups.values())

    async def _check_group(
        self,
        group: _Group,
        errors: dict[int, MarketplaceError],
        results: dict[int, CheckResult],
    ) -> None:
        marketplace = self.marketplaces.get(group.query.marketplace)
        try:
            if marketplace is None:
                raise Unavailable(
                    f"the {group.query.marketplace} marketplace is not configured here",
                    marketplace=group.query.marketplace,
                )
            self.metrics.fetches.labels(group.query.marketplace).inc()
            fetched = await marketplace.search(group.query)
            started = time.perf_counter()
            platforms = {s.id: s.destination.platform.value for s in group.searches}
            found = await record_fetch(group.searches, fetched, self.clock(), platforms)
            queued = sum(r.alerts_queued for r in found.values())
            self.metrics.observe_match_latency(time.perf_counter() - started, queued)
        except MarketplaceError as exc:
            self._record_error(group, exc, errors)
            return
        except Exception as exc:  # a bug in one group must not stop the others
            logger.exception("check of %s failed", group.query)
            self._record_error(group, Unavailable(f"internal error: {exc}"), errors)
            return
        self._merge(found, results)
        self.metrics.checks.labels(group.query.marketplace).inc(len(group.searches))

    def _record_error(
        self, group: _Group, exc: MarketplaceError, errors: dict[int, MarketplaceError]
    ) -> None:
        self.metrics.fetch_errors.labels(group.query.marketplace, type(exc).__name__).inc()
        for search in group.searches:
            logger.warning(
                "search %s: %s fetch failed: %s", search.id, group.query.marketplace, exc
            )
            errors[search.id] = exc

    def _merge(self, found: dict[int, CheckResult], results: dict[int, CheckResult]) -> None:
        for search_id, result in found.items():
            total = results.setdefault(search_id, CheckResult(search_id))
            total.new_matches += result.new_matches
            total.alerts_queued += result.alerts_queued
            total.preview.extend(result.preview)
            self.metrics.matches.inc(result.new_matches)

    def _finish(
        self,
        searches: Sequence[Search],
        errors: dict[int, MarketplaceError],
        results: dict[int, CheckResult],
    ) -> None:
        now = self.clock()
        for search in searches:
            result = results.get(search.id)
            if result is not None:
                search.matches_count += result.new_matches
            if search.id in errors:
                schedule_failure(search, errors[search.id], now)
            else:
                schedule_success(search, now)
