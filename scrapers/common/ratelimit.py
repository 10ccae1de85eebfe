"""``SiteRateLimiter``: one per site and process, so we never hammer a site.

Requests are spaced by ``min_interval`` plus a random jitter, so our traffic has no
machine-regular rhythm. After a 429 the site's own delay is honoured with ``hold()``. A wait
longer than ``max_wait`` is not slept through (that would hold the runner's lease): it is
raised as ``RateLimited`` so the runner reschedules the check.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable

from core.errors import RateLimited

__all__ = ["SiteRateLimiter"]

logger = logging.getLogger(__name__)


class SiteRateLimiter:
    """Spaces the requests to one site: ``await limiter.acquire()`` before each one."""

    def __init__(
        self,
        marketplace: str,
        *,
        min_interval: float,
        jitter: float = 0.0,
        max_wait: float = 30.0,
        rng: random.Random | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if min_interval < 0 or jitter < 0:
            raise ValueError("min_interval and jitter must not be negative")
        self.marketplace = marketplace
        self.min_interval = min_interval
        self.jitter = jitter
        self.max_wait = max_wait
        self._rng = rng or random.Random()
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_at = 0.0  # monotonic time the next request may start
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait for this site's next slot, or raise ``RateLimited`` if it is too far off."""
        async with self._lock:  # one waiter at a time keeps the spacing between all callers
            wait = self._next_at - self._monotonic()
            if wait > self.max_wait:
                raise RateLimited(
                    f"{self.marketplace}: holding off for {wait:.0f} s (asked to slow down)",
                    retry_after=wait,
                    marketplace=self.marketplace,
                )
            if wait > 0:
                await self._sleep(wait)
            gap = self.min_interval + self._rng.uniform(0, self.jitter)
            self._next_at = self._monotonic() + gap

    def hold(self, seconds: float) -> None:
        """No request before ``seconds`` from now (the site's Retry-After)."""
        until = self._monotonic() + max(0.0, seconds)
        if until > self._next_at:
            logger.info("%s: pausing requests for %.0f s", self.marketplace, seconds)
            self._next_at = until

    def seconds_until_free(self) -> float:
        return max(0.0, self._next_at - self._monotonic())
