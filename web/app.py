"""The web application factory.

Each route module offers ``add_<name>_routes(app, …)`` that stores what its handlers need
under typed ``web.AppKey``s and registers its routes; a new feature (Stripe webhook, click
redirects, Telegram webhook) is one more module and one more call here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from aiohttp import web

from core.clicks import ListingDomains
from core.clock import Clock, utcnow
from core.metrics import Metrics
from core.signing import KeyStore
from web.clicks import add_click_routes
from web.health import HealthProbe, add_health_routes
from web.keys import CLOCK, METRICS
from web.metrics import DEFAULT_REFRESH_SECONDS, add_metrics_routes
from web.unsubscribe import add_unsubscribe_routes

RouteAdder = Callable[[web.Application], None]


def build_web_app(
    *,
    metrics: Metrics,
    health: HealthProbe,
    clock: Clock = utcnow,
    extra_routes: Sequence[RouteAdder] = (),
    listing_domains: ListingDomains | None = None,
    metrics_token: str | None = None,
    metrics_refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
    keys: KeyStore | None = None,
) -> web.Application:
    """A new application; call once per ``metrics`` (its queue gauges join that registry).

    ``extra_routes`` lets the composition root mount adapters' routes (a chat platform's
    webhook, say) without web/ importing those adapters. ``listing_domains`` (marketplace
    name → the hosts its listings live on, declared by each scraper) is where alert
    click-throughs may redirect. ``metrics_token`` (METRICS_TOKEN) closes /metrics to
    requests without it. ``keys``: the process's signing key store (unsubscribe links).
    """
    app = web.Application()
    app[METRICS] = metrics
    app[CLOCK] = clock
    add_health_routes(app, health)
    add_metrics_routes(app, token=metrics_token, refresh_seconds=metrics_refresh_seconds)
    # Alert links: need only core and the database, so every web app serves them.
    add_click_routes(app, listing_domains)
    add_unsubscribe_routes(app, keys)
    for add_routes in extra_routes:
        add_routes(app)
    return app
