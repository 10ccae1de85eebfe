"""Craigslist: the sapi JSON search, with the HTML search page and its JSON-LD as fallback."""

from scrapers.craigslist.marketplace import CraigslistMarketplace
from scrapers.craigslist.parse_api import parse_search_api
from scrapers.craigslist.parse_html import parse_search_page
from scrapers.craigslist.query import craigslist_keywords, search_params, search_path
from scrapers.craigslist.reference import Area, CraigslistReference
from scrapers.craigslist.sites import LISTING_DOMAINS, SITE_QUESTION, parse_site_answer

__all__ = [
    "LISTING_DOMAINS",
    "SITE_QUESTION",
    "Area",
    "CraigslistMarketplace",
    "CraigslistReference",
    "craigslist_keywords",
    "parse_search_api",
    "parse_search_page",
    "parse_site_answer",
    "search_params",
    "search_path",
]
