"""``GET /r/<token>``: the click-through of email and SMS alerts. Records the first click on
the alert (its ``clicked_at``) and redirects with 302 to the listing, but only onto the
listing's own marketplace (``core.clicks``): any other link a scraped page gave is shown as
text on a page, never followed."""

from __future__ import annotations

import logging

from aiohttp import web

from core.clicks import ClickTarget, ListingDomains, on_listing_domains, record_click
from web.keys import CLOCK
from web.pages import page

logger = logging.getLogger(__name__)

# Marketplace name → the hosts its listings live on; the composition root builds it.
LISTING_DOMAINS = web.AppKey[ListingDomains]("listing_domains")

# No caching (each click counts) and no Referer: the token must not reach the marketplace.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _off_site(target: ClickTarget) -> web.Response:
    return page(
        "This link leaves the marketplace",
        [
            "The listing's link does not point to the site of its own marketplace "
            f"({target.marketplace}), so we don't open it for you. Here it is as text; copy "
            "it into your browser only if you trust where it goes:",
        ],
        code=target.url,
        status=403,
        headers=_HEADERS,
    )


async def click(request: web.Request) -> web.Response:
    # aiohttp answers HEAD with this handler too; only a GET is someone opening the link.
    counts = request.method == "GET"
    target = await record_click(request.match_info["token"], request.app[CLOCK](), counts=counts)
    if target is None:
        return page(
            "Link not found",
            "This link is not valid. Open the listing from the alert in your chat instead.",
            status=404,
            headers=_HEADERS,
        )
    declared = request.app[LISTING_DOMAINS].get(target.marketplace, ())
    if not on_listing_domains(target.url, declared):
        logger.warning("click-through: refused a link off %s's own site", target.marketplace)
        return _off_site(target)
    raise web.HTTPFound(location=target.url, headers=_HEADERS)


def add_click_routes(app: web.Application, listing_domains: ListingDomains | None = None) -> None:
    """``listing_domains``: marketplace name → declared hosts; none given, nothing redirects."""
    app[LISTING_DOMAINS] = dict(listing_domains or {})
    app.router.add_get("/r/{token}", click)
