"""A Gumtree UK search-results page → listings, parsed with selectolax (lexbor).

The real page (www.gumtree.com/search?q=…, 2024–25) renders every result server-side as
``<article data-q="search-result">`` containing:

- ``<a data-q="search-result-anchor" href="/p/<category>/<slug>/<id>">`` — the id is the
  last path segment (10 digits today);
- ``[data-q="tile-title"]`` (a div or h2), ``[data-q="tile-price"]`` (also
  ``data-testid="price"``: "£320", "£95pw", absent for "Please contact"),
  ``[data-q="tile-location"]``, ``[data-q="tile-description"]`` (a ``<p>``),
  ``[data-q="tile-datePosted"]`` ("2 mins ago"), and ``<img data-q="tile-image">`` whose
  ``src`` is a placeholder until lazy-loaded (the real URL is in ``data-src``/``srcset``);
- motors tiles add ``[data-q="motors-year"]``, ``motors-mileage`` … (not needed here).

Any tile field but the link may be missing; ``scrapers.gumtree.datalayer`` fills gaps from the
embedded data layer. A page with no tiles is a "no results" page, a block page, or a changed
layout — the three are told apart so the runner gets the right error.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.errors import Blocked, ParseError
from core.ports import ListingData
from scrapers.common import clean_text as clean
from scrapers.common import collection_only, parse_price
from scrapers.gumtree.datalayer import (
    LISTING_ID,
    DataLayer,
    read_data_layer,
    read_json_ld_urls,
)
from scrapers.gumtree.text import parse_age

__all__ = ["LISTING_DOMAINS", "MARKETPLACE", "TILE_SELECTOR", "parse_search_page"]

logger = logging.getLogger(__name__)

MARKETPLACE = "gumtree"
# Where Gumtree listings live: the click-through of alerts redirects only there
# (core.clicks); a promoted tile's off-site link is shown as text instead.
LISTING_DOMAINS = ("gumtree.com", "www.gumtree.com")
TILE_SELECTOR = 'article[data-q="search-result"]'
_ANCHOR = 'a[data-q="search-result-anchor"]'
_NO_RESULTS = re.compile(
    r"\b0 (ads|results)\b|\bno (ads|results)\b|\b(couldn.t|could not|can.t) find\b", re.I
)
_BLOCK_TITLES = ("just a moment", "attention required", "access denied", "pardon our interruption")
_BLOCK_MARKERS = ("captcha-delivery.com", "cf-chl-", "px-captcha", "/cdn-cgi/challenge-platform/h/")


@dataclass(frozen=True, slots=True)
class _Tile:
    id: str
    url: str
    title: str
    price: str
    location: str
    description: str
    image_url: str | None
    age: str


def _text(node: LexborNode, selector: str) -> str:
    found = node.css_first(selector)
    return clean(found.text(separator=" ")) if found is not None else ""


def _image(node: LexborNode, base_url: str) -> str | None:
    img = node.css_first('img[data-q="tile-image"]') or node.css_first("img")
    if img is None:
        return None
    attrs = img.attributes
    srcset = (attrs.get("data-srcset") or attrs.get("srcset") or "").split(",")[0].split(" ")[0]
    for candidate in (attrs.get("data-src"), srcset, attrs.get("src")):
        if candidate and not candidate.startswith("data:") and "placeholder" not in candidate:
            return urljoin(base_url, candidate)
    return None


def _tile(node: LexborNode, base_url: str) -> _Tile | None:
    anchor = node.css_first(_ANCHOR) or node.css_first('a[href*="/p/"]')
    href = (anchor.attributes.get("href") or "") if anchor is not None else ""
    match = LISTING_ID.search(href)
    if match is None:
        return None
    return _Tile(
        id=match[1],
        url=urljoin(base_url, href),
        title=_text(node, '[data-q="tile-title"]'),
        price=_text(node, '[data-q="tile-price"]') or _text(node, '[data-testid="price"]'),
        location=_text(node, '[data-q="tile-location"]'),
        description=_text(node, '[data-q="tile-description"]'),
        image_url=_image(node, base_url),
        age=_text(node, '[data-q="tile-datePosted"]'),
    )


def _layer_price(row: Any) -> Decimal | None:
    try:
        if row.get("pricePennies") not in (None, ""):
            return Decimal(str(row["pricePennies"])) / 100
        if row.get("price") not in (None, ""):
            return Decimal(str(row["price"]))
    except (InvalidOperation, ValueError):
        return None
    return None


def _listing(tile: _Tile, row: Any, now: datetime) -> ListingData | None:
    row = row or {}
    title = tile.title or clean(str(row.get("name") or ""))
    if not title:
        return None
    price = parse_price(tile.price) if tile.price else _layer_price(row)
    return ListingData(
        marketplace=MARKETPLACE,
        external_id=tile.id,
        url=tile.url,
        title=title,
        price=price,
        description=tile.description,
        location=tile.location or clean(str(row.get("location") or "")),
        image_url=tile.image_url,
        # category stays empty: Gumtree's names ("Mobile Phones") are not our category keys, and
        # core's matching would reject a listing whose category differs from the search's.
        posted_at=parse_age(tile.age or str(row.get("age") or ""), now),
        collection_only=collection_only(title, tile.description),
    )


def _layer_only(listing_id: str, row: Any, url: str, now: datetime) -> ListingData | None:
    tile = _Tile(listing_id, url, "", "", "", "", None, "")
    return _listing(tile, row, now)


def _fallback_url(base_url: str, listing_id: str, row: Any) -> str:
    # Only when neither a tile nor the JSON-LD gives the URL: the id is what identifies the
    # ad, the category/slug segments are best effort.
    category = re.sub(r"[^a-z0-9]+", "-", str(row.get("category") or "item").lower()).strip("-")
    return urljoin(base_url, f"/p/{category or 'item'}/listing/{listing_id}")


def _says_no_results(tree: LexborHTMLParser) -> bool:
    for node in tree.css('h1, h2, [data-q*="no-results"], [data-q*="zero-results"]'):
        if _NO_RESULTS.search(clean(node.text(separator=" "))):
            return True
    return False


def _page_title(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return clean(node.text()) if node is not None else ""


def _check_block(tree: LexborHTMLParser, html: str) -> None:
    title = _page_title(tree).lower()
    if title.startswith(_BLOCK_TITLES) or any(marker in html for marker in _BLOCK_MARKERS):
        raise Blocked(
            f"Gumtree answered with a bot check ({_page_title(tree) or 'no title'}) instead of "
            "results; checks will slow down and retry",
            marketplace=MARKETPLACE,
        )


def _without_tiles(
    tree: LexborHTMLParser, html: str, layer: DataLayer | None, base_url: str, now: datetime
) -> list[ListingData]:
    _check_block(tree, html)
    if layer:  # tiles gone but the data layer still lists results: use it
        logger.warning("gumtree: no result tiles on the page; parsed the data layer instead")
        urls = read_json_ld_urls(tree)
        found = (
            _layer_only(key, row, urls.get(key) or _fallback_url(base_url, key, row), now)
            for key, row in layer.items()
        )
        return [listing for listing in found if listing is not None]
    if layer is not None or _says_no_results(tree):
        return []
    raise ParseError(
        f"Gumtree's results page has changed: no {TILE_SELECTOR} tiles, no data layer and no "
        f"'no results' notice (page title {_page_title(tree)!r}); the Gumtree scraper needs "
        "updating",
        marketplace=MARKETPLACE,
    )


def parse_search_page(html: str, base_url: str, now: datetime) -> list[ListingData]:
    """Every listing on one results page, newest first as the page orders them.

    Raises ``Blocked`` for a bot-check page and ``ParseError`` when the layout is not one we
    know; a genuine "no results" page gives ``[]``.
    """
    tree = LexborHTMLParser(html)
    layer = read_data_layer(tree)
    nodes = tree.css(TILE_SELECTOR)
    if not nodes:
        return _without_tiles(tree, html, layer, base_url, now)
    tiles = [tile for tile in (_tile(node, base_url) for node in nodes) if tile is not None]
    rows = layer or {}
    listings = [_listing(tile, rows.get(tile.id), now) for tile in tiles]
    found = [listing for listing in listings if listing is not None]
    if not found:
        raise ParseError(
            f"Gumtree's result tiles have changed: {len(nodes)} {TILE_SELECTOR} tiles but none "
            f"with a listing link ({_ANCHOR} to /p/…/<id>) and a title; the Gumtree scraper "
            "needs updating",
            marketplace=MARKETPLACE,
        )
    if len(found) < len(nodes):
        logger.info(
            "gumtree: skipped %d of %d tiles without a link or title",
            len(nodes) - len(found),
            len(nodes),
        )
    return found
