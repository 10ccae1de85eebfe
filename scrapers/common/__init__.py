"""What every scraper shares: polite pacing, realistic headers, timeouts and error mapping,
URL and price helpers. Health is recorded by core's runner, which sees every call's outcome;
a daily API quota is core's ``CallQuota`` port, handed to the scraper that needs one.

Typical use in an adapter (the ClientSession is the process's one session, passed in)::

    limiter = SiteRateLimiter("gumtree", min_interval=3.0, jitter=2.0)

    async def search(self, query):
        result = await fetch(session, url, marketplace="gumtree", params=params,
                             headers=browser_headers(), deadline=request_timeout(20),
                             limiter=limiter)           # waits its slot; timeout → Unavailable
        check_status(result, "search page")             # 429/403/5xx → core's errors
        return parse(result.text())                     # raise ParseError on a changed layout
"""

from scrapers.common.headers import (
    API_USER_AGENT,
    BROWSER_USER_AGENT,
    api_headers,
    browser_headers,
)
from scrapers.common.http import (
    DEFAULT_RETRY_AFTER_SECONDS,
    HttpResult,
    check_status,
    fetch,
    request_timeout,
    retry_after_seconds,
)
from scrapers.common.ratelimit import SiteRateLimiter
from scrapers.common.text import clean_text, collection_only, parse_price
from scrapers.common.urls import require_marketplace_url, url_belongs_to

__all__ = [
    "API_USER_AGENT",
    "BROWSER_USER_AGENT",
    "DEFAULT_RETRY_AFTER_SECONDS",
    "HttpResult",
    "SiteRateLimiter",
    "api_headers",
    "browser_headers",
    "check_status",
    "clean_text",
    "collection_only",
    "fetch",
    "parse_price",
    "request_timeout",
    "require_marketplace_url",
    "retry_after_seconds",
    "url_belongs_to",
]
