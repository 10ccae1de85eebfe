"""``CraigslistMarketplace``: core's Marketplace port over Craigslist's search.

First the sapi JSON API the site's own pages call (``{CRAIGSLIST_API_URL}/web/v8/postings/
search/full``); if that is blocked, down or changed, the HTML search page
(``{CRAIGSLIST_URL}/search/<category>``) with its static list and JSON-LD block. A 429 is
not retried on the other path: it means slow down. The site comes from the search's
``craigslist.site`` extra, or else from its place ('Seattle' → seattle).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime

import aiohttp

from core.clock import Clock, utcnow
from core.errors import (
    Blocked,
    ConfigurationError,
    MarketplaceError,
    ParseError,
    RateLimited,
    Unavailable,
)
from core.ports import ListingData, MarketplaceQuery
from scrapers.common import (
    SiteRateLimiter,
    browser_headers,
    check_status,
    fetch,
    request_timeout,
)
from scrapers.craigslist.parse_api import FREE_CATEGORY, parse_search_api
from scrapers.craigslist.parse_html import parse_search_page
from scrapers.craigslist.query import search_params, search_path
from scrapers.craigslist.reference import KNOWN_SITE_CURRENCIES, Area, CraigslistReference
from scrapers.craigslist.sites import SITE_QUESTION

__all__ = ["CraigslistMarketplace"]

logger = logging.getLogger(__name__)

SEARCH_API_PATH = "/web/v8/postings/search/full"
_FALLBACK_ON = (ParseError, Blocked, Unavailable)
_EPOCH = datetime.min.replace(tzinfo=UTC)


class CraigslistMarketplace:
    """Searches one Craigslist site per query; the site is a per-search extra."""

    name = "craigslist"
    questions = (SITE_QUESTION,)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        site_url: str = "https://{site}.craigslist.org",
        api_url: str = "https://sapi.craigslist.org",
        reference_url: str = "https://reference.craigslist.org",
        timeout_seconds: float = 20.0,
        min_interval_seconds: float = 3.0,
        jitter_seconds: float = 2.0,
        clock: Clock = utcnow,
    ) -> None:
        if "{site}" not in site_url:
            raise ConfigurationError(
                f"CRAIGSLIST_URL must contain {{site}} (like https://{{site}}.craigslist.org), "
                f"not {site_url!r}"
            )
        self._session = session
        self._site_url = site_url.rstrip("/")
        self._api_url = api_url.rstrip("/") + SEARCH_API_PATH
        self._timeout = request_timeout(timeout_seconds)
        # One pace for every Craigslist host: they are one operator who blocks heavy pollers.
        self._limiter = SiteRateLimiter(
            self.name, min_interval=min_interval_seconds, jitter=jitter_seconds
        )
        self._reference = CraigslistReference(session, reference_url, limiter=self._limiter)
        self._clock = clock

    def default_currency(self, extra: Mapping[str, str]) -> str:
        """The currency of the search's site (the wizard's default): from the reference
        data once loaded, else from the few well-known sites outside the US."""
        site = extra.get("site", "").strip().lower()
        area = self._reference.area_if_loaded(site)
        if area is not None:
            return area.currency
        return KNOWN_SITE_CURRENCIES.get(site, "USD")

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        site = await self._site(query)
        try:
            found = await self._search_api(query, site)
        except _FALLBACK_ON as api_error:
            logger.warning("craigslist: JSON search failed (%s); trying the HTML page", api_error)
            found = await self._fallback(query, site, api_error)
        found.sort(key=lambda x: x.posted_at or _EPOCH, reverse=True)
        return found[: query.limit]

    async def _site(self, query: MarketplaceQuery) -> str:
        site = query.option("site").strip().lower()
        if not site and query.location:
            site = await self._reference.site_for_place(query.location) or ""
        if not site:
            raise MarketplaceError(
                "this search has no Craigslist site: /edit it and pick one (like sfbay)",
                marketplace=self.name,
            )
        return site

    async def _area(self, site: str) -> Area:
        area = await self._reference.area(site)
        if area is None:
            raise MarketplaceError(
                f"Craigslist has no site {site!r}: /edit the search and pick another",
                marketplace=self.name,
            )
        return area

    async def _search_api(self, query: MarketplaceQuery, site: str) -> list[ListingData]:
        area = await self._area(site)
        params = [
            ("batch", f"{area.area_id}-0-360-0-0"),  # area, offset, page size
            ("cc", area.country or "US"),
            ("lang", "en"),
            ("searchPath", search_path(query.category)),
            *search_params(query, area.currency),
        ]
        result = await fetch(
            self._session,
            self._api_url,
            marketplace=self.name,
            deadline=self._timeout,
            params=params,
            headers=browser_headers(json=True, referer=self._site_home(site)),
            limiter=self._limiter,
        )
        check_status(result, "search API")
        return parse_search_api(
            result.json("search API answer"),
            site_url=self._site_url,
            site=site,
            currency=area.currency,
            category_abbr=self._reference.category_lookup(),
            free_board=search_path(query.category) == FREE_CATEGORY,
        )

    async def _fallback(
        self, query: MarketplaceQuery, site: str, api_error: MarketplaceError
    ) -> list[ListingData]:
        try:
            return await self._search_html(query, site)
        except RateLimited:
            raise
        except MarketplaceError as page_error:
            raise type(page_error)(
                f"{page_error} (the JSON search had failed too: {api_error})",
                marketplace=self.name,
            ) from page_error

    async def _search_html(self, query: MarketplaceQuery, site: str) -> list[ListingData]:
        home = self._site_home(site)
        area = await self._reference.area(site) if self._reference.loaded else None
        currency = area.currency if area else "USD"
        result = await fetch(
            self._session,
            f"{home}search/{search_path(query.category)}",
            marketplace=self.name,
            deadline=self._timeout,
            params=search_params(query, currency),
            headers=browser_headers(referer=home),
            limiter=self._limiter,
        )
        check_status(result, "search page")
        return parse_search_page(
            result.text(),
            currency=currency,
            base_url=home,
            now=self._clock(),
            free_category=search_path(query.category) == FREE_CATEGORY,
        )

    def _site_home(self, site: str) -> str:
        return self._site_url.format(site=site) + "/"
