"""``GumtreeMarketplace``: core's Marketplace port over Gumtree UK's search page."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from core.clock import Clock, utcnow
from core.enums import ListingState
from core.errors import InvalidCriteria, Unavailable
from core.ports import ListingData, MarketplaceQuery
from scrapers.common import (
    SiteRateLimiter,
    browser_headers,
    check_status,
    fetch,
    request_timeout,
    require_marketplace_url,
)
from scrapers.gumtree.page import MARKETPLACE, parse_search_page
from scrapers.gumtree.query import search_params

__all__ = ["DEFAULT_INTERVAL_SECONDS", "DEFAULT_JITTER_SECONDS", "GumtreeMarketplace"]

logger = logging.getLogger(__name__)

# Gumtree sits behind bot protection that flags bursts: at most one page every 4–7 s.
DEFAULT_INTERVAL_SECONDS = 4.0
DEFAULT_JITTER_SECONDS = 3.0


class GumtreeMarketplace:
    """Searches Gumtree UK. The ClientSession is the process's shared one, owned by the caller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout_seconds: float = 20.0,
        min_interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
        jitter_seconds: float = DEFAULT_JITTER_SECONDS,
        clock: Clock = utcnow,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._limiter = SiteRateLimiter(
            MARKETPLACE, min_interval=min_interval_seconds, jitter=jitter_seconds
        )
        self._timeout = request_timeout(timeout_seconds)
        self._clock = clock

    @property
    def name(self) -> str:
        return MARKETPLACE

    def default_currency(self, extra: Mapping[str, str]) -> str:
        return "GBP"  # Gumtree is the UK's

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        params = search_params(query)
        listings = await self._page(f"{self._base_url}/search", params)
        return listings[: query.limit]

    def validate_url(self, url: str) -> str:
        """A pasted Gumtree results URL, moved onto GUMTREE_URL's host, or ``InvalidCriteria``.

        gumtree.com with or without www. is accepted; the page is always fetched from the
        configured base URL, so a pasted address can never send us elsewhere.
        """
        base = urlsplit(self._base_url)
        domain = (base.hostname or "").removeprefix("www.")
        parts = urlsplit(require_marketplace_url(url, [domain], "Gumtree"))
        if parts.path.startswith("/p/"):
            raise InvalidCriteria(
                "That is a single Gumtree ad: paste the address of a search results page."
            )
        return urlunsplit((base.scheme, base.netloc, parts.path or "/search", parts.query, ""))

    async def fetch_url(self, url: str) -> list[ListingData]:
        """The listings on a results page the user pasted (checked to be on Gumtree)."""
        try:
            url = self.validate_url(url)
        except InvalidCriteria as exc:
            raise Unavailable(
                f"the saved Gumtree URL cannot be used: {exc}", marketplace=MARKETPLACE
            ) from exc
        return await self._page(url, None)

    # --- saved listings' state (issue 14; core.saved_state) ---
    check_batch_size = 1  # one ad page per listing

    async def check_listings(self, listings: Sequence[tuple[str, str]]) -> dict[str, ListingState]:
        """An ad page answering 404 or 410 is gone; any page is fetched from GUMTREE_URL's
        host (a stored URL never sends us elsewhere), paced like searches."""
        states: dict[str, ListingState] = {}
        base = urlsplit(self._base_url)
        for external_id, url in listings:
            path = urlsplit(url).path
            result = await fetch(
                self._session,
                urlunsplit((base.scheme, base.netloc, path, "", "")),
                marketplace=MARKETPLACE,
                deadline=self._timeout,
                headers=browser_headers(referer=f"{self._base_url}/"),
                limiter=self._limiter,
            )
            if result.status in (404, 410):
                states[external_id] = ListingState.GONE
                continue
            check_status(result, "ad page")
            states[external_id] = ListingState.AVAILABLE
        return states

    async def _page(self, url: str, params: Mapping[str, str] | None) -> list[ListingData]:
        result = await fetch(
            self._session,
            url,
            marketplace=MARKETPLACE,
            deadline=self._timeout,
            params=params,
            headers=browser_headers(referer=f"{self._base_url}/"),
            limiter=self._limiter,
        )
        check_status(result, "search page")
        listings = parse_search_page(result.text(), self._base_url, self._clock())
        logger.debug("gumtree: %d listings from %s", len(listings), result.url)
        return listings
