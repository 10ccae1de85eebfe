"""Serving the web application: until cancelled (``run``), or for the length of a block."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

logger = logging.getLogger(__name__)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@asynccontextmanager
async def running_web(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve ``app`` while the block runs; yields its base URL (``port=0``: a free port)."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield f"http://{_url_host(host)}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def serve_web(app: web.Application, host: str, port: int) -> None:
    """Serve ``app`` until cancelled; the listening socket is closed on the way out."""
    async with running_web(app, host, port) as url:
        logger.info("web: listening on %s", url)
        await asyncio.Event().wait()
