"""The small aiohttp app: health and metrics now; Stripe, click-through and chat webhooks next."""

from web.app import build_web_app
from web.health import HealthProbe, HealthReport
from web.keys import CLOCK, METRICS
from web.metrics import QueueGauges
from web.server import running_web, serve_web

__all__ = [
    "CLOCK",
    "METRICS",
    "HealthProbe",
    "HealthReport",
    "QueueGauges",
    "build_web_app",
    "running_web",
    "serve_web",
]
