"""Realistic request headers: what a current desktop browser (or API client) sends.

Sites that scrape-proof themselves look at the whole header set, not just the User-Agent, so
the browser set carries Accept, Accept-Language and the Sec-Fetch-* hints a real navigation has.
"""

from __future__ import annotations

__all__ = ["API_USER_AGENT", "BROWSER_USER_AGENT", "api_headers", "browser_headers"]

# A current stable desktop Chrome; bump it now and then (sites distrust very old versions).
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
API_USER_AGENT = "MarketplaceMonitor/0.1 (+https://github.com/marketplace-monitor)"

_HTML_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


def browser_headers(
    *, referer: str | None = None, language: str = "en-GB,en;q=0.9", json: bool = False
) -> dict[str, str]:
    """Headers of a browser loading a page (``json=True``: the page's own XHR for JSON)."""
    headers = {
        "User-Agent": BROWSER_USER_AGENT,
        "Accept": "application/json, text/plain, */*" if json else _HTML_ACCEPT,
        "Accept-Language": language,
        "Sec-Ch-Ua": '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"',
        "Sec-Ch-Ua-Mobile": "?0",
        "Sec-Ch-Ua-Platform": '"Windows"',
        "Sec-Fetch-Dest": "empty" if json else "document",
        "Sec-Fetch-Mode": "cors" if json else "navigate",
        "Sec-Fetch-Site": "same-site" if json else ("same-origin" if referer else "none"),
    }
    if not json:
        headers["Upgrade-Insecure-Requests"] = "1"
    if referer:
        headers["Referer"] = referer
    return headers


def api_headers(**extra: str) -> dict[str, str]:
    """Headers for a documented API: honest User-Agent, JSON in and out, plus ``extra``."""
    return {"User-Agent": API_USER_AGENT, "Accept": "application/json", **extra}
