"""Facebook Marketplace, driven in the process's one Chromium through Playwright."""

from scrapers.facebook.browser import CHROMIUM_FLAGS, BrowserConfig, FacebookBrowser, find_chromium
from scrapers.facebook.cards import CARD_SELECTOR, PageKind, classify_page, parse_cards
from scrapers.facebook.failures import DEFAULT_FAILURES_DIR
from scrapers.facebook.login import LoginTimedOut, facebook_login
from scrapers.facebook.marketplace import FacebookMarketplace
from scrapers.facebook.pacing import Pacing
from scrapers.facebook.urls import (
    EXTRA_CITY,
    EXTRA_URL,
    LISTING_DOMAINS,
    MARKETPLACE,
    search_url,
    validate_marketplace_url,
)

__all__ = [
    "CARD_SELECTOR",
    "CHROMIUM_FLAGS",
    "DEFAULT_FAILURES_DIR",
    "EXTRA_CITY",
    "EXTRA_URL",
    "LISTING_DOMAINS",
    "MARKETPLACE",
    "BrowserConfig",
    "FacebookBrowser",
    "FacebookMarketplace",
    "LoginTimedOut",
    "Pacing",
    "PageKind",
    "classify_page",
    "facebook_login",
    "find_chromium",
    "parse_cards",
    "search_url",
    "validate_marketplace_url",
]
