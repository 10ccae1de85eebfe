"""The shared scraper helpers Craigslist leans on hardest (scrapers/common): pacing with
jitter, Retry-After, URL ownership, shown prices, realistic headers."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest

from core.errors import InvalidCriteria, RateLimited
from scrapers.common import (
    SiteRateLimiter,
    browser_headers,
    parse_price,
    require_marketplace_url,
    retry_after_seconds,
    url_belongs_to,
)


class ManualTime:
    """A monotonic clock whose sleep just moves it on (and remembers the sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(time: ManualTime, **options: float) -> SiteRateLimiter:
    settings = {"min_interval": 3.0, "jitter": 2.0, **options}
    return SiteRateLimiter(
        "craigslist",
        rng=random.Random(7),
        monotonic=time,
        sleep=time.sleep,
        **settings,  # type: ignore[arg-type]
    )


async def test_requests_are_spaced_by_the_interval_plus_jitter() -> None:
    time = ManualTime()
    pace = limiter(time)
    for _ in range(6):
        await pace.acquire()
    assert len(time.sleeps) == 5
    assert all(3.0 <= gap <= 5.0 for gap in time.sleeps)
    assert len({round(gap, 3) for gap in time.sleeps}) > 1  # not a machine-regular rhythm


async def test_a_hold_longer_than_max_wait_is_raised_not_slept() -> None:
    time = ManualTime()
    pace = limiter(time, max_wait=30.0)
    await pace.acquire()
    pace.hold(600)
    with pytest.raises(RateLimited) as caught:
        await pace.acquire()
    assert caught.value.retry_after == pytest.approx(600)
    assert time.sleeps == []
    time.now += 590
    await pace.acquire()  # 10 s left: slept through
    assert time.sleeps == [pytest.approx(10)]


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(None) == 60
    assert retry_after_seconds("soon", default=5) == 5
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(later) <= 90


def test_urls_must_belong_to_the_marketplace() -> None:
    assert url_belongs_to("https://sfbay.craigslist.org/search/sss", ["craigslist.org"])
    assert url_belongs_to("https://craigslist.org/", ["craigslist.org"])
    for wrong in (
        "https://craigslist.org.evil.com/",
        "https://evilcraigslist.org/",
        "javascript:alert(1)",
        "https://user:pw@sfbay.craigslist.org/",
        "https://sfbay.craigslist.org:99999/",
        "ftp://sfbay.craigslist.org/",
    ):
        assert not url_belongs_to(wrong, ["craigslist.org"]), wrong
    with pytest.raises(InvalidCriteria, match="not a craigslist address"):
        require_marketplace_url("https://example.com/", ["craigslist.org"], "craigslist")


def test_shown_prices() -> None:
    assert parse_price("$1,250.50") == Decimal("1250.50")
    assert parse_price("£40") == Decimal(40)
    assert parse_price("Free") == Decimal(0)
    assert parse_price("Contact seller") is None
    assert parse_price(None) is None


def test_browser_headers_look_like_a_browser() -> None:
    page = browser_headers(referer="https://sfbay.craigslist.org/")
    assert page["User-Agent"].startswith("Mozilla/5.0") and "Chrome/" in page["User-Agent"]
    assert page["Accept"].startswith("text/html") and page["Sec-Fetch-Mode"] == "navigate"
    assert page["Referer"] == "https://sfbay.craigslist.org/"
    xhr = browser_headers(json=True)
    assert xhr["Accept"].startswith("application/json") and xhr["Sec-Fetch-Mode"] == "cors"
