"""The sandbox's human-facing pages: index, listing page, listing image, health."""

from __future__ import annotations

from html import escape

from aiohttp import web

from scrapers.sandbox.listing import SandboxListing
from scrapers.sandbox.state import STATE

__all__ = ["health", "image", "index", "item_page"]

_RECENT_ON_INDEX = 20
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}"
    "img{border-radius:8px}dt{font-weight:600}.price{font-size:1.5rem;color:#1b5e20}"
)


def _page(title: str, body: str) -> web.Response:
    html = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


def _listing_link(listing: SandboxListing) -> str:
    return (
        f"<li><a href='/item/{escape(listing.id)}'>{escape(listing.title)}</a>"
        f" – {escape(listing.price_text)}, {escape(listing.location)}</li>"
    )


async def index(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.now()
    listings = state.generator.listings
    recent = "".join(_listing_link(item) for item in reversed(listings[-_RECENT_ON_INDEX:]))
    body = (
        "<h1>Sandbox marketplace</h1>"
        "<p>A local, made-up marketplace for Marketplace Monitor's demo and tests. "
        f"{len(listings)} listings so far; new ones appear every few seconds.</p>"
        "<p>API: <code>GET /api/search?q=&amp;category=&amp;location=&amp;radius=&amp;"
        "min_price=&amp;max_price=&amp;condition=&amp;limit=</code>, "
        "<code>POST /api/listings</code>, <code>POST /api/listings/{id}/price</code>, "
        "<code>GET /health</code>.</p>"
        f"<h2>Newest</h2><ul>{recent}</ul>"
    )
    return _page("Sandbox marketplace", body)


def _listing(request: web.Request) -> SandboxListing:
    state = request.app[STATE]
    state.now()
    listing = state.generator.get(request.match_info["listing_id"])
    if listing is None:
        raise web.HTTPNotFound(text="No such listing.")
    return listing


async def item_page(request: web.Request) -> web.Response:
    listing = _listing(request)
    facts = (
        ("Condition", listing.condition.value),
        ("Category", listing.category),
        ("Location", listing.location),
        ("Seller", listing.seller),
        ("Posted", listing.posted_at.strftime("%d %b %Y %H:%M UTC")),
    )
    details = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    body = (
        f"<p><a href='/'>← Sandbox marketplace</a></p><h1>{escape(listing.title)}</h1>"
        f"<img src='/img/{escape(listing.id)}.png' width='320' height='240' alt=''>"
        f"<p class='price'>{escape(listing.price_text)}</p>"
        f"<p>{escape(listing.description)}</p><dl>{details}</dl>"
    )
    return _page(listing.title, body)


async def image(request: web.Request) -> web.Response:
    listing = _listing(request)
    data = request.app[STATE].images.png(listing)
    return web.Response(
        body=data, content_type="image/png", headers={"Cache-Control": "max-age=60"}
    )


async def health(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.now()
    return web.json_response({"status": "ok", "listings": len(state.generator.listings)})
