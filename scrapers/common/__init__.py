"""What every scraper shares: polite pacing, realistic headers, timeouts and error mapping,
the per-marketplace health record, a shared daily API quota, URL and price helpers.

Typical use in an adapter (the ClientSession is the process's one session, passed in)::

    limiter = SiteRateLimiter("gumtree", min_interval=3.0, jitter=2.0)
    health = HealthRecorder("gumtree")

    async def search(self, query):
        async with health.track():                       # last success / error rate
            result = await fetch(session, url, marketplace="gumtree", params=params,
                                 headers=browser_headers(), deadline=request_timeout(20),
                                 limiter=limiter)       # waits its slot; timeout → Unavailable
            check_status(result, "search page")         # 429/403/5xx → core's errors
            return parse(result.text())                 # raise ParseError on a changed layout
"""

from scrapers.common.headers import (
    API_USER_AGENT,
    BROWSER_USER_AGENT,
    api_headers,
    browser_headers,
)
from scrapers.common.health import HealthRecorder, MarketplaceHealth, read_health
from scrapers.common.http import (
    DEFAULT_RETRY_AFTER_SECONDS,
    HttpResult,
    check_status,
    fetch,
    request_timeout,
    retry_after_seconds,
)
from scrapers.common.quota import DailyQuota, QuotaUsage
from scrapers.common.ratelimit import SiteRateLimiter
from scrapers.common.text import clean_text, parse_price
from scrapers.common.urls import require_marketplace_url, url_belongs_to

__all__ = [
    "API_USER_AGENT",
    "BROWSER_USER_AGENT",
    "DEFAULT_RETRY_AFTER_SECONDS",
    "DailyQuota",
    "HealthRecorder",
    "HttpResult",
    "MarketplaceHealth",
    "QuotaUsage",
    "SiteRateLimiter",
    "api_headers",
    "browser_headers",
    "check_status",
    "clean_text",
    "fetch",
    "parse_price",
    "read_health",
    "request_timeout",
    "require_marketplace_url",
    "retry_after_seconds",
    "url_belongs_to",
]
