"""Reference rates through the whole service: fetched from a local ECB (real XML format) by
the runner before its first check and stored with their date; mixed-currency listings
matched through them; a weekend with no new rates; a failed fetch; no rates at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import aiohttp
import pytest

from bot.bootstrap import BootConfig, Monitor, bootstrap
from bot.conversation.render import alert_lines
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.models import Account, Destination, ExchangeRate, FetchKey, Match, Search
from core.ports import AlertMessage
from core.rates import RatesJob, latest_rates
from core.searches import SearchDraft
from core.tiers import TierTable
from notifiers.rendering import Links, alert_email
from scrapers.ecb import EcbRates
from tests.fakes.clock import FakeClock
from tests.fakes.ecb_rates import FakeEcb, fake_ecb
from tests.fakes.marketplace import FakeMarketplace
from tests.fakes.notifier import RecordingNotifier

FRIDAY = date(2026, 11, 27)
MONDAY = date(2026, 11, 30)
# Units per euro: £0.85 and $1.0625 (so $1 = £0.80 exactly).
RATES = {"USD": Decimal("1.0625"), "GBP": Decimal("0.85"), "JPY": Decimal("160")}


@dataclass
class Service:
    clock: FakeClock
    market: FakeMarketplace
    notifier: RecordingNotifier
    monitor: Monitor
    ecb: FakeEcb
    account: Account
    destination: Destination

    async def search(self, **criteria: object) -> Search:
        draft = SearchDraft(
            name="bikes",
            criteria=Criteria("bike", **criteria),  # type: ignore[arg-type]
            marketplaces=("fake",),
            interval_seconds=60,
        )
        search = await self.monitor.searches.create(self.account, self.destination, draft)
        await self.monitor.runner.prime(search)
        return search

    async def cycle(self) -> None:
        self.clock.advance(91)
        await self.monitor.runner.tick()
        await self.monitor.dispatcher.tick()

    def alerted(self) -> set[str]:
        return {a.listing.external_id for a in self.notifier.sent}


@pytest.fixture
async def service(db: str) -> AsyncIterator[Service]:
    ecb = FakeEcb(FRIDAY, dict(RATES))
    async with fake_ecb(ecb), aiohttp.ClientSession() as session:
        clock = FakeClock(datetime(2026, 11, 27, 17, tzinfo=UTC))
        market, notifier = FakeMarketplace(), RecordingNotifier()
        monitor = bootstrap(
            BootConfig(),
            marketplaces={"fake": market},
            notifiers={"console": notifier},
            tiers=TierTable.demo(fastest_seconds=60),
            clock=clock,
            rates=EcbRates(session, ecb.url),
        )
        account = await identify(Platform.CONSOLE, "tester")
        account.tier = Tier.BUSINESS
        await account.save()
        destination = await destination_for(account, Platform.CONSOLE, "console")
        yield Service(clock, market, notifier, monitor, ecb, account, destination)


def email_text(alert: AlertMessage) -> str:
    return alert_email(alert, Links("https://monitor.example")).text


def rates_job(service: Service) -> RatesJob:
    job = service.monitor.runner.rates_job
    assert job is not None
    return job


async def test_mixed_currencies_are_matched_through_the_stored_rates(service: Service) -> None:
    assert await rates_job(service).refresh()
    stored = await latest_rates()
    assert stored is not None and stored.day == FRIDAY and stored.rate("GBP") == Decimal("0.85")
    await service.search(max_price=Decimal(80), currency="GBP")
    add = service.market.add
    add("gbp-80", "bike", "80", currency="GBP")  # the bound itself
    add("usd-100", "bike", "100", currency="USD")  # exactly £80.00
    add("usd-101", "bike", "100.01", currency="USD")  # £80.008: out
    add("eur-94", "bike", "94.11", currency="EUR")  # £79.9935: in
    add("eur-95", "bike", "94.12", currency="EUR")  # £80.002: out
    add("ars-1m", "bike", "1000000", currency="ARS")  # no ECB rate: passes unconverted
    await service.cycle()
    assert service.alerted() == {"gbp-80", "usd-100", "eur-94", "ars-1m"}
    by_id = {a.listing.external_id: a for a in service.notifier.sent}
    chat = "\n".join(alert_lines(by_id["eur-94"], service.clock()))
    assert "€94.11 ≈ £79.99 (ECB rate of 27 Nov 2026)" in chat  # own price first
    assert "€94.11 ≈ £79.99 (ECB rate of 27 Nov 2026)" in email_text(by_id["eur-94"])
    assert by_id["ars-1m"].converted is None and by_id["gbp-80"].converted is None


async def test_a_weekend_keeps_fridays_rates_and_monday_brings_new_ones(service: Service) -> None:
    job = rates_job(service)
    assert await job.refresh()
    service.clock.advance(24 * 3600)  # Saturday: the ECB still publishes Friday's
    assert await job.refresh()
    assert await ExchangeRate.filter(day=FRIDAY).count() == len(RATES)  # stored once
    await service.search(max_price=Decimal(80), currency="GBP")
    service.market.add("usd-100", "bike", "100", currency="USD")
    await service.cycle()
    [alert] = service.notifier.sent
    assert alert.converted is not None and alert.converted.day == FRIDAY
    service.ecb.publish(MONDAY, {**RATES, "GBP": Decimal("0.86")})  # the pound weakens
    assert await job.refresh()
    assert (await latest_rates()).day == MONDAY  # type: ignore[union-attr]
    service.market.add("usd-100b", "bike", "100", currency="USD")  # now £80.94: out
    await service.cycle()
    assert service.alerted() == {"usd-100"}


async def test_a_failed_fetch_keeps_the_last_rates(service: Service) -> None:
    job = rates_job(service)
    assert await job.refresh()
    service.ecb.fail_with = 503
    assert not await job.refresh()
    assert (await latest_rates()).day == FRIDAY  # type: ignore[union-attr]
    await service.search(max_price=Decimal(80), currency="GBP")
    service.market.add("usd-200", "bike", "200", currency="USD")  # £160: still compared
    await service.cycle()
    assert service.alerted() == set()


async def test_without_any_rates_a_foreign_price_passes_unconverted(service: Service) -> None:
    service.ecb.fail_with = 503
    assert not await rates_job(service).refresh()
    await service.search(max_price=Decimal(80), currency="GBP")
    service.market.add("usd-200", "bike", "200", currency="USD")
    service.market.add("gbp-200", "bike", "200", currency="GBP")
    await service.cycle()
    assert service.alerted() == {"usd-200"}
    [alert] = service.notifier.sent
    assert alert.converted is None and "≈" not in email_text(alert)


async def test_the_runner_fetches_the_rates_before_its_first_check(service: Service) -> None:
    search = await service.search(max_price=Decimal(80), currency="GBP")
    service.market.add("usd-200", "bike", "200", currency="USD")  # £160: out once converted
    service.market.add("usd-50", "bike", "50", currency="USD")  # £40: in
    service.clock.advance(91)
    service.ecb.delay_seconds = 0.5  # a check running meanwhile would see no rates
    runner = service.monitor.runner
    running = asyncio.create_task(runner.run())
    try:
        for _ in range(200):
            await asyncio.sleep(0.02)
            if await _checks() >= 2:  # per fetch key since scheduling moved to keys
                break
    finally:
        runner.request_stop()
        await asyncio.wait_for(running, 10)
    assert service.ecb.requests == 1
    assert await _checks() >= 2
    matched = await Match.filter(search_id=search.id).values_list("listing__external_id", flat=True)
    assert set(matched) == {"usd-50"}  # the rates were there for the first check


async def test_a_hanging_ecb_holds_the_first_check_only_so_long(service: Service) -> None:
    job = rates_job(service)
    job.first_wait_seconds = 0.2
    service.ecb.delay_seconds = 1.5
    started = asyncio.get_running_loop().time()
    assert not await job.refresh_before_checks()
    assert asyncio.get_running_loop().time() - started < 1
    assert await latest_rates() is None


async def _checks() -> int:
    return sum(await FetchKey.all().values_list("checks_count", flat=True))  # type: ignore[arg-type]
