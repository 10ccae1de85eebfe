"""A per-provider rate limit (token bucket) shared by every send of one notifier."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from core.errors import DeliveryError


class Throttle:
    """At most ``per_second`` sends a second on average, in bursts of up to ``burst``.

    A send that would wait longer than ``max_wait_seconds`` fails as a transient error
    instead: the outbox retries it later, and the alert's lease is never outlived by a queue.
    """

    def __init__(
        self,
        per_second: float,
        burst: int = 1,
        *,
        max_wait_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.per_second = per_second
        self.burst = max(1, burst)
        self.max_wait_seconds = max_wait_seconds
        self._monotonic = monotonic
        self._tokens = float(self.burst)
        self._updated = monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.per_second)
            self._updated = now
            wait = max(0.0, (1 - self._tokens) / self.per_second)
            if wait > self.max_wait_seconds:
                raise DeliveryError("our sending rate limit is reached; trying again shortly")
            # Take the token now (possibly going below zero): later callers queue behind us.
            self._tokens -= 1
        if wait:
            await asyncio.sleep(wait)
