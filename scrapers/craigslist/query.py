"""A MarketplaceQuery as Craigslist search parameters (the sapi JSON API and the HTML page
take the same ones): ``query`` (words ANDed, ``"a phrase"``, ``(a | b)`` for OR),
``searchPath`` (category, ``sss`` = all for sale), ``sort=date`` (newest first),
``min_price`` / ``max_price``, ``postal`` + ``search_distance`` (miles), ``condition``
(10 new, 20 like new, 30 excellent, 40 good, 50 fair, 60 salvage)."""

from __future__ import annotations

import re

from core.currency import outward, upstream_bounds
from core.enums import Condition
from core.matching import parse_keywords
from core.ports import MarketplaceQuery

__all__ = ["SEARCH_PATHS", "craigslist_keywords", "search_params", "search_path"]

# Our category names (templates, wizard) → Craigslist for-sale categories.
SEARCH_PATHS = {
    "phones": "moa",  # cell phones
    "gaming": "vga",  # video gaming
    "clothing": "cla",  # clothing & accessories
    "watches": "jwa",  # jewelry (watches live there)
    "laptops": "sya",  # computers
    "bicycles": "bia",  # bicycles
}
_CONDITIONS = {Condition.NEW: ("10",), Condition.USED: ("20", "30", "40", "50", "60")}
_LOWER_OR = re.compile(r"(?<=\s)or(?=\s)")
# A US ZIP, a Canadian postal code or a UK postcode: what ``postal`` accepts.
_POSTAL = re.compile(
    r"^(\d{5}(-\d{4})?|[a-z]\d[a-z] ?\d[a-z]\d|[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2})$", re.IGNORECASE
)


def craigslist_keywords(keywords: str) -> str:
    query = parse_keywords(_LOWER_OR.sub("OR", f" {keywords} ").strip())
    parts = []
    for group in query.groups:
        terms = [f'"{" ".join(p)}"' if len(p) > 1 else p[0] for p in group]
        parts.append(terms[0] if len(terms) == 1 else "(" + " | ".join(terms) + ")")
    return " ".join(parts)


def search_path(category: str) -> str:
    name = category.strip().lower()
    if re.fullmatch(r"[a-z]{3}", name):
        return name  # already a Craigslist category abbreviation
    return SEARCH_PATHS.get(name, "sss")


def postal_code(location: str) -> str | None:
    place = location.strip()
    return place.upper() if _POSTAL.match(place) else None


def search_params(query: MarketplaceQuery, currency: str) -> list[tuple[str, str]]:
    """Pairs, not a dict: ``condition`` repeats for 'used' (several condition codes).
    ``currency`` is the site's: price bounds in another one are not sent (see
    ``core.currency.upstream_bounds``)."""
    params = [("query", craigslist_keywords(query.keywords)), ("sort", "date")]
    low, high = outward(
        *upstream_bounds(query.min_price, query.max_price, query.currency, currency)
    )
    if low is not None:
        params.append(("min_price", str(int(low))))
    if high is not None:
        params.append(("max_price", str(int(high))))
    postal = postal_code(query.location)
    if postal:
        params.append(("postal", postal))
        if query.radius_miles:
            params.append(("search_distance", str(query.radius_miles)))
    params.extend(("condition", code) for code in _CONDITIONS.get(query.condition, ()))
    return params
