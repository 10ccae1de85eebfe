"""Which searches are due, claiming them, and when each runs next."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from core.backoff import backoff_delay
from core.enums import SearchStatus
from core.errors import MarketplaceError, RateLimited
from core.models import Search

RETRY_BASE_SECONDS = 30.0
RETRY_CAP_SECONDS = 3600.0


def _due(now: datetime) -> Q:
    unleased = Q(lease_until=None) | Q(lease_until__lt=now)
    return Q(Q(status=SearchStatus.ACTIVE, next_check_at__lte=now), unleased)


async def claim_due_searches(
    now: datetime, *, limit: int, lease_seconds: float, skip_locked: bool
) -> list[Search]:
    """Lease up to ``limit`` due searches, oldest due first.

    The lease makes a claim exclusive across processes (``skip_locked`` on Postgres) and
    expires on its own when a worker dies mid-check, so the search is checked again.
    """
    async with in_transaction():
        query = Search.filter(_due(now)).order_by("next_check_at").limit(limit)
        if skip_locked:
            query = query.select_for_update(skip_locked=True)
        ids = [row.id for row in await query.only("id")]
        if ids:
            await Search.filter(id__in=ids).update(
                lease_until=now + timedelta(seconds=lease_seconds)
            )
    if not ids:
        return []
    return await Search.filter(id__in=ids).select_related("destination")


async def oldest_due_lag(now: datetime) -> float:
    """Seconds since the oldest due, unleased search should have been checked (0 if none)."""
    row = await Search.filter(_due(now)).order_by("next_check_at").first().only("next_check_at")
    return 0.0 if row is None else max(0.0, (now - row.next_check_at).total_seconds())


def schedule_success(search: Search, now: datetime) -> None:
    search.next_check_at = now + timedelta(seconds=search.interval_seconds)
    search.last_checked_at = now
    search.last_error = None
    search.consecutive_failures = 0
    search.checks_count += 1
    search.primed = True
    search.lease_until = None


def schedule_failure(
    search: Search, error: MarketplaceError, now: datetime, rng: random.Random | None = None
) -> None:
    """Record the error (shown in /searches) and retry with backoff, honouring RateLimited."""
    search.consecutive_failures += 1
    delay = backoff_delay(
        search.consecutive_failures, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS, rng=rng
    )
    if isinstance(error, RateLimited):
        delay = max(delay, error.retry_after)
    search.next_check_at = now + timedelta(seconds=delay)
    search.last_checked_at = now
    search.last_error = f"{type(error).__name__}: {error}"[:1000]
    search.checks_count += 1
    search.lease_until = None


SCHEDULE_FIELDS: Sequence[str] = (
    "next_check_at",
    "last_checked_at",
    "last_error",
    "consecutive_failures",
    "checks_count",
    "matches_count",
    "primed",
    "lease_until",
)


async def save_schedules(searches: Sequence[Search]) -> None:
    if searches:
        await Search.bulk_update(list(searches), fields=list(SCHEDULE_FIELDS), batch_size=500)
