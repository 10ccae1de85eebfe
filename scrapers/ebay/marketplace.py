"""``EbayMarketplace``: core's Marketplace port over eBay's Buy Browse REST API.

One search is one ``GET /buy/browse/v1/item_summary/search`` call, counted against the
app's daily call quota (core's ``CallQuota`` port, shared by every process) — unless
batching merges concurrent searches into one call (scrapers/ebay/batching.py). The OAuth
token is cached until it expires and minted again when eBay answers 401.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp

from core.clock import Clock, utcnow
from core.enums import ListingState
from core.errors import Blocked, ParseError
from core.metrics import Metrics
from core.ports import CallQuota, FeedHost, ListingData, MarketplaceQuery
from scrapers.common import (
    HttpResult,
    SiteRateLimiter,
    api_headers,
    check_status,
    fetch,
    request_timeout,
)
from scrapers.ebay.auth import EbayTokenProvider
from scrapers.ebay.batching import BatchOptions, SearchBatcher
from scrapers.ebay.feeds import CATEGORY_TREES, FeedOptions, FeedService
from scrapers.ebay.items import MAX_IDS, parse_items
from scrapers.ebay.parse import PageFacts, page_facts, parse_search
from scrapers.ebay.pickup import pickup_question
from scrapers.ebay.query import category_label, search_params
from scrapers.ebay.sites import site_for

__all__ = ["DEFAULT_DAILY_CALL_QUOTA", "EbayMarketplace", "quota_reset_zone"]

logger = logging.getLogger(__name__)

DEFAULT_DAILY_CALL_QUOTA = 5000  # Browse's default for a new keyset
SEARCH_PATH = "/buy/browse/v1/item_summary/search"
ITEMS_PATH = "/buy/browse/v1/item/"  # getItems (issue 14: saved listings' state)
SUGGEST_PATH = "/commerce/taxonomy/v1/category_tree/{tree}/get_category_suggestions"


def quota_reset_zone() -> tzinfo:
    """Where eBay's day starts: its call limits reset at midnight Pacific."""
    try:
        return ZoneInfo("America/Los_Angeles")
    except ZoneInfoNotFoundError:
        return UTC  # no tz database: count UTC days instead (a few hours off, still paced)


class EbayMarketplace:
    """Searches one eBay marketplace (EBAY_GB by default) through the Browse API."""

    name = "ebay"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        client_id: str,
        client_secret: str,
        api_url: str = "https://api.ebay.com",
        marketplace_id: str = "EBAY_GB",
        quota: CallQuota,
        timeout_seconds: float = 20.0,
        min_interval_seconds: float = 0.5,
        clock: Clock = utcnow,
        batching: bool = True,
        batch_window_seconds: float = 0.04,
        feeds: FeedHost | None = None,
        feed_options: FeedOptions | None = None,
        daily_calls: int = 5000,
        metrics: Metrics | None = None,
    ) -> None:
        self._session = session
        self._site = site_for(marketplace_id)  # ConfigurationError on an unknown id
        # The wizard asks: local pickup near a postcode, or country-wide results.
        self.questions = (pickup_question(self._site),)
        self._search_url = api_url.rstrip("/") + SEARCH_PATH
        self._items_url = api_url.rstrip("/") + ITEMS_PATH
        tree = CATEGORY_TREES.get(self._site.marketplace_id)
        self._suggest_url = api_url.rstrip("/") + SUGGEST_PATH.format(tree=tree) if tree else ""
        self._clock = clock
        self._tokens = EbayTokenProvider(
            session, api_url, client_id, client_secret, marketplace=self.name, clock=clock
        )
        self._timeout = request_timeout(timeout_seconds)
        self._limiter = SiteRateLimiter(
            self.name, min_interval=min_interval_seconds, jitter=min_interval_seconds / 2
        )
        self.quota = quota
        # Concurrent searches share Browse calls where one page holds all their results.
        self.batcher = (
            SearchBatcher(
                self._site, self._request, BatchOptions(window_seconds=batch_window_seconds)
            )
            if batching
            else None
        )
        # Category feeds (issue 18): queries concentrated in a few categories are answered
        # from those categories' newest listings instead of a call each.
        self.feeds = (
            FeedService(
                self._site,
                self._raw,
                feeds,
                daily_calls=daily_calls,
                options=feed_options,
                clock=clock,
                metrics=metrics,
                marketplace=self.name,
                suggest=self._suggest if self._suggest_url else None,
            )
            if feeds is not None
            else None
        )

    def default_currency(self, extra: Mapping[str, str]) -> str:
        """The site's currency (EBAY_MARKETPLACE_ID): the wizard's default."""
        return self._site.currency

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        feeds = self.feeds
        if feeds is not None and feeds.serves(query):
            return feeds.answer(query)  # no call: the feeds read it (issue 18)
        if feeds is not None:
            feeds.check_pace(query)  # QuotaSpent when the plan slowed this query's tier
        if self.batcher is not None:
            listings = await self.batcher.search(query)
        else:
            params = search_params(query, self._site)
            listings, _ = await self._request(params, category_label(query))
        if feeds is not None:
            await feeds.learn(query, listings)
        return listings

    async def run_background(self, stop: asyncio.Event) -> None:
        """Read the category feeds until ``stop`` (the runner runs this beside its checks)."""
        if self.feeds is not None:
            await self.feeds.run(stop)

    # --- saved listings' state (issue 14; core.saved_state) ---
    check_batch_size = MAX_IDS  # ids per getItems call

    async def check_listings(self, listings: Sequence[tuple[str, str]]) -> dict[str, ListingState]:
        """What became of these listings: one getItems call per 20 ids, each counted in the
        daily quota and paced like searches (the same limiter)."""
        external_ids = [external_id for external_id, _ in listings]
        states: dict[str, ListingState] = {}
        for start in range(0, len(external_ids), MAX_IDS):
            chunk = list(external_ids[start : start + MAX_IDS])
            await self.quota.take()
            result = await self._get_with_token({"item_ids": ",".join(chunk)}, self._items_url)
            if result.status == 404:  # none of them is known any more
                states.update(dict.fromkeys(chunk, ListingState.GONE))
                continue
            _check(result)
            states.update(parse_items(result.json("getItems response"), chunk, self._clock()))
        return states

    async def _request(
        self, params: dict[str, str], category: str
    ) -> tuple[list[ListingData], PageFacts]:
        """One search call (however many searches it serves), counted once in the quota."""
        payload = await self._raw(params)
        return parse_search(payload, category=category), page_facts(payload)

    async def _raw(self, params: dict[str, str]) -> Mapping[str, object]:
        """One counted search call → eBay's answer as JSON (its items' categories noted)."""
        await self.quota.take()
        result = await self._get_with_token(params)
        _check(result)
        payload = result.json("search response")
        if not isinstance(payload, Mapping):
            raise ParseError("eBay's search response is not a JSON object", marketplace=self.name)
        if self.feeds is not None:
            self.feeds.remember_categories(payload)
        return payload

    async def _suggest(self, q: str) -> Mapping[str, object]:
        """Taxonomy get_category_suggestions (same app token; Taxonomy's own call limit,
        not Browse's, so not counted in the quota)."""
        result = await self._get_with_token({"q": q}, self._suggest_url)
        _check(result)
        payload = result.json("category suggestions")
        if not isinstance(payload, Mapping):
            raise ParseError(
                "eBay's category suggestions are not a JSON object", marketplace=self.name
            )
        return payload

    async def _get_with_token(self, params: dict[str, str], url: str = "") -> HttpResult:
        """The search, with one retry on a fresh token if eBay says ours is no longer valid."""
        url = url or self._search_url
        token = await self._tokens.token()
        result = await self._get(params, token, url)
        if result.status == 401:
            logger.info("ebay: access token refused (%s); minting a new one", _error_text(result))
            self._tokens.invalidate(token)
            await self.quota.take()  # the retry is a call too
            result = await self._get(params, await self._tokens.token(), url)
            if result.status == 401:
                raise Blocked(
                    f"eBay refused a fresh access token ({_error_text(result)}); check that "
                    "EBAY_CLIENT_ID/EBAY_CLIENT_SECRET are a production keyset with Browse access",
                    marketplace=self.name,
                )
        return result

    async def _get(self, params: dict[str, str], token: str, url: str) -> HttpResult:
        headers = api_headers(
            Authorization=f"Bearer {token}",
            **{"X-EBAY-C-MARKETPLACE-ID": self._site.marketplace_id},
        )
        return await fetch(
            self._session,
            url,
            marketplace=self.name,
            deadline=self._timeout,
            params=params,
            headers=headers,
            limiter=self._limiter,
        )


def _check(result: HttpResult) -> None:
    """check_status, with eBay's own error message (``errors[0].message``) in the text."""
    try:
        check_status(result, "search")
    except (Blocked, ParseError) as exc:
        detail = _error_text(result)
        raise type(exc)(f"{exc} — eBay says: {detail}", marketplace=exc.marketplace) from exc


def _error_text(result: HttpResult) -> str:
    """eBay errors are ``{"errors": [{"errorId", "domain", "category", "message", …}]}``."""
    try:
        errors = json.loads(result.body).get("errors") or []
        first = errors[0]
        return f"{first.get('errorId', '?')} {first.get('message', '')}".strip()
    except (ValueError, AttributeError, IndexError, TypeError):
        return f"HTTP {result.status}"
