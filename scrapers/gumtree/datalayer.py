"""The structured data a Gumtree results page embeds next to its tiles.

What the real page carries (www.gumtree.com/search, 2024–25):

- ``window.gumtreeDataLayer = [JSON.parse(b64ToUtf8('…'))]``: base64 of the page's
  ``pageDeclaration`` event. Its ``listListingDetails`` holds one row per result:
  ``id`` (number), ``name`` (the title), ``price`` (whole pounds) and ``pricePennies``,
  ``location``, ``age`` ("2 mins ago"), ``category``, ``categoryId``, ``position``,
  ``numberOfImages``, ``isTrade``, ``promotions``. Older pages assign a plain JSON array
  (``window.gumtreeDataLayer = [{…}];``); both are read.
- ``<script type="application/ld+json">`` with a ``SearchResultsPage`` whose
  ``mainEntity.itemListElement[].url`` is each listing's canonical URL.

Either may be missing or change shape; the tiles are the primary source, this only fills gaps.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from selectolax.lexbor import LexborHTMLParser

__all__ = ["LISTING_ID", "DataLayer", "read_data_layer", "read_json_ld_urls"]

logger = logging.getLogger(__name__)

LISTING_ID = re.compile(r"/(\d{5,})(?:[/?#]|$)")
_B64_LAYER = re.compile(
    r"gumtreeDataLayer\s*=\s*\[\s*JSON\.parse\(\s*b64ToUtf8\(\s*['\"]([A-Za-z0-9+/=\s]+)['\"]"
)
_PLAIN_LAYER = re.compile(r"gumtreeDataLayer\s*=\s*\[")

DataLayer = dict[str, Mapping[str, Any]]  # listing id → its listListingDetails row


def _b64_events(script: str) -> list[Any]:
    match = _B64_LAYER.search(script)
    if match is None:
        return []
    try:
        return [json.loads(base64.b64decode(match[1]).decode("utf-8"))]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        logger.info("gumtree data layer: base64 block is unreadable; using the tiles only")
        return []


def _plain_events(script: str) -> list[Any]:
    match = _PLAIN_LAYER.search(script)
    if match is None:
        return []
    try:
        value, _ = json.JSONDecoder().raw_decode(script, match.end() - 1)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _events(scripts: Iterable[str]) -> Iterable[Mapping[str, Any]]:
    for script in scripts:
        if "gumtreeDataLayer" not in script:
            continue
        for event in _b64_events(script) or _plain_events(script):
            if isinstance(event, Mapping):
                yield event


def read_data_layer(tree: LexborHTMLParser) -> DataLayer | None:
    """The result rows by listing id; None when the page has no readable data layer."""
    scripts = (node.text() for node in tree.css("script:not([src])"))
    for event in _events(scripts):
        rows = event.get("listListingDetails")
        if not isinstance(rows, list):
            continue
        found: DataLayer = {}
        for row in rows:
            if isinstance(row, Mapping) and row.get("id") not in (None, ""):
                found[str(row["id"])] = row
        return found
    return None


def _ld_items(data: Any) -> Iterable[Mapping[str, Any]]:
    for entry in data if isinstance(data, list) else [data]:
        if not isinstance(entry, Mapping) or entry.get("@type") != "SearchResultsPage":
            continue
        main = entry.get("mainEntity")
        items = main.get("itemListElement") if isinstance(main, Mapping) else None
        for item in items if isinstance(items, list) else []:
            if isinstance(item, Mapping):
                yield item


def read_json_ld_urls(tree: LexborHTMLParser) -> dict[str, str]:
    """Canonical listing URLs by id from the page's SearchResultsPage JSON-LD, if any."""
    urls: dict[str, str] = {}
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text())
        except ValueError:
            continue
        for item in _ld_items(data):
            url = str(item.get("url") or "")
            match = LISTING_ID.search(url)
            if match:
                urls[match[1]] = url
    return urls
