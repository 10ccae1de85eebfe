"""``GET /r/<token>``: the click-through of email and SMS alerts. Records the first click on
the alert (its ``clicked_at``) and redirects to the listing with 302."""

from __future__ import annotations

import logging

from aiohttp import web

from core.clicks import record_click
from web.keys import CLOCK
from web.pages import page

logger = logging.getLogger(__name__)

# No caching (each click counts) and no Referer: the token must not reach the marketplace.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


async def click(request: web.Request) -> web.Response:
    url = await record_click(request.match_info["token"], request.app[CLOCK]())
    if url is None or not url.lower().startswith(("https://", "http://")):
        return page(
            "Link not found",
            "This link is not valid. Open the listing from the alert in your chat instead.",
            status=404,
            headers=_HEADERS,
        )
    raise web.HTTPFound(location=url, headers=_HEADERS)


def add_click_routes(app: web.Application) -> None:
    app.router.add_get("/r/{token}", click)
