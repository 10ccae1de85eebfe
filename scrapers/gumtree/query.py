"""A MarketplaceQuery → the query string of Gumtree's search page (GUMTREE_URL/search).

The real site's parameters: ``q``, ``search_category`` (a category slug, ``all`` for every
category), ``search_location`` (a town or postcode, ``uk`` for everywhere), ``distance``
(miles around the location), ``min_price`` / ``max_price`` (whole pounds), ``sort=date``
(most recent first).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.currency import upstream_bounds
from core.ports import MarketplaceQuery

__all__ = ["EXTRA_CATEGORY", "search_params"]

# The query's extra field (Criteria.extra "gumtree.category") for a Gumtree category slug
# ("mobile-phones"). Our own category keys are not Gumtree's, so without it the search covers
# all categories and core's matching filters locally.
EXTRA_CATEGORY = "category"


def _pounds(amount: Decimal | None, rounding: str) -> str:
    return "" if amount is None else str(amount.to_integral_value(rounding=rounding))


def search_params(query: MarketplaceQuery) -> dict[str, str]:
    """Only what is set goes on the wire, so equal queries make equal URLs."""
    location = query.location.strip()
    # Gumtree prices in pounds: bounds in another currency are compared locally.
    low, high = upstream_bounds(query.min_price, query.max_price, query.currency, "GBP")
    params = {
        "q": query.keywords,
        "search_category": query.option(EXTRA_CATEGORY).strip() or "all",
        "search_location": location or "uk",
        # A radius means nothing without a place to measure it from.
        "distance": str(query.radius_miles) if location and query.radius_miles else "",
        # Whole pounds, widened outwards so rounding never hides a listing in range.
        "min_price": _pounds(low, ROUND_FLOOR),
        "max_price": _pounds(high, ROUND_CEILING),
        "sort": "date",
    }
    return {key: value for key, value in params.items() if value}
