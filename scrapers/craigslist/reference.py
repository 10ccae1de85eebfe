"""Craigslist's reference data: its areas (site hostname → area id, country, place) and
its categories (category id → three-letter abbreviation used in posting URLs).

``{CRAIGSLIST_REFERENCE_URL}/Areas`` is a JSON array of
``{Abbreviation, AreaID, Country, Description, Hostname, Latitude, Longitude, Region,
ShortDescription, SubAreas[], Timezone}``; ``/Categories`` an array of
``{Abbreviation, CategoryID, Description, Type}``. Craigslist marks both cacheable for 30
days; we keep them a day per process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from core.errors import MarketplaceError, ParseError
from scrapers.common import SiteRateLimiter, browser_headers, check_status, fetch, request_timeout

__all__ = ["Area", "CraigslistReference"]

logger = logging.getLogger(__name__)

NAME = "craigslist"
REFRESH_SECONDS = 24 * 3600
COUNTRY_CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "AU": "AUD", "NZ": "NZD"}
# Currencies of well-known sites outside the US, for the wizard's default before the
# reference data is loaded (it is on the first Craigslist check).
KNOWN_SITE_CURRENCIES = {
    **dict.fromkeys(
        ("london", "manchester", "birmingham", "edinburgh", "glasgow", "bristol", "leeds",
         "liverpool", "oxford", "cambridge", "brighton", "newcastle", "belfast", "cardiff"),
        "GBP",
    ),
    **dict.fromkeys(
        ("toronto", "vancouver", "montreal", "calgary", "edmonton", "ottawa", "winnipeg",
         "victoria", "halifax", "quebec"),
        "CAD",
    ),
    **dict.fromkeys(("sydney", "melbourne", "brisbane", "perth", "adelaide"), "AUD"),
    **dict.fromkeys(("auckland", "wellington", "christchurch"), "NZD"),
}  # fmt: skip
# Places people type that are not the site's own name or description.
PLACE_ALIASES = {
    "san francisco": "sfbay",
    "bay area": "sfbay",
    "new york": "newyork",
    "nyc": "newyork",
    "los angeles": "losangeles",
    "la": "losangeles",
    "washington": "washingtondc",
    "dc": "washingtondc",
}


@dataclass(frozen=True, slots=True)
class Area:
    area_id: int
    hostname: str
    country: str
    description: str

    @property
    def currency(self) -> str:
        return COUNTRY_CURRENCY.get(self.country, "EUR" if self.country else "USD")


class CraigslistReference:
    """Loads the reference tables on first use and refreshes them daily."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        limiter: SiteRateLimiter | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._limiter = limiter
        self._timeout = request_timeout(timeout_seconds)
        self._areas: dict[str, Area] = {}
        self._categories: dict[int, str] = {}
        self._loaded_at = -float(REFRESH_SECONDS)
        self._lock = asyncio.Lock()

    @property
    def loaded(self) -> bool:
        return bool(self._areas)

    def area_if_loaded(self, site: str) -> Area | None:
        """``site``'s area if the reference data is loaded (never fetches: the wizard asks)."""
        return self._areas.get(site.strip().lower())

    async def area(self, site: str) -> Area | None:
        await self._ensure_loaded()
        return self._areas.get(site.strip().lower())

    async def site_for_place(self, place: str) -> str | None:
        """The site whose hostname or description is ``place`` ('Seattle' → 'seattle')."""
        await self._ensure_loaded()
        wanted = " ".join(place.lower().replace(",", " ").split())
        if not wanted:
            return None
        if wanted in PLACE_ALIASES:
            return PLACE_ALIASES[wanted]
        for area in self._areas.values():
            if wanted in (area.hostname, area.description.lower()):
                return area.hostname
        return None

    async def category_abbr(self, category_id: int) -> str | None:
        await self._ensure_loaded()
        return self._categories.get(category_id)

    def category_lookup(self) -> Callable[[int], str | None]:
        """A synchronous lookup of what is loaded (decoding a page must not await)."""
        return dict(self._categories).get

    async def _ensure_loaded(self) -> None:
        async with self._lock:
            if time.monotonic() - self._loaded_at < REFRESH_SECONDS and self._areas:
                return
            self._areas = _areas(await self._get("Areas"))
            try:
                self._categories = _categories(await self._get("Categories"))
            except MarketplaceError as exc:  # URLs fall back to a redirecting form without it
                logger.warning("craigslist: categories unavailable (%s)", exc)
            self._loaded_at = time.monotonic()
            logger.info("craigslist: reference data loaded (%d areas)", len(self._areas))

    async def _get(self, name: str) -> Any:
        result = await fetch(
            self._session,
            f"{self._base_url}/{name}",
            marketplace=NAME,
            deadline=self._timeout,
            headers=browser_headers(json=True),
            limiter=self._limiter,
        )
        check_status(result, f"reference {name} request")
        return result.json(f"reference {name} list")


def _areas(payload: Any) -> dict[str, Area]:
    if not isinstance(payload, list):
        raise ParseError("craigslist's Areas reference is not a list", marketplace=NAME)
    areas: dict[str, Area] = {}
    for row in payload:
        area = _area(row)
        if area is not None:
            areas[area.hostname] = area
    if not areas:
        raise ParseError("craigslist's Areas reference has no usable area", marketplace=NAME)
    return areas


def _area(row: Any) -> Area | None:
    if not isinstance(row, Mapping):
        return None
    area_id, hostname = row.get("AreaID"), row.get("Hostname")
    if not isinstance(area_id, int) or not isinstance(hostname, str) or not hostname:
        return None
    return Area(
        area_id=area_id,
        hostname=hostname.lower(),
        country=str(row.get("Country") or "").upper(),
        description=str(row.get("Description") or row.get("ShortDescription") or hostname),
    )


def _categories(payload: Any) -> dict[int, str]:
    if not isinstance(payload, list):
        raise ParseError("craigslist's Categories reference is not a list", marketplace=NAME)
    found = {}
    for row in payload:
        if isinstance(row, Mapping) and isinstance(row.get("CategoryID"), int):
            abbr = row.get("Abbreviation")
            if isinstance(abbr, str) and abbr:
                found[row["CategoryID"]] = abbr
    return found
