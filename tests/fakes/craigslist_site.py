"""A local Craigslist: reference data, the sapi JSON search and the HTML search pages.

One server stands in for all three hosts. Point the adapter at it with
``api_url=url``, ``reference_url=url`` and ``site_url=url + "/{site}"`` (CRAIGSLIST_API_URL,
CRAIGSLIST_URL). Each endpoint records its requests and can be told to misbehave.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serving

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "craigslist"


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


@dataclass
class Endpoint:
    """What one endpoint answers; ``body`` replaces the fixture (malformed answers…)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    delay: float = 0.0
    requests: list[web.Request] = field(default_factory=list)

    async def answer(self, request: web.Request, default: str, content_type: str) -> web.Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        text = self.body if self.body is not None else default
        if self.status >= 400 and self.body is None:
            text = f"<html><body><h1>HTTP {self.status}</h1></body></html>"
            content_type = "text/html"
        return web.Response(
            status=self.status, text=text, content_type=content_type, headers=self.headers
        )


@dataclass
class FakeCraigslist:
    search_json: Any = field(default_factory=lambda: fixture_json("sapi_search.json"))
    search_page: str = field(default_factory=lambda: fixture_text("search_page.html"))
    api: Endpoint = field(default_factory=Endpoint)
    page: Endpoint = field(default_factory=Endpoint)
    reference: Endpoint = field(default_factory=Endpoint)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/Areas", self._areas)
        app.router.add_get("/Categories", self._categories)
        app.router.add_get("/web/v8/postings/search/full", self._search_api)
        app.router.add_get("/{site}/search/{category}", self._search_page)
        return app

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        async with serving(self.app()) as url:
            yield url

    async def _areas(self, request: web.Request) -> web.Response:
        return await self.reference.answer(
            request, (FIXTURES / "areas.json").read_text(), "application/json"
        )

    async def _categories(self, request: web.Request) -> web.Response:
        return await self.reference.answer(
            request, (FIXTURES / "categories.json").read_text(), "application/json"
        )

    async def _search_api(self, request: web.Request) -> web.Response:
        return await self.api.answer(request, json.dumps(self.search_json), "application/json")

    async def _search_page(self, request: web.Request) -> web.Response:
        return await self.page.answer(request, self.search_page, "text/html")
