"""eBay through the Buy Browse REST API (OAuth client credentials, daily call quota)."""

from scrapers.ebay.auth import EbayTokenProvider
from scrapers.ebay.feeds import FeedOptions, FeedService
from scrapers.ebay.marketplace import DEFAULT_DAILY_CALL_QUOTA, EbayMarketplace, quota_reset_zone
from scrapers.ebay.parse import parse_search
from scrapers.ebay.query import ebay_keywords, search_params
from scrapers.ebay.sites import LISTING_DOMAINS, EbaySite, site_for

__all__ = [
    "DEFAULT_DAILY_CALL_QUOTA",
    "LISTING_DOMAINS",
    "EbayMarketplace",
    "EbaySite",
    "EbayTokenProvider",
    "FeedOptions",
    "FeedService",
    "ebay_keywords",
    "parse_search",
    "quota_reset_zone",
    "search_params",
    "site_for",
]
