"""The health record of one marketplace: last success, last error, recent error rate.

Kept in ``MarketplaceState`` (shared by every process) and logged, so an operator sees a site
starting to fail or block us before users complain. The runner sees the outcome of every
upstream call and records it here; scrapers never write health. This module is the one writer
of ``last_success_at``, ``last_error`` and ``last_error_at``; ``consecutive_failures`` and the
breaker fields belong to the circuit breaker (the runner publishes them) and are only read here.
The recent error rate is over this process's last ``window`` calls.

Bookkeeping never breaks a search: a database problem here is logged and ignored.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from core.clock import Clock, utcnow
from core.errors import MarketplaceError, QuotaSpent
from core.models import MarketplaceState
from core.text import clean_text

__all__ = ["HealthRecorder", "MarketplaceHealth", "read_health"]

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = 20
ERROR_RATE_WARNING = 0.5  # warn the operator once half the recent searches fail


@dataclass(frozen=True, slots=True)
class MarketplaceHealth:
    """A snapshot for logs and /metrics."""

    name: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    recent_error_rate: float | None = None  # None: nothing recorded in this process yet


class HealthRecorder:
    """Records each search's outcome for one marketplace."""

    def __init__(self, marketplace: str, *, window: int = DEFAULT_WINDOW, clock: Clock = utcnow):
        self.marketplace = marketplace
        self._clock = clock
        self._outcomes: deque[bool] = deque(maxlen=window)  # True = failed
        self._db_warned = False

    @property
    def recent_error_rate(self) -> float | None:
        if not self._outcomes:
            return None
        return sum(self._outcomes) / len(self._outcomes)

    async def record(self, error: MarketplaceError | None) -> None:
        """One upstream call's outcome: ``None`` when it succeeded."""
        if error is None:
            await self.record_success()
        elif not isinstance(error, QuotaSpent):  # pacing ourselves is not the site failing
            await self.record_failure(error)

    async def record_success(self) -> None:
        recovered = bool(self._outcomes) and self._outcomes[-1]
        self._outcomes.append(False)
        if recovered:
            logger.info("%s: working again (recent error rate %s)", self.marketplace, self._rate())
        await self._save(last_success_at=self._clock())

    async def record_failure(self, exc: MarketplaceError) -> None:
        self._outcomes.append(True)
        rate = self.recent_error_rate or 0.0
        log = logger.warning if rate >= ERROR_RATE_WARNING else logger.info
        log(
            "%s: %s: %s (recent error rate %s)",
            self.marketplace,
            type(exc).__name__,
            exc,
            self._rate(),
        )
        # The message may quote what the site sent: cleaned like any outside text.
        error = clean_text(f"{type(exc).__name__}: {exc}", 1000, multiline=True)
        await self._save(last_error=error, last_error_at=self._clock())

    async def snapshot(self) -> MarketplaceHealth:
        health = await read_health(self.marketplace)
        return MarketplaceHealth(
            name=health.name,
            last_success_at=health.last_success_at,
            last_error=health.last_error,
            last_error_at=health.last_error_at,
            consecutive_failures=health.consecutive_failures,
            recent_error_rate=self.recent_error_rate,
        )

    def _rate(self) -> str:
        return f"{sum(self._outcomes)}/{len(self._outcomes)}"

    async def _save(self, **changes: object) -> None:
        try:
            await MarketplaceState.get_or_create(name=self.marketplace)
            await MarketplaceState.filter(name=self.marketplace).update(**changes)
        except Exception as exc:  # health bookkeeping must never fail a search
            if not self._db_warned:
                logger.warning("%s: health not saved (%r)", self.marketplace, exc)
                self._db_warned = True


async def read_health(marketplace: str) -> MarketplaceHealth:
    """The shared health record of ``marketplace`` (all processes), from the database."""
    state = await MarketplaceState.get_or_none(name=marketplace)
    if state is None:
        return MarketplaceHealth(marketplace, None, None, None, 0)
    return MarketplaceHealth(
        name=marketplace,
        last_success_at=state.last_success_at,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        consecutive_failures=state.consecutive_failures,
    )
