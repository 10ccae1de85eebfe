"""Craigslist's HTML search page (``{site}.craigslist.org/search/sss?query=…``) → ListingData.

The fallback when the sapi JSON fails. The page is mostly drawn by JavaScript, but it ships
a static result list for browsers without it, and a JSON-LD block:

* ``ol.cl-static-search-results > li.cl-static-search-result[title]`` — each holds
  ``a[href]`` (the posting URL, ending ``/<posting id>.html``), ``.title``, and in
  ``.details`` a ``.price`` ("$450") and a ``.location``;
* ``script#ld_searchpage_results`` (``application/ld+json``) — a schema.org ``ItemList``
  whose ``itemListElement[].item`` is a Product with ``name``, ``image[]`` and ``offers``
  (``price``, ``priceCurrency``, ``availableAtOrFrom.address.addressLocality`` /
  ``addressRegion``). It has no URLs, so it only adds photo, currency and place to the
  list entry of the same name.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.errors import Blocked, ParseError
from core.ports import ListingData
from scrapers.common import clean_text, parse_price

__all__ = ["parse_search_page"]

logger = logging.getLogger(__name__)

NAME = "craigslist"
_POSTING_ID = re.compile(r"/(\d{6,})\.html(?:$|[?#])")


def parse_search_page(html: str, *, currency: str = "USD") -> list[ListingData]:
    """Listings on one search page; ``ParseError`` if it no longer looks like one."""
    tree = LexborHTMLParser(html)
    _check_not_blocked(tree)
    results = tree.css("li.cl-static-search-result")
    extras = _json_ld(tree)
    if not results:
        if tree.css_first("ol.cl-static-search-results") is None and not extras:
            raise ParseError(
                "craigslist's search page has neither the result list nor its JSON-LD: "
                "the page layout changed",
                marketplace=NAME,
            )
        if extras:
            raise ParseError(
                f"craigslist's search page lists {len(extras)} results in JSON-LD but has no "
                "result links: the page layout changed",
                marketplace=NAME,
            )
        return []
    found = [x for x in (_listing(li, extras, currency) for li in results) if x is not None]
    if not found:
        raise ParseError("no craigslist search result has a posting link", marketplace=NAME)
    return found


def _check_not_blocked(tree: LexborHTMLParser) -> None:
    title = tree.css_first("title")
    text = clean_text(title.text()).lower() if title is not None else ""
    if "blocked" in text:
        raise Blocked(f"craigslist shows a block page ({text!r})", marketplace=NAME)


def _json_ld(tree: LexborHTMLParser) -> dict[str, Mapping[str, Any]]:
    """JSON-LD products by name; a broken block only costs the photos."""
    node = tree.css_first("script#ld_searchpage_results")
    if node is None:
        return {}
    try:
        data = json.loads(node.text())
        elements = data.get("itemListElement") or []
    except (ValueError, AttributeError) as exc:
        logger.warning("craigslist: unreadable JSON-LD on the search page (%s)", exc)
        return {}
    products: dict[str, Mapping[str, Any]] = {}
    for element in elements if isinstance(elements, list) else []:
        item = element.get("item") if isinstance(element, Mapping) else None
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            products.setdefault(clean_text(item["name"]), item)
    return products


def _listing(
    li: LexborNode, extras: Mapping[str, Mapping[str, Any]], currency: str
) -> ListingData | None:
    link = li.css_first("a[href]")
    href = (link.attributes.get("href") or "") if link is not None else ""
    posting = _POSTING_ID.search(href)
    title_node = li.css_first(".title")
    title = clean_text(li.attributes.get("title") or (title_node.text() if title_node else ""))
    if posting is None or not title:
        return None
    product = extras.get(title, {})
    offer = _mapping(product.get("offers"))
    return ListingData(
        marketplace=NAME,
        external_id=posting.group(1),
        url=href,
        title=title,
        price=_price(li, offer),
        currency=str(offer.get("priceCurrency") or currency),
        location=_location(li, offer),
        image_url=_image(product.get("image")),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _price(li: LexborNode, offer: Mapping[str, Any]) -> Decimal | None:
    node = li.css_first(".price")
    if node is not None:
        return parse_price(node.text())
    return parse_price(str(offer["price"])) if offer.get("price") is not None else None


def _location(li: LexborNode, offer: Mapping[str, Any]) -> str:
    node = li.css_first(".location")
    if node is not None and clean_text(node.text()):
        return clean_text(node.text())
    address = _mapping(_mapping(offer.get("availableAtOrFrom")).get("address"))
    parts = [clean_text(str(address.get(k) or "")) for k in ("addressLocality", "addressRegion")]
    return ", ".join(p for p in parts if p)


def _image(value: Any) -> str | None:
    images = value if isinstance(value, list) else [value]
    first = images[0] if images else None
    return first if isinstance(first, str) and first.startswith("http") else None
