"""An in-memory ``FeedHost`` (core.ports) for tests and benchmarks: demand as given, wakes
and stored categories recorded (core.feeds.DatabaseFeedHost is the real one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.ports import CategoryStats, KeyDemand


@dataclass
class MemoryFeedHost:
    keys: list[KeyDemand] = field(default_factory=list)
    stored: dict[str, CategoryStats] = field(default_factory=dict)
    woken: list[str] = field(default_factory=list)

    async def demand(self, marketplace: str) -> list[KeyDemand]:
        return list(self.keys)

    async def wake(self, marketplace: str, digests: Sequence[str]) -> int:
        self.woken.extend(digests)
        return len(digests)

    async def categories(self, marketplace: str) -> dict[str, CategoryStats]:
        return dict(self.stored)

    async def save_categories(
        self, marketplace: str, signature: str, counts: dict[str, float], at: datetime
    ) -> None:
        self.stored[signature] = CategoryStats(dict(counts), at)
