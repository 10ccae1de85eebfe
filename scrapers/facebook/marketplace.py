"""``FacebookMarketplace``: core's Marketplace port over Facebook Marketplace in Chromium.

Two modes, chosen per search by ``Criteria.extra``: a pasted Marketplace search URL
(``facebook_url``) is monitored as it is; otherwise the keywords, city (``facebook_city``,
else the search's place), radius, price and condition make an automated search, newest first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from playwright.async_api import Page

from core.clock import Clock, utcnow
from core.errors import Blocked, InvalidCriteria, ParseError, RateLimited, Unavailable
from core.ports import ListingData, MarketplaceQuery, MarketplaceQuestion
from scrapers.common import SiteRateLimiter
from scrapers.facebook.browser import FacebookBrowser
from scrapers.facebook.cards import CARD_SELECTOR, PageKind, page_title, parse_cards
from scrapers.facebook.failures import DEFAULT_FAILURES_DIR, save_failure
from scrapers.facebook.pacing import Pacing
from scrapers.facebook.scrape import Snapshot, open_results, scroll_for_more, snapshot
from scrapers.facebook.urls import (
    EXTRA_CITY,
    MARKETPLACE,
    parse_city_or_url,
    target_url,
    validate_marketplace_url,
)

__all__ = ["THROTTLE_RETRY_SECONDS", "FacebookMarketplace"]

logger = logging.getLogger(__name__)

# Facebook's own "temporarily blocked, going too fast" lasts hours; come back after one.
THROTTLE_RETRY_SECONDS = 3600.0
LOGIN_HINT = (
    "run `marketplace-monitor facebook-login` on a machine with a screen, log in once, and "
    "point FACEBOOK_STATE_FILE at the file it saves"
)


class FacebookMarketplace:
    """Searches Facebook Marketplace through the process's shared ``FacebookBrowser``."""

    name = MARKETPLACE

    def __init__(
        self,
        browser: FacebookBrowser,
        base_url: str,
        *,
        failures_dir: Path = DEFAULT_FAILURES_DIR,
        pacing: Pacing | None = None,
        min_interval_seconds: float = 20.0,
        jitter_seconds: float = 20.0,
        currency: str = "GBP",
        clock: Clock = utcnow,
    ) -> None:
        self._browser = browser
        self._base_url = base_url.rstrip("/")
        self._failures_dir = failures_dir
        self._pacing = pacing or Pacing()
        self._currency = currency
        # One page load every 20–40 s at most, across all searches: Facebook blocks bursts.
        self._limiter = SiteRateLimiter(
            MARKETPLACE, min_interval=min_interval_seconds, jitter=jitter_seconds, max_wait=60.0
        )
        # The wizard asks this when a search uses Facebook; the answer is the query's
        # "city" extra (a city slug, or a pasted Marketplace URL to watch as it is).
        self.questions = (
            MarketplaceQuestion(
                key=EXTRA_CITY,
                label="Facebook city or link",
                prompt=(
                    "Facebook Marketplace: which city? Type it as in Marketplace's address "
                    "(london, manchester…), or paste a Marketplace search link to watch that "
                    "search exactly. '-' uses the place you gave."
                ),
                parse=parse_city_or_url(self._base_url),
                suggestions=(
                    ("Same as the place", "-"),
                    ("London", "london"),
                    ("Manchester", "manchester"),
                    ("Birmingham", "birmingham"),
                    ("Glasgow", "glasgow"),
                ),
            ),
        )

    def validate_url(self, url: str) -> str:
        """A pasted Marketplace search URL, or ``InvalidCriteria`` saying what is wanted."""
        return validate_marketplace_url(url, self._base_url)

    def default_currency(self, extra: Mapping[str, str]) -> str:
        """The currency the page's prices are read in (the site's, ``currency``)."""
        return self._currency

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        try:
            url = target_url(self._base_url, query, self._currency)
        except InvalidCriteria as exc:
            raise Unavailable(
                f"the saved Marketplace URL cannot be used: {exc}", marketplace=MARKETPLACE
            ) from exc
        listings = await self._load(url, query.limit)
        return listings[: query.limit]

    async def fetch_url(self, url: str, limit: int = 50) -> list[ListingData]:
        """The listings of a pasted Marketplace search URL (checked to be one)."""
        try:
            checked = self.validate_url(url)
        except InvalidCriteria as exc:
            raise Unavailable(str(exc), marketplace=MARKETPLACE) from exc
        return (await self._load(checked, limit))[:limit]

    async def _load(self, url: str, limit: int) -> list[ListingData]:
        await self._limiter.acquire()
        try:
            async with asyncio.timeout(self._pacing.total_timeout):
                async with self._browser.page() as page:
                    return await self._scrape(page, url, limit)
        except TimeoutError as exc:
            raise Unavailable(
                f"a Marketplace search took over {self._pacing.total_timeout:g} s; gave up",
                marketplace=MARKETPLACE,
            ) from exc

    async def _scrape(self, page: Page, url: str, limit: int) -> list[ListingData]:
        shown = await open_results(page, url, self._pacing)
        if shown.kind is PageKind.RESULTS:
            await scroll_for_more(page, limit, self._pacing)
            shown = await snapshot(page)
        self._raise_for_walls(shown)
        if shown.kind is PageKind.NO_RESULTS:
            return []
        try:
            if shown.kind is not PageKind.RESULTS:
                raise ParseError(
                    f"Facebook's Marketplace page has changed: no {CARD_SELECTOR} cards, and it "
                    f"is not a 'No listings found', login or checkpoint page either (title "
                    f"{page_title(shown.html)!r}); the Facebook scraper needs updating",
                    marketplace=MARKETPLACE,
                )
            return parse_cards(shown.html, self._base_url, currency=self._currency)
        except ParseError as exc:
            saved = await save_failure(page, shown.html, self._failures_dir, "parse")
            raise ParseError(f"{exc} ({saved})", marketplace=MARKETPLACE) from exc

    def _raise_for_walls(self, shown: Snapshot) -> None:
        logged_in = self._browser.config.state_file is not None
        if shown.kind is PageKind.LOGIN:
            why = "the saved login has expired or was refused" if logged_in else "it asks to log in"
            raise Blocked(
                f"Facebook shows a login wall instead of Marketplace ({why}): {LOGIN_HINT}",
                marketplace=MARKETPLACE,
            )
        if shown.kind is PageKind.CHECKPOINT:
            raise Blocked(
                "Facebook wants a security check (checkpoint) for this account: log in to "
                "Facebook in a normal browser and complete it, then run "
                "`marketplace-monitor facebook-login` again",
                marketplace=MARKETPLACE,
            )
        if shown.kind is PageKind.THROTTLED:
            raise RateLimited(
                "Facebook says we are going too fast (temporarily blocked); pausing for an hour",
                retry_after=THROTTLE_RETRY_SECONDS,
                marketplace=MARKETPLACE,
            )
