"""Gumtree UK: its search results page (HTML tiles plus the embedded data layer)."""

from scrapers.gumtree.marketplace import GumtreeMarketplace
from scrapers.gumtree.page import LISTING_DOMAINS, MARKETPLACE, TILE_SELECTOR, parse_search_page
from scrapers.gumtree.query import EXTRA_CATEGORY, search_params

__all__ = [
    "EXTRA_CATEGORY",
    "LISTING_DOMAINS",
    "MARKETPLACE",
    "TILE_SELECTOR",
    "GumtreeMarketplace",
    "parse_search_page",
    "search_params",
]
