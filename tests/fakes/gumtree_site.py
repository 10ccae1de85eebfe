"""A local Gumtree UK: serves the fixture results pages at /search, or misbehaves on request.

The scraper is pointed at it through GUMTREE_URL's setting (the adapter's ``base_url``). Every
request's query and headers are recorded so tests can check what was sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from aiohttp import web
from multidict import MultiDict

from tests.fakes.local_server import serving

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gumtree"


class GumtreeMode(StrEnum):
    RESULTS = "search_results"
    NO_RESULTS = "no_results"
    CHANGED_LAYOUT = "changed_layout"
    CHALLENGE = "challenge"  # a 200 bot-check page
    MALFORMED = "malformed"  # the results page cut off mid-tag, before the first tile
    TOO_MANY = "429"
    FORBIDDEN = "403"
    SERVER_ERROR = "503"
    SLOW = "slow"  # answers after `slow_seconds`


@dataclass
class GumtreeSite:
    mode: GumtreeMode = GumtreeMode.RESULTS
    retry_after: str = "120"
    slow_seconds: float = 1.0
    requests: list[MultiDict[str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    # Ad pages (issue 14: saved listings' state): ids still listed; others answer 404.
    live_ads: set[str] = field(default_factory=set)
    ad_requests: list[str] = field(default_factory=list)

    async def ad(self, request: web.Request) -> web.Response:
        ad_id = request.match_info["ad_id"]
        self.ad_requests.append(ad_id)
        if ad_id not in self.live_ads:
            return web.Response(status=404, text="<html><title>Page not found</title></html>")
        return web.Response(text="<html><title>An ad</title></html>", content_type="text/html")

    def page(self, name: str) -> str:
        return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")

    async def search(self, request: web.Request) -> web.Response:
        self.requests.append(MultiDict(request.query))
        self.headers.append(dict(request.headers))
        return await self._answer()

    async def _answer(self) -> web.Response:
        mode = self.mode
        if mode is GumtreeMode.TOO_MANY:
            return web.Response(
                status=429, text="Too Many Requests", headers={"Retry-After": self.retry_after}
            )
        if mode is GumtreeMode.FORBIDDEN:
            return web.Response(
                status=403,
                text="<html><title>Access denied</title></html>",
                content_type="text/html",
            )
        if mode is GumtreeMode.SERVER_ERROR:
            return web.Response(status=503, text="Service Unavailable")
        if mode is GumtreeMode.SLOW:
            await asyncio.sleep(self.slow_seconds)
            mode = GumtreeMode.RESULTS
        if mode is GumtreeMode.MALFORMED:
            html = self.page(GumtreeMode.RESULTS.value)
            cut = html.index('<article data-q="search-result"')
            return web.Response(text=html[:cut] + "<arti", content_type="text/html")
        return web.Response(text=self.page(mode.value), content_type="text/html")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/search", self.search)
        app.router.add_get("/p/{category}/{slug}/{ad_id}", self.ad)
        app.router.add_get("/{category}", self.search)  # category result pages, e.g. /cars
        return app


@asynccontextmanager
async def running_gumtree(site: GumtreeSite) -> AsyncIterator[str]:
    """Serve ``site`` on a free local port; yields its base URL."""
    async with serving(site.app()) as url:
        yield url
