"""``GET /metrics``: the Prometheus text exposition of the process's registry.

Queue gauges come from the database, so the handler refreshes them before rendering (a
prometheus ``collect()`` callback is synchronous and cannot await), but at most once every
``refresh_seconds``: scrapes (or anybody hammering the URL) are served cached values and
never turn into a stream of database queries. With a token (METRICS_TOKEN) the endpoint
answers only ``Authorization: Bearer <token>``, compared in constant time.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from core import prices
from core.clock import Clock
from core.outbox import oldest_pending, outbox_depth
from core.scheduling import due_lag_by_tier, oldest_due_lag
from core.verdict import VerdictKind
from web.keys import CLOCK, METRICS

DEFAULT_REFRESH_SECONDS = 15.0

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueGauges:
    """How far behind the work queues are, as the database says at scrape time."""

    due_lag: Gauge
    due_lag_by_tier: Gauge
    outbox_depth: Gauge
    outbox_oldest: Gauge
    refreshes: Counter
    # Is it a deal? (issue 16): how the estimator fares in real use, from the database.
    verdicts: Gauge
    not_a_deal: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> QueueGauges:
        """Create the gauges on ``registry``; once per registry (prometheus rejects repeats)."""
        return cls(
            due_lag=Gauge(
                "monitor_due_queue_lag_seconds",
                "Seconds the oldest due fetch key has waited to be checked",
                registry=registry,
            ),
            due_lag_by_tier=Gauge(
                "monitor_due_queue_lag_by_tier_seconds",
                "Seconds the oldest due fetch key of each tier (its best owner's) has waited",
                ["tier"],
                registry=registry,
            ),
            outbox_depth=Gauge(
                "monitor_outbox_depth",
                "Alerts pending or being sent",
                registry=registry,
            ),
            outbox_oldest=Gauge(
                "monitor_outbox_oldest_seconds",
                "Age of the oldest undelivered alert",
                registry=registry,
            ),
            refreshes=Counter(
                "monitor_queue_gauges_refreshes",
                "Times the queue gauges were read from the database",
                registry=registry,
            ),
            verdicts=Gauge(
                "monitor_price_verdicts",
                "Matches alerted with a price verdict, by verdict (under, about, above)",
                ["verdict"],
                registry=registry,
            ),
            not_a_deal=Gauge(
                "monitor_price_not_a_deal",
                "Not a deal presses on verdict alerts, by the verdict they disagreed with",
                ["verdict"],
                registry=registry,
            ),
        )

    async def refresh(self, now: datetime) -> None:
        self.refreshes.inc()
        try:
            due_lag = await oldest_due_lag(now)
            by_tier = await due_lag_by_tier(now)
            depth: float = await outbox_depth()
            oldest = await oldest_pending(now)
        except Exception as exc:
            # Still serve the in-process counters; NaN says "unknown" rather than a stale value.
            logger.warning("metrics: queue gauges unavailable (%s)", type(exc).__name__)
            due_lag = depth = oldest = math.nan
            by_tier = {}
        self.due_lag.set(due_lag)
        for tier in ("free", "starter", "pro", "business"):
            self.due_lag_by_tier.labels(tier).set(by_tier.get(tier, 0.0))
        self.outbox_depth.set(depth)
        self.outbox_oldest.set(oldest)
        await self._refresh_verdicts()

    async def _refresh_verdicts(self) -> None:
        try:
            verdicts, wrong = await prices.verdict_counts(), await prices.feedback_counts()
        except Exception as exc:
            logger.warning("metrics: verdict gauges unavailable (%s)", type(exc).__name__)
            return
        for kind in VerdictKind:
            self.verdicts.labels(kind.value).set(verdicts.get(kind.value, 0))
            self.not_a_deal.labels(kind.value).set(wrong.get(kind.value, 0))


class CachedQueueGauges:
    """Refreshes the gauges when a scrape finds them older than ``max_age_seconds``; one
    refresh at a time, so a burst of scrapes costs one round of queries."""

    def __init__(self, gauges: QueueGauges, clock: Clock, max_age_seconds: float) -> None:
        self.gauges = gauges
        self.clock = clock
        self.max_age_seconds = max_age_seconds
        self._refreshed_at: datetime | None = None
        self._lock = asyncio.Lock()

    async def ensure_fresh(self) -> None:
        async with self._lock:
            now = self.clock()
            if self._refreshed_at is not None:
                age = (now - self._refreshed_at).total_seconds()
                if 0 <= age < self.max_age_seconds:  # a clock stepped back counts as stale
                    return
            await self.gauges.refresh(now)
            self._refreshed_at = now


QUEUE_GAUGES = web.AppKey("queue_gauges", CachedQueueGauges)
METRICS_TOKEN = web.AppKey[bytes | None]("metrics_token")


def _authorized(request: web.Request, token: bytes | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Bytes on both sides: compare_digest refuses non-ASCII str (a TypeError, not a 401).
    return hmac.compare_digest(given.strip().encode("utf-8", "replace"), token)


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    if not _authorized(request, app[METRICS_TOKEN]):
        raise web.HTTPUnauthorized(
            text="401: a bearer token is required (METRICS_TOKEN)\n",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    await app[QUEUE_GAUGES].ensure_fresh()
    body = generate_latest(app[METRICS].registry)
    # Set as a header: aiohttp's content_type= refuses the charset this value carries.
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )


def add_metrics_routes(
    app: web.Application,
    *,
    token: str | None = None,
    refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
) -> None:
    """Needs METRICS and CLOCK on ``app``; adds the queue gauges to the metrics' registry.

    ``token``: when set, requests must carry it as a bearer token.
    """
    gauges = QueueGauges.register(app[METRICS].registry)
    app[QUEUE_GAUGES] = CachedQueueGauges(gauges, app[CLOCK], refresh_seconds)
    app[METRICS_TOKEN] = token.encode() if token else None
    app.router.add_get("/metrics", metrics)
