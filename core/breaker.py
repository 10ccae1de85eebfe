"""A circuit breaker per marketplace: stop polling a site that is refusing us, probe, resume.

Closed: requests flow; consecutive failures are counted. Open: no requests until
``open_until``; searches wait. Half-open: one probe request decides — success closes the
circuit, failure opens it again for twice as long (capped). ``Blocked`` opens at once: a
site that shows a login wall or a 403 will not change its mind in a few seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import Blocked, MarketplaceError, RateLimited

logger = logging.getLogger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True)
class CircuitBreaker:
    marketplace: str
    failure_threshold: int = 5
    base_cooldown_seconds: float = 60.0
    max_cooldown_seconds: float = 1800.0
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    open_until: datetime | None = None
    cooldown_seconds: float = 0.0
    probing: bool = False

    def allow(self, now: datetime) -> bool:
        """May a request go out now? In half-open state only one probe at a time."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            if self.open_until is not None and now < self.open_until:
                return False
            self.state = BreakerState.HALF_OPEN
            self.probing = False
        if self.probing:
            return False
        self.probing = True
        return True

    def record_success(self) -> bool:
        """Returns True when this success closed an open circuit."""
        recovered = self.state is not BreakerState.CLOSED
        if recovered:
            logger.info("%s answers again: circuit closed", self.marketplace)
        self.state = BreakerState.CLOSED
        self.consecutive_failures = 0
        self.cooldown_seconds = 0.0
        self.open_until = None
        self.probing = False
        return recovered

    def record_failure(self, error: MarketplaceError, now: datetime) -> bool:
        """Returns True when this failure opened the circuit."""
        if isinstance(error, RateLimited):
            # The site told us how long to wait: honour it, but it is not "down".
            self._open(now, max(error.retry_after, 1.0), reason=str(error))
            return True
        self.consecutive_failures += 1
        failed_probe = self.state is BreakerState.HALF_OPEN
        if (
            failed_probe
            or isinstance(error, Blocked)
            or (self.consecutive_failures >= self.failure_threshold)
        ):
            grown = self.cooldown_seconds * 2 if failed_probe else self.base_cooldown_seconds
            self._open(
                now,
                min(self.max_cooldown_seconds, grown or self.base_cooldown_seconds),
                reason=str(error),
            )
            return True
        return False

    def _open(self, now: datetime, seconds: float, *, reason: str) -> None:
        self.state = BreakerState.OPEN
        self.cooldown_seconds = seconds
        self.open_until = now + timedelta(seconds=seconds)
        self.probing = False
        logger.warning(
            "%s circuit open for %.0fs after %d failure(s): %s",
            self.marketplace, seconds, self.consecutive_failures, reason,
        )  # fmt: skip

    def adopt(self, open_until: datetime | None, now: datetime) -> None:
        """Follow another process's verdict (read from the shared MarketplaceState row)."""
        if open_until is not None and open_until > now and self.state is BreakerState.CLOSED:
            self.state = BreakerState.OPEN
            self.open_until = open_until
            self.cooldown_seconds = (open_until - now).total_seconds()
