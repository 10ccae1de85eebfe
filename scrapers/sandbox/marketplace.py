"""``SandboxMarketplace``: core's Marketplace port over the sandbox server's JSON API."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import aiohttp

from core.criteria import Criteria
from core.currency import upstream_bounds
from core.enums import Condition
from core.errors import Blocked, ParseError, RateLimited, Unavailable
from core.fetchkeys import upstream_query
from core.ports import ListingData, MarketplaceQuery
from scrapers.common.http import retry_after_seconds

__all__ = ["DEFAULT_RETRY_AFTER_SECONDS", "NOTHING_TO_LIST", "SandboxMarketplace", "search_params"]

DEFAULT_RETRY_AFTER_SECONDS = 30.0

logger = logging.getLogger(__name__)

NOTHING_TO_LIST = (
    "The demo's sandbox marketplace sells nothing this search matches, so no alert will come "
    "for it here. It stocks phones, consoles, clothes, watches, laptops, bikes, furniture, "
    "cameras, audio and home goods: try iphone, ps5, macbook, bike or sofa."
)


def search_params(query: MarketplaceQuery) -> dict[str, str]:
    """Only what is set goes on the wire, so equal queries make equal URLs."""
    # The sandbox prices in pounds: bounds in another currency are compared locally.
    low, high = upstream_bounds(query.min_price, query.max_price, query.currency, "GBP")
    params = {
        "q": query.keywords,
        "category": query.category,
        "location": query.location,
        "radius": "" if query.radius_miles is None else str(query.radius_miles),
        "min_price": "" if low is None else str(low),
        "max_price": "" if high is None else str(high),
        "condition": "" if query.condition is Condition.ANY else query.condition.value,
        "limit": str(query.limit),
    }
    return {key: value for key, value in params.items() if value}


def _aware(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _condition(value: object) -> Condition:
    try:
        return Condition(str(value or Condition.ANY).lower())
    except ValueError:
        return Condition.ANY  # a condition we do not know is as good as none stated


def _price(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"price is {type(value).__name__}")
    price = Decimal(str(value))
    if not price.is_finite():
        raise ValueError(f"price is {value!r}")
    return price


def _listing(item: Mapping[str, Any], marketplace: str) -> ListingData:
    return ListingData(
        marketplace=marketplace,
        external_id=str(item["id"]),
        url=str(item["url"]),
        title=str(item["title"]),
        price=_price(item.get("price")),
        currency=str(item.get("currency") or "GBP"),
        description=str(item.get("description") or ""),
        location=str(item.get("location") or ""),
        image_url=str(item["image_url"]) if item.get("image_url") else None,
        seller=str(item.get("seller") or ""),
        condition=_condition(item.get("condition")),
        category=str(item.get("category") or ""),
        posted_at=_aware(item.get("posted_at")),
    )


class SandboxMarketplace:
    """Searches the sandbox marketplace. The ClientSession is shared and owned by the caller."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout_seconds: float = 10,
        name: str = "sandbox",
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def default_currency(self, extra: Mapping[str, str]) -> str:
        return "GBP"

    async def search(self, query: MarketplaceQuery) -> list[ListingData]:
        return await self.search_page(query, 1)

    async def search_page(self, query: MarketplaceQuery, page: int) -> list[ListingData]:
        """Page ``page`` (1 = the newest) of the results: the runner reads further pages when
        the first was all new (core.runner's overflow)."""
        params = search_params(query)
        if page > 1:
            params["page"] = str(page)
        payload = await self._get_json("/api/search", params)
        try:
            items = payload["items"]
            if not isinstance(items, list):
                raise TypeError(f"items is {type(items).__name__}")
            return [_listing(item, self._name) for item in items]
        except (KeyError, TypeError, AttributeError, ValueError, InvalidOperation) as exc:
            raise ParseError(f"unexpected search payload: {exc!r}", marketplace=self._name) from exc

    async def search_saved(self, criteria: Criteria, marketplaces: Sequence[str]) -> str | None:
        """Tell the sandbox of a saved search so its echo (a demo aid) lists something that
        matches it; returns a line for the user when the sandbox has nothing that would."""
        if self._name not in marketplaces:
            return None
        body = {
            "criteria": criteria.to_json(),
            "query": search_params(upstream_query(criteria, self._name)),
        }
        answer = await self._request("POST", "/api/watch", json=body)
        if not isinstance(answer, dict):
            raise ParseError("unexpected watch payload", marketplace=self._name)
        if answer.get("echo") and answer.get("listing") is None:
            return NOTHING_TO_LIST
        return None

    async def _get_json(self, path: str, params: Mapping[str, str]) -> Any:
        return await self._request("GET", path, params=params)

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self._base_url}{path}"
        try:
            async with self._session.request(
                method, url, timeout=self._timeout, **kwargs
            ) as response:
                self._check_status(response)
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Unavailable(
                f"sandbox request failed: {type(exc).__name__}: {exc}", marketplace=self._name
            ) from exc
        try:
            return json.loads(body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise ParseError(f"sandbox sent invalid JSON: {exc}", marketplace=self._name) from exc

    def _check_status(self, response: aiohttp.ClientResponse) -> None:
        status = response.status
        if status < 400:
            return
        message = f"sandbox answered HTTP {status} for {response.url.path}"
        if status == 429:
            retry_after = retry_after_seconds(
                response.headers.get("Retry-After"), DEFAULT_RETRY_AFTER_SECONDS
            )
            raise RateLimited(message, retry_after=retry_after, marketplace=self._name)
        if status == 403:
            raise Blocked(message, marketplace=self._name)
        if status >= 500:
            raise Unavailable(message, marketplace=self._name)
        # 400/404…: the API no longer accepts what we send – the same fix as a changed payload.
        raise ParseError(message, marketplace=self._name)
