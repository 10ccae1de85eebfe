"""A MarketplaceQuery as Browse ``item_summary/search`` parameters.

Browse's syntax (developer.ebay.com, "Buy API Field Filters"): ``q`` ANDs words separated by
spaces and ORs a comma-separated list in parentheses, ``(ps5, xbox)``; ``filter`` is a
comma-separated list of ``name:value`` pairs: ``price:[10..50]`` (``[10]`` / ``[..50]`` for one
bound) which needs ``priceCurrency:GBP``, ``conditions:{NEW|USED}``,
``buyingOptions:{FIXED_PRICE|AUCTION}`` (without it Browse returns Buy It Now only) and
``itemLocationCountry:GB``, and for a local-pickup search the pickup filters
(``scrapers.ebay.pickup``). ``sort=newlyListed`` puts the newest first.
"""

from __future__ import annotations

import re
from decimal import Decimal

from core.currency import upstream_bounds
from core.enums import Condition
from core.matching import parse_keywords
from core.ports import MarketplaceQuery
from scrapers.ebay.pickup import pickup_filters
from scrapers.ebay.sites import EbaySite

__all__ = [
    "CATEGORY_IDS",
    "MAX_LIMIT",
    "category_label",
    "ebay_keywords",
    "ebay_or_words",
    "search_params",
]

MAX_LIMIT = 200  # Browse's maximum page size

# Our category names (templates, wizard) → eBay leaf/branch category ids, the same on
# EBAY_GB and EBAY_US. A numeric category is passed through as an eBay id.
CATEGORY_IDS = {
    "phones": "9355",  # Mobile & Smart Phones
    "gaming": "139971",  # Video Game Consoles
    "clothing": "11450",  # Clothes, Shoes & Accessories
    "watches": "31387",  # Wrist Watches
    "laptops": "175672",  # Laptops & Netbooks
    "bicycles": "177831",  # Bikes
}

_LOWER_OR = re.compile(r"(?<=\s)or(?=\s)")


def ebay_keywords(keywords: str) -> str:
    """Our keyword expression in Browse's ``q`` syntax: groups ANDed, alternatives as (a, b).

    Phrases become plain words (Browse has no phrase search; our matcher checks the order).
    The upstream query is lower-cased, so a lower-case ``or`` between words is read as OR.
    """
    query = parse_keywords(ebay_or_words(keywords))
    parts = []
    for group in query.groups:
        words = [" ".join(phrase) for phrase in group]
        parts.append(words[0] if len(words) == 1 else "(" + ", ".join(words) + ")")
    return " ".join(parts)


def ebay_or_words(keywords: str) -> str:
    """``keywords`` with a lower-case ``or`` between words read as OR, as sent upstream."""
    return _LOWER_OR.sub("OR", f" {keywords} ").strip()


def _price_filter(low: Decimal | None, high: Decimal | None, currency: str) -> list[str]:
    if low is None and high is None:
        return []
    # Browse: "[10]" is 10 and up, "[..50]" up to 50.
    bounds = f"[{low}]" if high is None else f"[{'' if low is None else low}..{high}]"
    return [f"price:{bounds}", f"priceCurrency:{currency}"]


def _filters(query: MarketplaceQuery, site: EbaySite) -> str:
    low, high = upstream_bounds(query.min_price, query.max_price, query.currency, site.currency)
    filters = _price_filter(low, high, site.currency)
    if query.condition is not Condition.ANY:
        filters.append(f"conditions:{{{query.condition.value.upper()}}}")
    # Auctions ending soonest (issue 14): only auctions; otherwise both, filtered locally.
    filters.append(
        "buyingOptions:{AUCTION}" if query.ending_soon else "buyingOptions:{FIXED_PRICE|AUCTION}"
    )
    if query.sellers:  # followed sellers (issue 14): Browse filters on their usernames
        filters.append("sellers:{" + "|".join(query.sellers) + "}")
    filters.append(f"itemLocationCountry:{site.country}")
    filters.extend(pickup_filters(query))
    return ",".join(filters)


def category_id(category: str) -> str | None:
    name = category.strip().lower()
    return name if name.isdigit() else CATEGORY_IDS.get(name)


def category_label(query: MarketplaceQuery) -> str:
    """The category the listings are labelled with: the search's, if eBay knows it."""
    return query.category if category_id(query.category) else ""


def search_params(query: MarketplaceQuery, site: EbaySite) -> dict[str, str]:
    params = {
        "filter": _filters(query, site),
        "sort": "endingSoonest" if query.ending_soon else "newlyListed",
        "limit": str(max(1, min(query.limit, MAX_LIMIT))),
    }
    if query.keywords.strip():  # a seller-only search sends no q
        params = {"q": ebay_keywords(query.keywords), **params}
    wanted = category_id(query.category)
    if wanted:
        params["category_ids"] = wanted
    return params
