"""``DailyQuota``: a per-day call budget shared by every process, that slows down, not stops.

Core's implementation of the ``CallQuota`` port: a scraper whose site has a daily call limit
(eBay's Browse API) is handed one and calls ``take()`` before each upstream call.

The count lives in core's ``MarketplaceState`` (``quota_day`` + ``quota_used``), so several
processes on one Postgres share one budget. Up to ``soft_fraction`` of the limit calls go
freely. Past that, the rest of the budget is released evenly over the rest of the day, so the
allowance reaches the limit only at the quota's midnight:

    allowed(t) = soft + (limit − soft) · (seconds since the quota's midnight / 86 400)

A call over the allowance raises ``RateLimited`` with the delay until the next call is
allowed; the runner reschedules the check by that delay. Checks therefore slow down to the
budget's pace instead of failing for the rest of the day. The operator gets a warning, once
per day and process, when the soft threshold is crossed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, timedelta, tzinfo

from tortoise.expressions import F

from core.clock import Clock, utcnow
from core.errors import QuotaSpent
from core.models import MarketplaceState

__all__ = ["DailyQuota", "QuotaUsage"]

logger = logging.getLogger(__name__)

DAY_SECONDS = 86_400.0
DEFAULT_SOFT_FRACTION = 0.8


@dataclass(frozen=True, slots=True)
class QuotaUsage:
    day: str
    used: int
    limit: int
    allowed_now: int


class DailyQuota:
    """Counts calls against ``limit`` per day; the day starts at midnight in ``reset_tz``."""

    def __init__(
        self,
        marketplace: str,
        limit: int,
        *,
        soft_fraction: float = DEFAULT_SOFT_FRACTION,
        reset_tz: tzinfo = UTC,
        clock: Clock = utcnow,
    ) -> None:
        if limit < 1 or not 0 < soft_fraction <= 1:
            raise ValueError("limit must be positive and soft_fraction in (0, 1]")
        self.marketplace = marketplace
        self.limit = limit
        self.soft = max(1, math.floor(limit * soft_fraction))
        self.reset_tz = reset_tz
        self._clock = clock
        self._warned_day = ""

    def allowed_at(self, elapsed: float) -> int:
        """How many calls the day's budget allows ``elapsed`` seconds after its midnight."""
        share = min(1.0, max(0.0, elapsed / DAY_SECONDS))
        return min(self.limit, self.soft + math.floor((self.limit - self.soft) * share))

    async def take(self) -> int:
        """Count one call and return the day's count, or raise ``RateLimited`` with a delay."""
        day, elapsed = self._day_and_elapsed()
        await self._start_day(day)
        allowed = self.allowed_at(elapsed)
        taken = await MarketplaceState.filter(
            name=self.marketplace, quota_day=day, quota_used__lt=allowed
        ).update(
            quota_used=F("quota_used") + 1
        )  # one conditional UPDATE: processes racing for the last call cannot both get it
        used = await self._used()
        if not taken:
            self._refuse(used, elapsed)
        self._warn_once(day, used)
        return used

    async def usage(self) -> QuotaUsage:
        day, elapsed = self._day_and_elapsed()
        state = await MarketplaceState.get_or_none(name=self.marketplace)
        used = state.quota_used if state is not None and state.quota_day == day else 0
        return QuotaUsage(day, used, self.limit, self.allowed_at(elapsed))

    def _day_and_elapsed(self) -> tuple[str, float]:
        local = self._clock().astimezone(self.reset_tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return local.date().isoformat(), (local - midnight).total_seconds()

    async def _start_day(self, day: str) -> None:
        await MarketplaceState.get_or_create(name=self.marketplace)
        await (
            MarketplaceState.filter(name=self.marketplace)
            .exclude(quota_day=day)
            .update(quota_day=day, quota_used=0)
        )

    async def _used(self) -> int:
        state = await MarketplaceState.get(name=self.marketplace)
        return state.quota_used

    def _refuse(self, used: int, elapsed: float) -> None:
        delay = self._seconds_until_allowed(used, elapsed)
        resume = self._clock() + timedelta(seconds=delay)
        logger.warning(
            "%s: daily call quota %d/%d used; next call at %s UTC (checks slowed to fit)",
            self.marketplace,
            used,
            self.limit,
            resume.astimezone(UTC).strftime("%H:%M:%S"),
        )
        raise QuotaSpent(
            f"{self.marketplace}: {used} of the {self.limit} daily API calls are used; "
            f"checks are slowed down to last until the quota resets (next in {delay:.0f} s)",
            retry_after=delay,
            marketplace=self.marketplace,
        )

    def _seconds_until_allowed(self, used: int, elapsed: float) -> float:
        if used >= self.limit or self.limit == self.soft:
            return max(1.0, DAY_SECONDS - elapsed)  # spent: wait for the quota's midnight
        # allowed_at(t) > used  ⇔  t ≥ (used + 1 − soft) · DAY / (limit − soft)
        needed = (used + 1 - self.soft) * DAY_SECONDS / (self.limit - self.soft)
        return max(1.0, math.ceil(needed - elapsed))

    def _warn_once(self, day: str, used: int) -> None:
        if used < self.soft or self._warned_day == day:
            return
        self._warned_day = day
        pace = DAY_SECONDS / (self.limit - self.soft) if self.limit > self.soft else DAY_SECONDS
        logger.warning(
            "%s: %d of %d daily API calls used; from now on checks slow to about one call "
            "every %.0f s so the quota lasts the day (raise the quota setting if you have more)",
            self.marketplace,
            used,
            self.limit,
            pace,
        )
