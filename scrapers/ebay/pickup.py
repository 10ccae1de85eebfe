"""eBay local pickup: the wizard's question and Browse's pickup filters.

Browse narrows a search to items the seller lets the buyer collect near a postal code with
``pickupCountry``, ``pickupPostalCode``, ``pickupRadius`` and ``pickupRadiusUnit`` (``mi`` or
``km``), together with ``deliveryOptions:{SELLER_ARRANGED_LOCAL_PICKUP}`` (developer.ebay.com,
"Buy API Field Filters"). Without them eBay does not narrow results to a town: they come
from the whole country of the site (``itemLocationCountry``).

The answer is stored as ``Criteria.extra["ebay.pickup"]``: the postcode, normalised, or ""
for country-wide results. It is part of the fetch key (``Criteria.extras_for``), so local
searches near different postcodes never share a fetch.
"""

from __future__ import annotations

import re

from core.ports import MarketplaceQuery, MarketplaceQuestion
from scrapers.ebay.sites import EbaySite

__all__ = [
    "DEFAULT_PICKUP_RADIUS_MILES",
    "EXTRA_PICKUP",
    "parse_postcode",
    "pickup_filters",
    "pickup_question",
]

EXTRA_PICKUP = "pickup"
DEFAULT_PICKUP_RADIUS_MILES = 25  # when the search has a postcode but no radius
COUNTRY_WIDE = ""
_NO = {"", "-", "no", "none", "n", "country-wide", "countrywide", "nationwide", "delivery"}

# The outward code and the inward code (digit + two letters), with or without the space.
_UK = re.compile(r"(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})")
_US = re.compile(r"([0-9]{5})(?:-[0-9]{4})?")
# Canada Post: letter digit letter, digit letter digit (D, F, I, O, Q, U never; W, Z not first).
_CA = re.compile(r"([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z]) ?([0-9][ABCEGHJ-NPRSTV-Z][0-9])")
_COUNTRY_NAMES = {"GB": "UK", "US": "US", "CA": "Canadian"}


def parse_postcode(text: str) -> tuple[str, str]:
    """(country, postcode) of a UK postcode, US ZIP code or Canadian postal code, in its
    usual spelling ('sw1a1aa' → ('GB', 'SW1A 1AA')); ``ValueError`` saying what is wanted."""
    raw = " ".join(text.strip().upper().split())
    if found := _US.fullmatch(raw):
        return "US", found[1]
    if found := _CA.fullmatch(raw):
        return "CA", f"{found[1]} {found[2]}"
    if _UK.fullmatch(raw):
        compact = raw.replace(" ", "")
        return "GB", f"{compact[:-3]} {compact[-3:]}"
    raise ValueError(
        f"{text.strip()!r} is not a postcode I recognise. Type a UK postcode (SW1A 1AA), "
        "a US ZIP code (94103) or a Canadian postal code (K1A 0B1), or choose Country-wide."
    )


def pickup_question(site: EbaySite) -> MarketplaceQuestion:
    """Local pickup only (a postcode) or country-wide; a postcode must be in the site's
    country when that is the UK, the US or Canada (eBay answers nothing otherwise)."""
    country = _COUNTRY_NAMES.get(site.country, site.country)

    def parse(answer: str) -> str:
        if answer.strip().lower() in _NO:
            return COUNTRY_WIDE
        found, postcode = parse_postcode(answer)
        if site.country in _COUNTRY_NAMES and found != site.country:
            raise ValueError(
                f"This service searches eBay {country} ({site.marketplace_id}): type a "
                f"{country} postcode for local pickup, or choose Country-wide."
            )
        return postcode

    return MarketplaceQuestion(
        key=EXTRA_PICKUP,
        label="eBay local pickup",
        prompt=(
            "eBay: only items you can collect in person? Type your postcode and you'll get only "
            "listings offering local pickup within the search's radius "
            f"({DEFAULT_PICKUP_RADIUS_MILES} miles if you gave none). Or choose Country-wide: "
            f"eBay then searches all of eBay {country}, whatever the town you gave."
        ),
        parse=parse,
        suggestions=(("Country-wide", "country-wide"),),
        show=lambda value: (
            f"collect near {value}" if value else f"no, results are from all of eBay {country}"
        ),
    )


def pickup_filters(query: MarketplaceQuery) -> list[str]:
    """Browse's local-pickup filters for a search that asked for them, else none."""
    wanted = query.option(EXTRA_PICKUP).strip()
    if not wanted:
        return []
    try:
        country, postcode = parse_postcode(wanted)
    except ValueError:  # stored before the format was checked: search country-wide
        return []
    radius = query.radius_miles or DEFAULT_PICKUP_RADIUS_MILES
    return [
        "deliveryOptions:{SELLER_ARRANGED_LOCAL_PICKUP}",
        f"pickupCountry:{country}",
        f"pickupPostalCode:{postcode}",
        f"pickupRadius:{radius}",
        "pickupRadiusUnit:mi",
    ]
