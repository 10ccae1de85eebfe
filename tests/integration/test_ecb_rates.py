"""The ECB adapter against a local ECB in the real eurofxref format, and its failures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import aiohttp
import pytest

from core.errors import Blocked, ParseError, Unavailable
from scrapers.ecb import EcbRates, parse_rates
from tests.fakes.ecb_rates import SAMPLE_RATES, FakeEcb, eurofxref_xml, fake_ecb


async def test_reads_the_day_and_every_rate() -> None:
    async with fake_ecb(FakeEcb(date(2026, 11, 27))) as ecb, aiohttp.ClientSession() as http:
        rates = await EcbRates(http, ecb.url).latest()
    assert rates.day == date(2026, 11, 27)
    assert rates.rate("USD") == Decimal("1.0705") and rates.rate("IDR") == Decimal("17487.21")
    assert len(rates.per_euro) == len(SAMPLE_RATES) and rates.rate("EUR") == 1


@pytest.mark.parametrize(("status", "error"), [(503, Unavailable), (403, Blocked)])
async def test_http_errors_map_to_core_errors(status: int, error: type[Exception]) -> None:
    async with fake_ecb(FakeEcb(fail_with=status)) as ecb, aiohttp.ClientSession() as http:
        with pytest.raises(error):
            await EcbRates(http, ecb.url).latest()


def test_a_refused_connection_is_unavailable() -> None:
    async def fetch() -> None:
        async with aiohttp.ClientSession() as http:
            await EcbRates(http, "http://127.0.0.1:9/eurofxref-daily.xml").latest()

    import asyncio

    with pytest.raises(Unavailable):
        asyncio.run(fetch())


GOOD = eurofxref_xml(date(2026, 11, 27), {"USD": Decimal("1.05")})


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>maintenance</html>", "0 dated Cube"),
        (b"not xml at all", "not XML"),
        (GOOD.replace(b"1.05", b"abc"), "unreadable value"),
        (GOOD.replace(b"1.05", b"-1"), "no usable rates"),
        (GOOD.replace(b"2026-11-27", b"27/11/2026"), "unreadable value"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "DOCTYPE"),
    ],
)
def test_another_shape_is_a_parse_error(body: bytes, problem: str) -> None:
    with pytest.raises(ParseError, match=problem):
        parse_rates(body)
