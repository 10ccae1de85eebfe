"""Serving a fake's aiohttp app on 127.0.0.1, with an outage switch that really refuses
connections: the listening socket closes and comes back on the same port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port while the block runs; yields its base URL."""
    server = LocalServer(app)
    await server.start()
    try:
        yield server.url
    finally:
        await server.close()


class LocalServer:
    def __init__(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        self._site: web.TCPSite | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        if not self._runner.server:
            await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()
        self.port = self._runner.addresses[-1][1]

    async def go_away(self) -> None:
        """Close the listening socket: new connections are refused until ``come_back``."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner.server is not None:
            # Kept-alive connections die too, as in a real outage.
            await self._runner.server.shutdown(timeout=0.1)

    async def come_back(self) -> None:
        await self.start()

    async def close(self) -> None:
        await self._runner.cleanup()
