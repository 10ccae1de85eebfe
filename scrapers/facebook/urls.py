"""Facebook Marketplace addresses: the automated search URL, and pasted URLs checked.

The real site's search URL (2024–25)::

    https://www.facebook.com/marketplace/<city>/search/?query=ps5&minPrice=100&maxPrice=300
        &radius=40&itemCondition=used_like_new,used_good,used_fair&sortBy=creation_time_descend
        &exact=false

``<city>`` is a slug ("london") or a numeric location id; without one Facebook uses the
account's own location (``/marketplace/search/``). ``radius`` is in kilometres; prices are
whole units of the local currency; ``sortBy=creation_time_descend`` is "newest first".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from core.currency import upstream_bounds
from core.enums import Condition
from core.errors import InvalidCriteria
from core.ports import MarketplaceQuery
from scrapers.common import url_belongs_to

__all__ = [
    "EXTRA_CITY",
    "EXTRA_URL",
    "LISTING_DOMAINS",
    "MARKETPLACE",
    "NEWEST_FIRST",
    "parse_city_or_url",
    "search_url",
    "target_url",
    "validate_marketplace_url",
]

MARKETPLACE = "facebook"
# Where Marketplace listings live: the click-through of alerts redirects only there
# (core.clicks). Not l.facebook.com, the redirector that off-site links go through.
LISTING_DOMAINS = ("facebook.com", "www.facebook.com", "m.facebook.com")
# The query's extra fields (Criteria.extra "facebook.city" / "facebook.url"): the Marketplace
# city (slug or numeric id), or a pasted search URL to monitor as it is.
EXTRA_CITY = "city"
EXTRA_URL = "url"
NEWEST_FIRST = "creation_time_descend"
KM_PER_MILE = 1.609344
_CONDITIONS = {
    Condition.NEW: "new",
    Condition.USED: "used_like_new,used_good,used_fair",
}
# Marketplace pages that are not a list of listings.
_NOT_A_SEARCH = (
    "/marketplace/item/",
    "/marketplace/you/",
    "/marketplace/inbox/",
    "/marketplace/create/",
)
_SLUG = re.compile(r"[^a-z0-9]+")


def _whole(amount: Decimal | None, rounding: str) -> str:
    return "" if amount is None else str(amount.to_integral_value(rounding=rounding))


def city_slug(place: str) -> str:
    """ "New York" → "newyork": the shape of Facebook's city slugs (ids pass unchanged)."""
    return _SLUG.sub("", place.strip().lower())


def search_url(
    base_url: str, query: MarketplaceQuery, city: str = "", currency: str = "GBP"
) -> str:
    """The automated search: keywords, place, radius, price, condition, newest first.
    ``currency`` is the one the site's prices are in: bounds in another are not sent."""
    slug = city_slug(city or query.location)
    low, high = upstream_bounds(query.min_price, query.max_price, query.currency, currency)
    path = f"/marketplace/{quote(slug)}/search/" if slug else "/marketplace/search/"
    params = {
        "query": query.keywords,
        "minPrice": _whole(low, ROUND_FLOOR),
        "maxPrice": _whole(high, ROUND_CEILING),
        "radius": str(round(query.radius_miles * KM_PER_MILE)) if query.radius_miles else "",
        "itemCondition": _CONDITIONS.get(query.condition, ""),
        "sortBy": NEWEST_FIRST,
        "exact": "false",
    }
    kept = {key: value for key, value in params.items() if value}
    return f"{base_url.rstrip('/')}{path}?{urlencode(kept)}"


def _base_domain(base_url: str) -> str:
    host = (urlsplit(base_url).hostname or "").lower()
    return host.removeprefix("www.")


def validate_marketplace_url(url: str, base_url: str) -> str:
    """A pasted Marketplace search URL, rewritten onto ``base_url`` and sorted newest first.

    Accepts facebook.com and its subdomains (www., m., web.) with a path under /marketplace/
    that lists items; refuses anything else with ``InvalidCriteria`` saying what is wanted.
    """
    domain = _base_domain(base_url)
    if not url_belongs_to(url, [domain]):
        raise InvalidCriteria(
            "That is not a Facebook address: paste a Marketplace search link that starts "
            f"with {base_url.rstrip('/')}/marketplace/"
        )
    parts = urlsplit(url.strip())
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if not path.startswith("/marketplace/") or path.startswith(_NOT_A_SEARCH):
        raise InvalidCriteria(
            "That is not a Marketplace search: open Marketplace, search or pick a category, "
            "then paste the address from the browser (it contains /marketplace/)."
        )
    params = dict(parse_qsl(parts.query, keep_blank_values=False))
    params.setdefault("sortBy", NEWEST_FIRST)  # monitoring needs the newest listings first
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, urlencode(params), ""))


def _looks_like_url(text: str) -> bool:
    return "://" in text or text.lower().startswith(("www.", "facebook.com", "m.facebook.com"))


def target_url(base_url: str, query: MarketplaceQuery, currency: str = "GBP") -> str:
    """What to load for ``query``: the pasted URL it monitors, else the automated search."""
    city = query.option(EXTRA_CITY).strip()
    pasted = query.option(EXTRA_URL).strip() or (city if _looks_like_url(city) else "")
    if pasted:
        return validate_marketplace_url(pasted, base_url)
    return search_url(base_url, query, city, currency)


_SAME_PLACE = {"", "-", "skip", "same", "here", "same as the place"}


def parse_city_or_url(base_url: str) -> Callable[[str], str]:
    """The wizard's answer → a city slug, a checked Marketplace URL, or "" (use the place)."""

    def parse(answer: str) -> str:
        text = answer.strip()
        if text.lower() in _SAME_PLACE:
            return ""
        if _looks_like_url(text):
            url = text if "://" in text else f"https://{text}"
            try:
                return validate_marketplace_url(url, base_url)
            except InvalidCriteria as exc:
                raise ValueError(str(exc)) from exc
        slug = city_slug(text)
        if not slug:
            raise ValueError(
                "Type a city as Marketplace spells it (london, manchester…) "
                "or paste a Marketplace search link."
            )
        return slug

    return parse
