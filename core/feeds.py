"""Core's side of category feeds (issue 18): the ``FeedHost`` port over the database.

A marketplace that reads category feeds (scrapers/ebay) asks which fetch keys are in use
(their query, fastest interval and best tier: what the planner shares the calls out by),
wakes the keys a feed read found something new for (the runner then checks them at once,
answered from the feed without a call), and stores where each query's listings fall
(``QueryCategory``), so the choice survives restarts and is shared by every process.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from core.clock import Clock, utcnow
from core.fetchkeys import query_from_json
from core.models import FetchKey, QueryCategory
from core.ports import CategoryStats, KeyDemand

__all__ = ["DatabaseFeedHost"]


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


class DatabaseFeedHost:
    """``FeedHost`` on core's tables."""

    def __init__(self, clock: Clock = utcnow) -> None:
        self._clock = clock

    async def demand(self, marketplace: str) -> list[KeyDemand]:
        rows = await FetchKey.filter(
            marketplace=marketplace, next_check_at__isnull=False
        ).values_list("digest", "query", "interval_seconds", "tier")
        return [
            KeyDemand(digest, query_from_json(_loaded(query)), int(interval), str(tier))
            for digest, query, interval, tier in rows
        ]

    async def wake(self, marketplace: str, digests: Sequence[str]) -> int:
        """Due now, unless checked right now by someone (its lease fences that result)."""
        if not digests:
            return 0
        now = self._clock()
        woken = 0
        for start in range(0, len(digests), 500):
            chunk = list(digests[start : start + 500])
            woken += await FetchKey.filter(
                Q(lease_until=None) | Q(lease_until__lt=now),
                marketplace=marketplace,
                digest__in=chunk,
                next_check_at__gt=now,
            ).update(next_check_at=now)
        return woken

    async def categories(self, marketplace: str) -> dict[str, CategoryStats]:
        rows = await QueryCategory.filter(marketplace=marketplace).values_list(
            "signature", "counts", "refreshed_at"
        )
        return {
            signature: CategoryStats({str(k): float(v) for k, v in _loaded(counts).items()}, at)
            for signature, counts, at in rows
        }

    async def save_categories(
        self, marketplace: str, signature: str, counts: dict[str, float], at: datetime
    ) -> None:
        await QueryCategory.update_or_create(
            {"counts": counts, "refreshed_at": at}, marketplace=marketplace, signature=signature
        )
