"""eBay's daily call quota: counted in MarketplaceState across processes, paced near its end.

Also covers the shared ``DailyQuota`` itself (core/quota.py, core's ``CallQuota``), which
eBay is the first user of.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from core.errors import RateLimited
from core.models import MarketplaceState
from core.ports import MarketplaceQuery
from core.quota import DailyQuota
from scrapers.ebay import EbayMarketplace, quota_reset_zone
from tests.fakes.clock import FakeClock
from tests.fakes.ebay_api import CLIENT_ID, CLIENT_SECRET, FakeEbayApi

PACIFIC = ZoneInfo("America/Los_Angeles")
# 00:00 in Pacific time on 5 Jan 2026 (PST, UTC-8): the start of eBay's call-limit day.
PACIFIC_MIDNIGHT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
QUERY = MarketplaceQuery(marketplace="ebay", keywords="ps5")


@pytest.fixture
def fake() -> FakeEbayApi:
    return FakeEbayApi()


@pytest.fixture
async def api_url(fake: FakeEbayApi) -> AsyncIterator[str]:
    async with fake.running() as url:
        yield url


def ebay_process(
    session: aiohttp.ClientSession, api_url: str, clock: FakeClock, quota: int
) -> EbayMarketplace:
    return EbayMarketplace(
        session,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=api_url,
        quota=DailyQuota("ebay", quota, reset_tz=quota_reset_zone(), clock=clock),
        min_interval_seconds=0.0,
        clock=clock,
    )


async def test_calls_are_counted_per_day_in_the_shared_state(
    db: str, session: aiohttp.ClientSession, api_url: str
) -> None:
    clock = FakeClock(PACIFIC_MIDNIGHT + timedelta(hours=1))
    ebay = ebay_process(session, api_url, clock, quota=100)
    for _ in range(3):
        await ebay.search(QUERY)
    state = await MarketplaceState.get(name="ebay")
    assert (state.quota_day, state.quota_used) == ("2026-01-05", 3)
    assert isinstance(ebay.quota, DailyQuota)
    usage = await ebay.quota.usage()
    assert (usage.used, usage.limit) == (3, 100)
    clock.advance(24 * 3600)  # eBay's day ends at midnight Pacific, not UTC
    await ebay.search(QUERY)
    state = await MarketplaceState.get(name="ebay")
    assert (state.quota_day, state.quota_used) == ("2026-01-06", 1)


async def test_near_the_end_checks_slow_down_instead_of_failing(
    db: str,
    session: aiohttp.ClientSession,
    api_url: str,
    fake: FakeEbayApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(PACIFIC_MIDNIGHT + timedelta(hours=6))  # a quarter through the day
    ebay = ebay_process(session, api_url, clock, quota=100)  # soft limit: 80 calls
    await MarketplaceState.create(name="ebay", quota_day="2026-01-05", quota_used=79)
    with caplog.at_level(logging.WARNING, logger="core.quota"):
        await ebay.search(QUERY)  # the 80th call crosses the soft limit: the operator is told
        # A quarter of the remaining 20 calls is released by now: 85 in all.
        for _ in range(5):
            await ebay.search(QUERY)
        with pytest.raises(RateLimited) as caught:
            await ebay.search(QUERY)
    assert "80 of 100 daily API calls used" in caplog.text
    assert "daily call quota 85/100 used" in caplog.text
    assert len(fake.searches) == 6  # the refused call never reached eBay
    # One call is released every 86 400 / 20 s = 72 min. The 86th needs
    # allowed(t) > 85  ⇔  t ≥ (85 + 1 − 80) · 86 400 / 20 s = 7.2 h: 1.2 h from now.
    assert caught.value.retry_after == pytest.approx(1.2 * 3600, abs=1)
    assert "slowed down" in str(caught.value)
    clock.advance(caught.value.retry_after)
    await ebay.search(QUERY)  # allowed again, exactly when it said


async def test_a_spent_quota_waits_for_the_quotas_midnight(db: str) -> None:
    clock = FakeClock(PACIFIC_MIDNIGHT + timedelta(hours=23))
    quota = DailyQuota("ebay", 10, soft_fraction=1.0, reset_tz=PACIFIC, clock=clock)
    for _ in range(10):
        await quota.take()
    with pytest.raises(RateLimited) as caught:
        await quota.take()
    assert caught.value.retry_after == pytest.approx(3600, abs=1)


async def test_two_processes_share_one_budget(
    db: str, session: aiohttp.ClientSession, api_url: str, fake: FakeEbayApi
) -> None:
    clock = FakeClock(PACIFIC_MIDNIGHT)  # at midnight only the soft 80 % is free
    first = ebay_process(session, api_url, clock, quota=5)  # soft: 4
    second = ebay_process(session, api_url, clock, quota=5)
    for process in (first, second, first, second):
        await process.search(QUERY)
    for process in (first, second):
        with pytest.raises(RateLimited):
            await process.search(QUERY)
    assert len(fake.searches) == 4
    assert (await MarketplaceState.get(name="ebay")).quota_used == 4


def test_allowance_grows_to_the_limit_by_the_quotas_midnight() -> None:
    quota = DailyQuota("ebay", 5000)
    assert quota.allowed_at(0) == 4000
    assert quota.allowed_at(43_200) == 4500
    assert quota.allowed_at(86_400) == 5000
    with pytest.raises(ValueError):
        DailyQuota("ebay", 0)
