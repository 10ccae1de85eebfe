"""The reference rates' storage and their daily fetch (rules: ``core.currency``).

A ``RateSource`` adapter (``scrapers.ecb.EcbRates``) fetches the ECB's latest published
rates; ``RatesJob`` runs it once before the runner's first check, then daily. Each day's
rates are stored with their date (``exchange_rate`` table), once; every process reads the
latest day from there (``RatesCache``), so a runner without the job still converts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.clock import Clock, utcnow
from core.currency import Rates
from core.errors import MarketplaceError
from core.models import ExchangeRate

logger = logging.getLogger(__name__)

__all__ = ["RateSource", "RatesCache", "RatesJob", "latest_rates", "store_rates"]


class RateSource(Protocol):
    """Fetches the latest published reference rates (``scrapers.ecb.EcbRates``).
    Raises ``core.errors.MarketplaceError`` subclasses (unavailable, parse error)."""

    async def latest(self) -> Rates: ...


async def store_rates(rates: Rates, now: datetime) -> bool:
    """Store one day's rates; False when that day was stored already (a weekend's fetch
    returns Friday's again)."""
    if await ExchangeRate.filter(day=rates.day).exists():
        return False
    rows = [
        ExchangeRate(day=rates.day, currency=code, per_euro=rate, fetched_at=now)
        for code, rate in sorted(rates.per_euro.items())
        if code != "EUR"
    ]
    # Another process may store the same day meanwhile: (day, currency) is unique.
    await ExchangeRate.bulk_create(rows, ignore_conflicts=True)
    return True


async def latest_rates() -> Rates | None:
    """The latest day's rates stored, or ``None`` when none were ever fetched."""
    newest = await ExchangeRate.all().order_by("-day").first()
    if newest is None:
        return None
    rows = await ExchangeRate.filter(day=newest.day).values_list("currency", "per_euro")
    return Rates(newest.day, {str(c): Decimal(str(r)) for c, r in rows})


class RatesCache:
    """The latest stored rates, re-read from the database at most every ``ttl_seconds`` (the
    job may run in another process)."""

    def __init__(self, ttl_seconds: float = 600.0, clock: Callable[[], float] | None = None):
        self._ttl = ttl_seconds
        self._clock = clock or _monotonic
        self._rates: Rates | None = None
        self._read_at = -math.inf

    def invalidate(self) -> None:
        self._read_at = -math.inf

    async def get(self) -> Rates | None:
        now = self._clock()
        if now - self._read_at >= self._ttl:
            self._rates = await latest_rates()
            self._read_at = now
        return self._rates


def _monotonic() -> float:
    return asyncio.get_running_loop().time()


class RatesJob:
    """Fetch the reference rates once now, then every ``interval_seconds`` (daily)."""

    def __init__(
        self,
        source: RateSource,
        *,
        cache: RatesCache | None = None,
        interval_seconds: float = 24 * 3600,
        retry_seconds: float = 15 * 60,
        first_wait_seconds: float = 20.0,
        clock: Clock = utcnow,
    ) -> None:
        # How long the first check waits for the first fetch: a hanging ECB must not hold
        # the service's checks (the job keeps trying; stored rates are used meanwhile).
        self.first_wait_seconds = first_wait_seconds
        self.source = source
        self.cache = cache or RatesCache()
        self.interval_seconds = interval_seconds
        self.retry_seconds = retry_seconds
        self.clock = clock
        self._stopping = asyncio.Event()

    async def refresh(self) -> bool:
        """One fetch; True when it succeeded. A failure is logged: the latest stored rates
        stay in use (whatever their age), so a bad day at the ECB stops no check."""
        try:
            rates = await self.source.latest()
        except MarketplaceError as exc:
            logger.warning("reference rates: fetch failed (%s); the last stored rates stay", exc)
            return False
        new = await store_rates(rates, self.clock())
        logger.info(
            "reference rates of %s %s (%d currencies)",
            rates.day.isoformat(),
            "stored" if new else "already stored",
            len(rates.per_euro),
        )
        self.cache.invalidate()
        return True

    async def refresh_before_checks(self) -> bool:
        """``refresh``, waited for at most ``first_wait_seconds``."""
        try:
            return await asyncio.wait_for(self.refresh(), self.first_wait_seconds)
        except TimeoutError:
            logger.warning(
                "reference rates: no answer within %.0f s; checking with the last stored rates",
                self.first_wait_seconds,
            )
            return False

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self, *, first_done: bool = False) -> None:
        """Until stopped: fetch, then wait a day (15 minutes after a failure)."""
        ok = first_done
        while not self._stopping.is_set():
            if not first_done:
                ok = await self.refresh()
            first_done = False
            pause = self.interval_seconds if ok else self.retry_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
