"""Craigslist's HTML search page (``{site}.craigslist.org/search/sss?query=…``) → ListingData.

The fallback when the sapi JSON fails. The page is mostly drawn by JavaScript, but it ships
a static result list for browsers without it, and a JSON-LD block:

* ``ol.cl-static-search-results > li.cl-static-search-result[title]`` — each holds
  ``a[href]``, ``.title``, and in ``.details`` a ``.price`` ("$450") and a ``.location``.
  Since 2026 the link is ``https://www.craigslist.org/view/d/<slug>/<token>`` (no site, no
  category, no numeric id: the token is the posting's id); older pages link
  ``…/<category>/d/<slug>/<posting id>.html``. Both are read; the site is the request's.
* ``script#ld_searchpage_results`` (``application/ld+json``) — a schema.org ``ItemList`` of
  Products (``name``, ``image[]``, ``offers``) with no URLs or ids, and not always one per
  result (a capture had 13 for 14 results). It only adds photo, currency and place when it
  lines up with the results one for one, position by position, with the same titles:
  matching by title alone gave reposts of one title the first one's photo and place.

Two other layouts are read too: the page after its script ran (``.cl-search-result`` cards
with ``a.posting-title .label``, ``.priceinfo``, an ``img``, and ``.meta`` = "12 mins ago ·
Peabody", see ``meta``) and the older static markup (``li.result-row`` with
``a.result-title``, ``.result-price``, ``.result-hood``, ``time.result-date[datetime]``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.errors import Blocked, ParseError
from core.ports import ListingData
from scrapers.common import clean_text, parse_price
from scrapers.craigslist.meta import parse_meta

__all__ = ["parse_search_page"]

logger = logging.getLogger(__name__)

NAME = "craigslist"
_POSTING_ID = re.compile(r"/(\d{6,})\.html(?:$|[?#])")
_POSTING_TOKEN = re.compile(r"/view/d/[^/?#]+/([A-Za-z0-9]{8,40})/?(?:$|[?#])")
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
        ".cl-search-result",
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


@dataclass(frozen=True, slots=True)
class _Page:
    """What every card of one page is read with."""

    currency: str
    base_url: str
    now: datetime
    free: bool  # the search is on the free board: a card without a price is free


def parse_search_page(
    html: str,
    *,
    currency: str = "USD",
    base_url: str = "",
    now: datetime | None = None,
    free_category: bool = False,
) -> list[ListingData]:
    """Listings on one search page; ``ParseError`` if it no longer looks like one.

    ``now`` is the fetch time, against which a card's "12 mins ago" is resolved.
    """
    tree = LexborHTMLParser(html)
    _check_not_blocked(tree)
    products = _json_ld(tree)
    layout, results = _results(tree)
    if not results:
        _check_empty_page(tree, products)
        return []
    page = _Page(currency, base_url, now or datetime.now(UTC), free_category)
    extras = _aligned(results, layout, products)
    found = [_listing(li, layout, extra, page) for li, extra in zip(results, extras, strict=True)]
    unique: dict[str, ListingData] = {}  # one posting once, even if a page repeats a card
    for listing in found:
        if listing is not None:
            unique.setdefault(listing.external_id, listing)
    listings = list(unique.values())
    if not listings:
        raise ParseError("no craigslist search result has a posting link", marketplace=NAME)
    return listings


def _results(tree: LexborHTMLParser) -> tuple[_Layout, list[LexborNode]]:
    for layout in _LAYOUTS:
        nodes = tree.css(layout.item)
        if nodes:
            return layout, nodes
    return _LAYOUTS[0], []


def _check_empty_page(tree: LexborHTMLParser, products: Sequence[Mapping[str, Any]]) -> None:
    if products:
        raise ParseError(
            f"craigslist's search page lists {len(products)} results in JSON-LD but has no "
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


def _json_ld(tree: LexborHTMLParser) -> list[Mapping[str, Any]]:
    """The JSON-LD products in page order; a broken block only costs the photos."""
    node = tree.css_first("script#ld_searchpage_results")
    if node is None:
        return []
    try:
        data = json.loads(node.text())
        elements = data.get("itemListElement") or []
    except (ValueError, AttributeError) as exc:
        logger.warning("craigslist: unreadable JSON-LD on the search page (%s)", exc)
        return []
    products = []
    for element in elements if isinstance(elements, list) else []:
        item = element.get("item") if isinstance(element, Mapping) else None
        products.append(item if isinstance(item, Mapping) else {})
    return products


def _aligned(
    results: Sequence[LexborNode], layout: _Layout, products: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """JSON-LD products for the cards, position by position, only when both views list the
    same postings (as many, same titles in the same order); otherwise none at all."""
    empty: list[Mapping[str, Any]] = [{} for _ in results]
    if not products:
        return empty
    titles = [_title(li, layout) for li in results]
    names = [clean_text(str(p.get("name") or "")) for p in products]
    if titles != names:
        logger.info(
            "craigslist: the page's JSON-LD (%d items) does not line up with its %d results; "
            "not using it",
            len(products),
            len(results),
        )
        return empty
    return list(products)


def _text_of(node: LexborNode, selector: str) -> str:
    found = node.css_first(selector)
    return clean_text(found.text()) if found is not None else ""


def _title(li: LexborNode, layout: _Layout) -> str:
    return clean_text(li.attributes.get("title")) or _text_of(li, layout.title)


def _posting_id(href: str) -> str | None:
    """The token of a ``/view/d/<slug>/<token>`` link, or the number of a ``<id>.html`` one."""
    found = _POSTING_TOKEN.search(href) or _POSTING_ID.search(href)
    return found.group(1) if found is not None else None


def _listing(
    li: LexborNode, layout: _Layout, product: Mapping[str, Any], page: _Page
) -> ListingData | None:
    link = li.css_first(layout.link)
    href = urljoin(page.base_url, (link.attributes.get("href") or "") if link is not None else "")
    posting = _posting_id(href)
    title = _title(li, layout)
    if posting is None or not title:
        return None
    offer = _mapping(product.get("offers"))
    meta = parse_meta(_text_of(li, ".meta"), page.now)
    return ListingData(
        marketplace=NAME,
        external_id=posting,
        former_ids=_former_ids(li, posting),
        url=href,
        title=title,
        price=_price(li, layout, offer, page.free),
        currency=str(offer.get("priceCurrency") or page.currency),
        location=_text_of(li, layout.place).strip("()") or meta.place or _address(offer),
        image_url=_card_image(li) or _image(product.get("image")),
        posted_at=_posted(li) or meta.posted_at,
    )


def _former_ids(li: LexborNode, posting: str) -> tuple[str, ...]:
    """A card linked by token may still carry its numeric id (``data-pid``): a listing stored
    under that id is the same one (re-keyed in core.listings)."""
    pid = (li.attributes.get("data-pid") or "").strip()
    return (pid,) if pid.isdigit() and pid != posting else ()


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _price(
    li: LexborNode, layout: _Layout, offer: Mapping[str, Any], free_board: bool
) -> Decimal | None:
    """The shown price ("$450"; "free" is 0); else the JSON-LD offer's; else, on the free
    board, 0 (its cards show no price); else none."""
    shown = _text_of(li, layout.price)
    if shown:
        return parse_price(shown)
    if offer.get("price") is not None:
        return parse_price(str(offer["price"]))
    return Decimal(0) if free_board else None


def _address(offer: Mapping[str, Any]) -> str:
    address = _mapping(_mapping(offer.get("availableAtOrFrom")).get("address"))
    parts = [clean_text(str(address.get(k) or "")) for k in ("addressLocality", "addressRegion")]
    return ", ".join(p for p in parts if p)


def _card_image(li: LexborNode) -> str | None:
    """The card's own first picture (script-drawn cards carry an ``img``)."""
    for img in li.css("img"):
        src = (img.attributes.get("src") or img.attributes.get("data-src") or "").strip()
        if src.startswith(("https://", "http://")):
            return src
    return None


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
