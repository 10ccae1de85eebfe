"""eBay's marketplaces: the X-EBAY-C-MARKETPLACE-ID values Browse accepts, with their
country (for ``itemLocationCountry``), currency (for ``priceCurrency``) and web domain."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ConfigurationError

__all__ = ["LISTING_DOMAINS", "EbaySite", "site_for"]


@dataclass(frozen=True, slots=True)
class EbaySite:
    marketplace_id: str
    country: str
    currency: str
    domain: str


_SITES = {
    site.marketplace_id: site
    for site in (
        EbaySite("EBAY_GB", "GB", "GBP", "www.ebay.co.uk"),
        EbaySite("EBAY_US", "US", "USD", "www.ebay.com"),
        EbaySite("EBAY_IE", "IE", "EUR", "www.ebay.ie"),
        EbaySite("EBAY_DE", "DE", "EUR", "www.ebay.de"),
        EbaySite("EBAY_FR", "FR", "EUR", "www.ebay.fr"),
        EbaySite("EBAY_IT", "IT", "EUR", "www.ebay.it"),
        EbaySite("EBAY_ES", "ES", "EUR", "www.ebay.es"),
        EbaySite("EBAY_NL", "NL", "EUR", "www.ebay.nl"),
        EbaySite("EBAY_BE", "BE", "EUR", "www.ebay.be"),
        EbaySite("EBAY_AT", "AT", "EUR", "www.ebay.at"),
        EbaySite("EBAY_CH", "CH", "CHF", "www.ebay.ch"),
        EbaySite("EBAY_PL", "PL", "PLN", "www.ebay.pl"),
        EbaySite("EBAY_AU", "AU", "AUD", "www.ebay.com.au"),
        EbaySite("EBAY_CA", "CA", "CAD", "www.ebay.ca"),
    )
}


def site_for(marketplace_id: str) -> EbaySite:
    """The site of ``marketplace_id`` (EBAY_GB…), or ``ConfigurationError`` naming the setting."""
    site = _SITES.get(marketplace_id.strip().upper())
    if site is None:
        raise ConfigurationError(
            f"EBAY_MARKETPLACE_ID: {marketplace_id!r} is not a Browse API marketplace; "
            f"use one of {', '.join(sorted(_SITES))}"
        )
    return site


def _listing_hosts(site: EbaySite) -> tuple[str, str]:
    bare = site.domain.removeprefix("www.")
    return bare, f"www.{bare}"


# Where eBay listings live, every site (a search on one may link an item on another):
# the click-through of alerts redirects only to these hosts (core.clicks). Not rover.ebay.com
# and the like: tracking redirectors that promoted links pass through and that go anywhere.
LISTING_DOMAINS = tuple(host for site in _SITES.values() for host in _listing_hosts(site))
