"""The sandbox marketplace server: app factory, a blocking ``serve`` and a test helper.

Routes: ``GET /api/search``, ``POST /api/listings``, ``POST /api/watch``,
``GET /api/listings/{id}``, ``POST /api/listings/{id}/price``, ``GET /item/{id}``,
``GET /img/{id}.png``, ``GET /``, ``GET /health``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from core.clock import Clock, utcnow
from scrapers.sandbox import api, pages
from scrapers.sandbox.state import STATE, SandboxConfig, SandboxState

__all__ = ["SandboxConfig", "build_sandbox_app", "running_sandbox", "serve_sandbox"]

logger = logging.getLogger(__name__)


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    state = app[STATE]
    started = time.perf_counter()
    state.now()  # make the initial stock now, not during the first search
    logger.info(
        "sandbox marketplace ready: %d listings generated in %.2fs",
        len(state.generator.listings),
        time.perf_counter() - started,
    )
    yield
    for task in state.echo_tasks:
        task.cancel()
    await asyncio.gather(*state.echo_tasks, return_exceptions=True)


def build_sandbox_app(config: SandboxConfig, *, clock: Clock | None = None) -> web.Application:
    """A fresh sandbox marketplace. ``clock`` (aware UTC datetimes) drives listings over time;
    by default the wall clock, so listings appear as real time passes after start."""
    app = web.Application()
    app[STATE] = SandboxState(config, clock or utcnow)
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_get("/", pages.index)
    app.router.add_get("/health", pages.health)
    app.router.add_get("/api/search", api.search)
    app.router.add_post("/api/listings", api.create_listing)
    app.router.add_post("/api/watch", api.watch)
    app.router.add_get("/api/listings/{listing_id}", api.get_listing)
    app.router.add_post("/api/listings/{listing_id}/price", api.change_price)
    app.router.add_get("/item/{listing_id}", pages.item_page)
    app.router.add_get("/img/{listing_id}.png", pages.image)
    return app


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def running_sandbox(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    clock: Clock | None = None,
    access_log: bool = False,
) -> AsyncIterator[str]:
    """Serve a sandbox while the block runs; yields its base URL (``port=0``: a free port).

    The access log is off by default: benchmarks send tens of thousands of searches.
    """
    app = build_sandbox_app(config, clock=clock)
    runner = web.AppRunner(
        app, access_log=logging.getLogger("aiohttp.access") if access_log else None
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        yield f"http://{_url_host(host)}:{bound_port}"
    finally:
        await runner.cleanup()


async def serve_sandbox(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8090) -> None:
    """Run the sandbox marketplace until cancelled (``marketplace-monitor sandbox``)."""
    async with running_sandbox(config, host, port, access_log=True) as url:
        logger.info("sandbox marketplace listening on %s", url)
        await asyncio.Event().wait()
