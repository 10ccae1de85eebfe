"""Browse ``item_summary/search`` JSON → ListingData.

The response (SearchPagedCollection) has ``href``, ``total``, ``limit``, ``offset``, ``next``,
optional ``warnings`` and ``itemSummaries`` — which eBay leaves out entirely when nothing
matched (``total: 0``). Each ItemSummary may carry: ``itemId`` ("v1|<legacy id>|<variation>"),
``title``, ``price`` {value, currency} (absent on auction-only items, which have
``currentBidPrice`` instead; either may carry ``convertedFromValue`` /
``convertedFromCurrency``, see ``_amount``), ``image.imageUrl`` / ``thumbnailImages`` (see
``_image``), ``itemWebUrl``,
``itemLocation`` {city, stateOrProvince, postalCode, country}, ``condition`` + ``conditionId``,
``seller`` {username, feedbackPercentage, feedbackScore}, ``itemCreationDate``,
``buyingOptions``, ``bidCount``, ``itemEndDate``, ``shortDescription``, ``legacyItemId``,
``shippingOptions`` [{shippingCostType FIXED|CALCULATED, shippingCost {value, currency}}]:
a CALCULATED cost depends on the buyer's address, so its "0.00" is not a price.
Only itemId, title and itemWebUrl are required here; everything else is optional.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.enums import BuyingFormat, Condition
from core.errors import ParseError
from core.ports import ListingData

__all__ = ["PageFacts", "categories_by_item", "page_facts", "parse_search"]

logger = logging.getLogger(__name__)


def parse_search(
    payload: Any, *, marketplace: str = "ebay", category: str = ""
) -> list[ListingData]:
    """Listings of one search page; ``ParseError`` if the payload is not a search result."""
    if not isinstance(payload, Mapping) or not ({"itemSummaries", "total"} & payload.keys()):
        raise ParseError(
            "eBay's search response has neither itemSummaries nor total: the API changed",
            marketplace=marketplace,
        )
    _log_warnings(payload.get("warnings"))
    items = payload.get("itemSummaries") or []
    if not isinstance(items, list):
        raise ParseError("eBay's itemSummaries is not a list", marketplace=marketplace)
    listings = [x for x in (_listing(i, marketplace, category) for i in items) if x is not None]
    if items and not listings:
        raise ParseError(
            f"none of eBay's {len(items)} item summaries has itemId, title and itemWebUrl",
            marketplace=marketplace,
        )
    return listings


@dataclass(frozen=True, slots=True)
class PageFacts:
    """How much of the result set one page holds: ``total`` (eBay's count of matching items,
    ``None`` if absent), ``returned`` (item summaries on this page) and whether a ``next``
    page exists."""

    total: int | None
    returned: int
    has_next: bool

    def complete(self, limit: int) -> bool:
        """Whether this page surely holds the whole result set.

        eBay calls ``total`` "just an indicator" (variations can change it) and says to page
        by ``next``: so a page is complete only if there is no ``next``, it is not full, and
        ``total`` agrees. Anything else might be cut off.
        """
        return (
            not self.has_next
            and self.returned < limit
            and self.total is not None
            and self.total <= self.returned
        )


def page_facts(payload: Mapping[str, Any]) -> PageFacts:
    """``PageFacts`` of a payload ``parse_search`` accepted."""
    items = payload.get("itemSummaries") or []
    total = payload.get("total")
    return PageFacts(
        total=total if isinstance(total, int) and not isinstance(total, bool) else None,
        returned=len(items) if isinstance(items, list) else 0,
        has_next=bool(payload.get("next")),
    )


def categories_by_item(payload: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Each item's categories, leaf first then its ancestors (``leafCategoryIds`` and
    ``categories`` [{categoryId, categoryName}], as search answers carry them): what a
    category feed is chosen by (issue 18). Items without them are left out."""
    found: dict[str, tuple[str, ...]] = {}
    items = payload.get("itemSummaries") or []
    for item in items if isinstance(items, list) else []:
        item = _mapping(item)
        path = [str(c) for c in _list(item.get("leafCategoryIds")) if isinstance(c, str | int)]
        for category in _list(item.get("categories")):
            category_id = _mapping(category).get("categoryId")
            if isinstance(category_id, str | int) and str(category_id) not in path:
                path.append(str(category_id))
        if path and isinstance(item.get("itemId"), str):
            found[item["itemId"]] = tuple(path)
    return found


def _listing(item: Any, marketplace: str, category: str) -> ListingData | None:
    if not isinstance(item, Mapping):
        return None
    item_id, title, url = item.get("itemId"), item.get("title"), item.get("itemWebUrl")
    if not (isinstance(item_id, str) and isinstance(title, str) and isinstance(url, str)):
        logger.debug("ebay: skipping an item summary without id/title/url: %.200r", item)
        return None
    price, currency = _price(item)
    return ListingData(
        marketplace=marketplace,
        external_id=item_id,
        url=_short_url(url),
        title=title.strip(),
        price=price,
        currency=currency,
        description=_description(item),
        location=_location(item.get("itemLocation")),
        image_url=_image(item),
        seller=_text(_mapping(item.get("seller")).get("username")),
        condition=_condition(item),
        category=category,
        posted_at=_moment(item.get("itemCreationDate")),
        buying_format=_format(item),
        current_bid=_bid(item),
        bid_count=_count(item.get("bidCount")),
        ends_at=_moment(item.get("itemEndDate")),
        postage=_postage(item),
        ships=bool(item.get("shippingOptions")),
    )


def _format(item: Mapping[str, Any]) -> BuyingFormat:
    options = item.get("buyingOptions") or []
    if "AUCTION" not in options:
        return BuyingFormat.BUY_IT_NOW
    return BuyingFormat.BOTH if "FIXED_PRICE" in options else BuyingFormat.AUCTION


def _bid(item: Mapping[str, Any]) -> Decimal | None:
    found = _amount(item.get("currentBidPrice"))
    return None if found is None else found[0]


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _postage(item: Mapping[str, Any]) -> Decimal | None:
    """The cheapest FIXED delivery cost; None when every option is CALCULATED or absent."""
    options = item.get("shippingOptions")
    costs = []
    for option in options if isinstance(options, list) else []:
        option = _mapping(option)
        if option.get("shippingCostType") != "FIXED":
            continue
        found = _amount(option.get("shippingCost"))
        if found is not None:
            costs.append(found[0])
    return min(costs) if costs else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _amount(value: Any) -> tuple[Decimal, str] | None:
    """The seller's own price. When eBay converts (a buyer on another site), ``value`` and
    ``currency`` are eBay's conversion and ``convertedFromValue`` / ``convertedFromCurrency``
    the price the seller set: alerts show that one, matching converts it by our own rates."""
    money = _mapping(value)
    own = _money(money.get("convertedFromValue"), money.get("convertedFromCurrency"))
    return own or _money(money.get("value"), money.get("currency"))


def _money(raw: Any, currency: Any) -> tuple[Decimal, str] | None:
    if raw is None:
        return None
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0:
        return None
    return amount, _text(currency).upper() or "GBP"


def _price(item: Mapping[str, Any]) -> tuple[Decimal | None, str]:
    """The Buy It Now price; for an auction-only item, its current bid."""
    options = item.get("buyingOptions") or []
    auction_only = "AUCTION" in options and "FIXED_PRICE" not in options
    order = ("currentBidPrice", "price") if auction_only else ("price", "currentBidPrice")
    for key in order:
        found = _amount(item.get(key))
        if found is not None:
            return found
    return None, "GBP"


def _description(item: Mapping[str, Any]) -> str:
    parts = []
    if "AUCTION" in (item.get("buyingOptions") or []):
        bids = item.get("bidCount")
        auction = (
            f"Auction, {bids} bid{'' if bids == 1 else 's'}" if bids is not None else "Auction"
        )
        ends = _moment(item.get("itemEndDate"))
        parts.append(f"{auction}, ends {ends:%d %b %H:%M} UTC" if ends else auction)
    if "BEST_OFFER" in (item.get("buyingOptions") or []):
        parts.append("Best offer accepted")
    parts.append(_text(item.get("shortDescription")))
    return ". ".join(p for p in parts if p)


def _location(value: Any) -> str:
    place = _mapping(value)
    keys = ("city", "stateOrProvince", "postalCode", "country")
    parts = [_text(place.get(k)) for k in keys]
    return ", ".join(dict.fromkeys(p for p in parts if p))


_IMAGE_SIZE = re.compile(r"/s-l(\d+)\.")


def _image(item: Mapping[str, Any]) -> str | None:
    """The largest picture of the primary image. Search answers put a 225-px thumbnail in
    ``image.imageUrl`` and the same photo at 1600 px in ``thumbnailImages``; the size is in
    the URL (``…/s-l1600.jpg``). With no size to compare, the primary ``image`` wins."""
    thumbs = item.get("thumbnailImages")
    candidates = [_text(_mapping(item.get("image")).get("imageUrl"))] + [
        _text(_mapping(t).get("imageUrl")) for t in (thumbs if isinstance(thumbs, list) else [])
    ]
    urls = [u for u in candidates if u.startswith(("https://", "http://"))]
    return max(urls, key=_pixels) if urls else None


def _pixels(url: str) -> int:
    size = _IMAGE_SIZE.search(url)
    return int(size.group(1)) if size else 0


def _condition(item: Mapping[str, Any]) -> Condition:
    """eBay condition ids: 1000–1750 new (incl. 'new other', 'with defects'), above used."""
    raw = item.get("conditionId")
    if isinstance(raw, str | int) and str(raw).isdigit():
        return Condition.NEW if int(raw) < 2000 else Condition.USED
    text = _text(item.get("condition")).lower()
    if not text:
        return Condition.ANY
    return Condition.NEW if text.startswith(("new", "brand new")) else Condition.USED


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _short_url(url: str) -> str:
    """``https://www.ebay.co.uk/itm/123?hash=…&amdata=…`` → ``https://www.ebay.co.uk/itm/123``:
    the tracking query is long and the item path alone opens the listing."""
    parts = urlsplit(url)
    if parts.path.startswith("/itm/"):
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return url


def _log_warnings(warnings: Any) -> None:
    for warning in warnings if isinstance(warnings, list) else []:
        message = _mapping(warning).get("message") or warning
        logger.warning("ebay: the API warned: %s", message)
