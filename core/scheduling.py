"""When searches run: aligned due times, claiming with leases, and recording each outcome.

Alignment is what makes coalescing work across time. A search's due times are
``phase + k·interval`` where the phase comes from its fetch key (``core.fetchkeys``; one of
its keys, ``Search.fetch_key``, for a search on several marketplaces), so every search with the
same upstream request is due at the same instants and shares one fetch. Phases are spread
evenly over the alignment period (so load is flat), and a slower interval's instants are a
subset of a faster one's (a 30-min search lands on some of the 5-min search's instants
with the same key: it never rides the faster schedule, yet never costs an extra call).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.backoff import backoff_delay
from core.criteria import Criteria
from core.enums import SearchStatus
from core.errors import MarketplaceError, RateLimited
from core.fetchkeys import keys_for, schedule_key
from core.formatting import preview_text
from core.models import Search
from core.outbox import queue_notice
from core.ports import ListingData
from core.text import clean_text

ALIGN_PERIOD_SECONDS = 300
# Searches that share a key are spread over up to this many seconds (at most a tenth of
# their interval) after the key's instant, so a popular query (thousands of searches) is not one
# spike. It stays below the runner's share window, so they still ride one fetch.
SPREAD_SECONDS = 8
RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 3600.0
# Tell the user after this many failed checks in a row (once), and again when it recovers.
NOTIFY_AFTER_FAILURES = 3


def phase_seconds(key: str, interval: int) -> int:
    """Where in its interval a search with ``key`` is due (seconds after an aligned boundary)."""
    spread = int(key[:8] or "0", 16) % ALIGN_PERIOD_SECONDS
    if interval >= ALIGN_PERIOD_SECONDS and interval % ALIGN_PERIOD_SECONDS == 0:
        slots = interval // ALIGN_PERIOD_SECONDS
        return spread + ALIGN_PERIOD_SECONDS * (int(key[8:16] or "0", 16) % slots)
    return spread % interval


def next_due(after: datetime, interval: int, key: str, spread: int = 0) -> datetime:
    """The first aligned instant strictly after ``after`` (never later than one interval).

    ``spread`` (0 ≤ spread < SPREAD_SECONDS, from the search id) shifts a search within its
    key's share window.
    """
    phase = phase_seconds(key, interval) + spread % max(1, interval // 10)
    k = math.floor((after.timestamp() - phase) / interval) + 1
    return datetime.fromtimestamp(phase + k * interval, UTC)


def spread_of(search_id: int) -> int:
    return search_id % SPREAD_SECONDS


def due_after_check(checked_at: datetime, interval: int, key: str, spread: int) -> datetime:
    """The next due time after a check: the search's own aligned instant about one interval on.

    A check on time is followed by the next instant, exactly one interval later. A check off
    the grid (the first one, or a late one) takes the instant nearest to one interval later,
    so two checks are never less than half an interval apart.
    """
    due = next_due(checked_at, interval, key, spread)
    if (due - checked_at).total_seconds() < interval / 2:
        due += timedelta(seconds=interval)
    return due


def _due(now: datetime) -> Q:
    unleased = Q(lease_until=None) | Q(lease_until__lt=now)
    return Q(Q(status=SearchStatus.ACTIVE, next_check_at__lte=now), unleased)


async def claim_due_searches(
    now: datetime, *, limit: int, lease_until: datetime, skip_locked: bool
) -> list[Search]:
    """Lease up to ``limit`` due searches, oldest due first, same-key searches together.

    The lease makes a claim exclusive across processes (``skip_locked`` on Postgres) and
    expires on its own when a worker dies mid-check, so the search is checked again.
    """
    async with in_transaction():
        query = Search.filter(_due(now)).order_by("next_check_at", "fetch_key").limit(limit)
        if skip_locked:
            query = query.select_for_update(skip_locked=True)
        ids = [row.id for row in await query.only("id")]
        if ids:
            await Search.filter(id__in=ids).update(lease_until=lease_until)
    if not ids:
        return []
    return await Search.filter(id__in=ids).select_related("destination")


async def oldest_due_lag(now: datetime) -> float:
    """Seconds since the oldest due, unleased search should have been checked (0 if none)."""
    row = await Search.filter(_due(now)).order_by("next_check_at").first().only("next_check_at")
    return 0.0 if row is None else max(0.0, (now - row.next_check_at).total_seconds())


@dataclass(slots=True)
class Outcomes:
    """What one batch's checks came to, saved with a few grouped statements."""

    now: datetime
    lease_until: datetime
    succeeded: list[Search] = field(default_factory=list)
    failed: list[tuple[Search, MarketplaceError, float | None]] = field(default_factory=list)
    new_matches: dict[int, int] = field(default_factory=dict)
    primed: dict[int, tuple[datetime, Sequence[ListingData]]] = field(default_factory=dict)

    def success(
        self,
        search: Search,
        new_matches: int,
        seen_at: datetime | None,
        preview: Sequence[ListingData] = (),
    ) -> None:
        """``seen_at``: when this check stored its listings (primes a search not yet primed,
        whose chat is then shown ``preview``)."""
        self.succeeded.append(search)
        if new_matches:
            self.new_matches[search.id] = new_matches
        if search.primed_at is None and seen_at is not None:
            self.primed[search.id] = (seen_at, preview)

    def failure(
        self, search: Search, error: MarketplaceError, wait_until: datetime | None = None
    ) -> None:
        """``wait_until``: when the marketplace may be asked again (an open circuit)."""
        delay = None if wait_until is None else (wait_until - self.now).total_seconds()
        self.failed.append((search, error, delay))


async def save_outcomes(outcomes: Outcomes, rng: random.Random | None = None) -> None:
    """Record the batch: next due times, errors, counters, and notices to the user.

    Every update is fenced by the batch's lease: if a worker took over a search whose lease
    expired, this (late) result does not overwrite the newer one.
    """
    await _save_successes(outcomes)
    for search, error, delay in outcomes.failed:
        await _save_failure(search, error, delay, outcomes, rng)


async def _save_successes(outcomes: Outcomes) -> None:
    now = outcomes.now
    by_due: dict[datetime, list[int]] = defaultdict(list)
    for search in outcomes.succeeded:
        key = search.fetch_key or schedule_key(
            keys_for(Criteria.from_json(search.criteria), search.marketplaces)
        )
        due = due_after_check(now, search.interval_seconds, key, spread_of(search.id))
        by_due[due].append(search.id)
    by_count: dict[int, list[int]] = defaultdict(list)  # most batches: every count is 1
    for search_id, count in outcomes.new_matches.items():
        by_count[count].append(search_id)
    # One transaction: on SQLite each statement on its own would be a commit (a disk sync).
    async with in_transaction():
        for due, ids in by_due.items():
            await Search.filter(id__in=ids, lease_until=outcomes.lease_until).update(
                next_check_at=due,
                last_checked_at=now,
                last_error=None,
                consecutive_failures=0,
                checks_count=F("checks_count") + 1,
                lease_until=None,
            )
        for search in outcomes.succeeded:
            if search.id in outcomes.primed:
                await _prime(search, *outcomes.primed[search.id])
        for count, ids in by_count.items():
            await Search.filter(id__in=ids).update(matches_count=F("matches_count") + count)
        for search in outcomes.succeeded:
            if search.failure_notified_at is not None:
                await _tell_recovered(search, now)


async def _save_failure(
    search: Search,
    error: MarketplaceError,
    delay: float | None,
    outcomes: Outcomes,
    rng: random.Random | None,
) -> None:
    now = outcomes.now
    failures = search.consecutive_failures + 1
    if delay is None:
        delay = backoff_delay(failures, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS, rng=rng)
        if isinstance(error, RateLimited):
            delay = max(delay, error.retry_after)
    # Error texts can quote what a marketplace sent: cleaned like any outside text.
    message = clean_text(f"{type(error).__name__}: {error}", 1000, multiline=True)
    notify = failures >= NOTIFY_AFTER_FAILURES and search.failure_notified_at is None
    updated = await Search.filter(id=search.id, lease_until=outcomes.lease_until).update(
        next_check_at=now + timedelta(seconds=delay),
        last_checked_at=now,
        last_error=message,
        consecutive_failures=failures,
        checks_count=F("checks_count") + 1,
        lease_until=None,
        **({"failure_notified_at": now} if notify else {}),
    )
    if updated and notify:
        await queue_notice(
            search.destination,
            f"search:{search.id}:down:{now.isoformat()}",
            f"⚠ Your search #{search.id} {search.name} can't run right now ({error}). "
            "I'll keep trying and tell you when it works again.",
            now,
        )


async def _prime(search: Search, seen_at: datetime, preview: Sequence[ListingData]) -> None:
    """Set the watermark, and show the chat what is there already: once per priming (of two
    workers priming the same search, only the one that sets the watermark tells)."""
    if not await Search.filter(id=search.id, primed_at=None).update(primed_at=seen_at):
        return
    await queue_notice(
        search.destination,
        f"search:{search.id}:preview:{seen_at.isoformat()}",
        preview_text(search.id, search.name, preview, seen_at),
        seen_at,
    )


async def _tell_recovered(search: Search, now: datetime) -> None:
    since = search.failure_notified_at
    assert since is not None
    await Search.filter(id=search.id).update(failure_notified_at=None)
    await queue_notice(
        search.destination,
        f"search:{search.id}:up:{since.isoformat()}",
        f"✅ Your search #{search.id} {search.name} is running again.",
        now,
    )


__all__ = [
    "Outcomes",
    "claim_due_searches",
    "next_due",
    "oldest_due_lag",
    "phase_seconds",
    "save_outcomes",
]
