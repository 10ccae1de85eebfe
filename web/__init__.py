"""The small aiohttp app: health, metrics, alert click-through and unsubscribe links; more next."""

from web.app import build_web_app
from web.clicks import add_click_routes
from web.health import HealthProbe, HealthReport
from web.keys import CLOCK, METRICS
from web.metrics import QueueGauges
from web.server import running_web, serve_web
from web.unsubscribe import UNSUBSCRIBE_KEYS, add_unsubscribe_routes

__all__ = [
    "CLOCK",
    "METRICS",
    "UNSUBSCRIBE_KEYS",
    "HealthProbe",
    "HealthReport",
    "QueueGauges",
    "add_click_routes",
    "add_unsubscribe_routes",
    "build_web_app",
    "running_web",
    "serve_web",
]
