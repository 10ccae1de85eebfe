"""A local ECB serving ``eurofxref-daily.xml`` in the real format (a ``gesmes:Envelope``
whose default namespace is the eurofxref vocabulary, one ``Cube time=…`` of ``Cube
currency=… rate=…``, single-quoted attributes and tabs as the ECB writes them).

``publish(day, rates)`` sets what the file says; like the real one it keeps saying the last
working day's rates on a weekend until the next ``publish``. ``fail_with`` makes it answer an
HTTP error, ``delay_seconds`` answer slowly; ``requests`` counts the fetches.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from aiohttp import web

from tests.fakes.local_server import serving

PATH = "/stats/eurofxref/eurofxref-daily.xml"

# The ECB's currencies (as of 2024), a realistic day's rates.
SAMPLE_RATES: dict[str, Decimal] = {
    code: Decimal(rate)
    for code, rate in (
        ("USD", "1.0705"), ("JPY", "171.94"), ("BGN", "1.9558"), ("CZK", "25.025"),
        ("DKK", "7.4575"), ("GBP", "0.84638"), ("HUF", "395.10"), ("PLN", "4.3090"),
        ("RON", "4.9773"), ("SEK", "11.3595"), ("CHF", "0.9634"), ("ISK", "148.90"),
        ("NOK", "11.3965"), ("TRY", "35.1868"), ("AUD", "1.6079"), ("BRL", "5.8915"),
        ("CAD", "1.4670"), ("CNY", "7.7748"), ("HKD", "8.3594"), ("IDR", "17487.21"),
        ("ILS", "4.0200"), ("INR", "89.2495"), ("KRW", "1474.86"), ("MXN", "19.5654"),
        ("MYR", "5.0501"), ("NZD", "1.7601"), ("PHP", "62.560"), ("SGD", "1.4513"),
        ("THB", "39.319"), ("ZAR", "19.4970"),
    )
}  # fmt: skip


def eurofxref_xml(day: date, rates: Mapping[str, Decimal]) -> bytes:
    cubes = "".join(f"\t\t\t<Cube currency='{c}' rate='{r}'/>\n" for c, r in rates.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "\t<gesmes:subject>Reference rates</gesmes:subject>\n"
        "\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n"
        "\t</gesmes:Sender>\n"
        f"\t<Cube>\n\t\t<Cube time='{day.isoformat()}'>\n{cubes}\t\t</Cube>\n\t</Cube>\n"
        "</gesmes:Envelope>"
    ).encode()


@dataclass
class FakeEcb:
    day: date = date(2024, 6, 28)
    rates: dict[str, Decimal] = field(default_factory=lambda: dict(SAMPLE_RATES))
    fail_with: int | None = None
    delay_seconds: float = 0.0  # a slow answer
    requests: int = 0
    url: str = ""

    def publish(self, day: date, rates: Mapping[str, Decimal]) -> None:
        self.day, self.rates = day, dict(rates)

    async def _daily(self, request: web.Request) -> web.Response:
        self.requests += 1
        await asyncio.sleep(self.delay_seconds)
        if self.fail_with is not None:
            return web.Response(status=self.fail_with, text="Service Unavailable")
        return web.Response(body=eurofxref_xml(self.day, self.rates), content_type="text/xml")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(PATH, self._daily)
        return app


@asynccontextmanager
async def fake_ecb(ecb: FakeEcb | None = None) -> AsyncIterator[FakeEcb]:
    """A running fake; ``ecb.url`` is the daily file's URL (what ``ECB_RATES_URL`` takes)."""
    ecb = ecb or FakeEcb()
    async with serving(ecb.app()) as base:
        ecb.url = base + PATH
        yield ecb
