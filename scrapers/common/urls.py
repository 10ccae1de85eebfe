"""User-supplied URLs must belong to the marketplace they are given for.

A pasted URL is fetched by our server, so a URL on another host could make us request
anything (SSRF) or scrape the wrong site. Only http(s) URLs whose host is one of the
marketplace's domains (or a subdomain of one) are accepted.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from core.errors import InvalidCriteria

__all__ = ["require_marketplace_url", "url_belongs_to"]


def url_belongs_to(url: str, domains: Iterable[str]) -> bool:
    """True if ``url`` is http(s) on one of ``domains`` or their subdomains (no userinfo)."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # a malformed port raises ValueError
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        return False
    return any(host == d or host.endswith("." + d) for d in (d.lower() for d in domains))


def require_marketplace_url(url: str, domains: Iterable[str], marketplace: str) -> str:
    """``url`` stripped, or ``InvalidCriteria`` saying which site's address is expected."""
    wanted = tuple(domains)
    if not url_belongs_to(url, wanted):
        raise InvalidCriteria(
            f"That is not a {marketplace} address: paste a link that starts with "
            f"https://{wanted[0]}/ (or one of its subdomains)."
        )
    return url.strip()
