"""``GET /metrics``: the Prometheus text exposition of the process's registry.

Queue gauges come from the database, so they are refreshed in the handler just before the
registry is rendered (a prometheus ``collect()`` callback is synchronous and cannot await).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from core.outbox import oldest_pending, outbox_depth
from core.scheduling import oldest_due_lag
from web.keys import CLOCK, METRICS

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class QueueGauges:
    """How far behind the work queues are, as the database says at scrape time."""

    due_lag: Gauge
    outbox_depth: Gauge
    outbox_oldest: Gauge

    @classmethod
    def register(cls, registry: CollectorRegistry) -> QueueGauges:
        """Create the gauges on ``registry``; once per registry (prometheus rejects repeats)."""
        return cls(
            due_lag=Gauge(
                "monitor_due_queue_lag_seconds",
                "Seconds the oldest due search has waited to be checked",
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
        )

    async def refresh(self, now: datetime) -> None:
        try:
            due_lag = await oldest_due_lag(now)
            depth: float = await outbox_depth()
            oldest = await oldest_pending(now)
        except Exception as exc:
            # Still serve the in-process counters; NaN says "unknown" rather than a stale value.
            logger.warning("metrics: queue gauges unavailable (%s)", type(exc).__name__)
            due_lag = depth = oldest = math.nan
        self.due_lag.set(due_lag)
        self.outbox_depth.set(depth)
        self.outbox_oldest.set(oldest)


QUEUE_GAUGES = web.AppKey("queue_gauges", QueueGauges)


async def metrics(request: web.Request) -> web.Response:
    app = request.app
    await app[QUEUE_GAUGES].refresh(app[CLOCK]())
    body = generate_latest(app[METRICS].registry)
    # Set as a header: aiohttp's content_type= refuses the charset this value carries.
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )


def add_metrics_routes(app: web.Application) -> None:
    """Needs METRICS and CLOCK on ``app``; adds the queue gauges to the metrics' registry."""
    app[QUEUE_GAUGES] = QueueGauges.register(app[METRICS].registry)
    app.router.add_get("/metrics", metrics)
