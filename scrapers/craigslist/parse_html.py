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

Two other layouts are read too, for pages saved after the script ran
(``li.cl-search-result[data-pid]`` with ``a.posting-title``, ``.priceinfo``,
``.result-location``) and the older static markup (``li.result-row`` with
``a.result-title``, ``.result-price``, ``.result-hood``, ``time.result-date[datetime]``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.errors import Blocked, ParseError
from core.ports import ListingData
from scrapers.common import clean_text, parse_price

__all__ = ["parse_search_page"]

logger = logging.getLogger(__name__)

NAME = "craigslist"
_POSTING_ID = re.compile(r"/(\d{6,})\.html(?:$|[?#])")
# Containers that mean "this is a search page", even when it lists nothing.
_RESULT_CONTAINERS = "ol.cl-static-search-results, .cl-search-results, #search-results, .noresults"


@dataclass(frozen=True, slots=True)
class _Layout:
    item: str
    link: str
    title: str
    price: str
    place: str


_LAYOUTS = (
    _Layout("li.cl-static-search-result", "a[href]", ".title", ".price", ".location"),
    _Layout(
        "li.cl-search-result",
        "a.posting-title[href], a.main[href], a[href]",
        ".posting-title .label, .posting-title, .title",
        ".priceinfo, .price",
        ".result-location, .location",
    ),
    _Layout(
        "li.result-row",
        "a.result-title[href], a[href]",
        ".result-title",
        ".result-price",
        ".result-hood",
    ),
)


def parse_search_page(html: str, *, currency: str = "USD", base_url: str = "") -> list[ListingData]:
    """Listings on one search page; ``ParseError`` if it no longer looks like one."""
    tree = LexborHTMLParser(html)
    _check_not_blocked(tree)
    extras = _json_ld(tree)
    layout, results = _results(tree)
    if not results:
        _check_empty_page(tree, extras)
        return []
    found = [_listing(li, layout, extras, currency, base_url) for li in results]
    listings = [x for x in found if x is not None]
    if not listings:
        raise ParseError("no craigslist search result has a posting link", marketplace=NAME)
    return listings


def _results(tree: LexborHTMLParser) -> tuple[_Layout, list[LexborNode]]:
    for layout in _LAYOUTS:
        nodes = tree.css(layout.item)
        if nodes:
            return layout, nodes
    return _LAYOUTS[0], []


def _check_empty_page(tree: LexborHTMLParser, extras: Mapping[str, Any]) -> None:
    if extras:
        raise ParseError(
            f"craigslist's search page lists {len(extras)} results in JSON-LD but has no "
            "result links: the page layout changed",
            marketplace=NAME,
        )
    if tree.css_first(_RESULT_CONTAINERS) is None:
        raise ParseError(
            "craigslist's search page has neither the result list nor its JSON-LD: "
            "the page layout changed",
            marketplace=NAME,
        )


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


def _text_of(node: LexborNode, selector: str) -> str:
    found = node.css_first(selector)
    return clean_text(found.text()) if found is not None else ""


def _listing(
    li: LexborNode,
    layout: _Layout,
    extras: Mapping[str, Mapping[str, Any]],
    currency: str,
    base_url: str,
) -> ListingData | None:
    link = li.css_first(layout.link)
    href = urljoin(base_url, (link.attributes.get("href") or "") if link is not None else "")
    posting = _POSTING_ID.search(href)
    title = clean_text(li.attributes.get("title")) or _text_of(li, layout.title)
    if posting is None or not title:
        return None
    product = extras.get(title, {})
    offer = _mapping(product.get("offers"))
    return ListingData(
        marketplace=NAME,
        external_id=posting.group(1),
        url=href,
        title=title,
        price=_price(li, layout, offer),
        currency=str(offer.get("priceCurrency") or currency),
        location=_text_of(li, layout.place).strip("()") or _address(offer),
        image_url=_image(product.get("image")),
        posted_at=_posted(li),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _price(li: LexborNode, layout: _Layout, offer: Mapping[str, Any]) -> Decimal | None:
    shown = _text_of(li, layout.price)
    if shown:
        return parse_price(shown)
    return parse_price(str(offer["price"])) if offer.get("price") is not None else None


def _address(offer: Mapping[str, Any]) -> str:
    address = _mapping(_mapping(offer.get("availableAtOrFrom")).get("address"))
    parts = [clean_text(str(address.get(k) or "")) for k in ("addressLocality", "addressRegion")]
    return ", ".join(p for p in parts if p)


def _image(value: Any) -> str | None:
    images = value if isinstance(value, list) else [value]
    first = images[0] if images else None
    return first if isinstance(first, str) and first.startswith("http") else None


def _posted(li: LexborNode) -> datetime | None:
    """``time[datetime]`` on the older and the script-drawn layouts ('2024-05-01 11:58').

    A time without a zone is the site's local time; it is read as UTC, hours off at most.
    """
    node = li.css_first("time[datetime]")
    raw = (node.attributes.get("datetime") or "") if node is not None else ""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
