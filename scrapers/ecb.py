"""The European Central Bank's daily euro reference rates (core's ``RateSource``).

``https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml`` (``ECB_RATES_URL``) is a
``gesmes:Envelope`` whose default namespace is the ECB's eurofxref vocabulary: a ``Cube``
holding one ``Cube time='YYYY-MM-DD'`` holding one ``Cube currency='USD' rate='1.0705'``
per currency (units per euro). It is published on working days around 16:00 CET; on a
weekend or holiday it still holds the last working day's rates, with that day's date.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal, InvalidOperation

import aiohttp

from core.currency import Rates
from core.errors import ParseError
from scrapers.common.http import check_status, fetch, request_timeout

__all__ = ["ECB_RATES_URL", "EcbRates", "parse_rates"]

ECB_RATES_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
_NAME = "ecb"
_CUBE = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}Cube"


def parse_rates(body: bytes) -> Rates:
    """The day and rates of one eurofxref document; ``ParseError`` if it has another shape."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:  # the real file has none: no expansions
        raise ParseError("ecb sent a rates file with a DOCTYPE", marketplace=_NAME)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ParseError(
            f"ecb sent a rates file that is not XML ({exc})", marketplace=_NAME
        ) from exc
    days = [cube for cube in root.iter(_CUBE) if cube.get("time")]
    if len(days) != 1:
        raise ParseError(
            f"ecb's rates file has {len(days)} dated Cube elements, not one", marketplace=_NAME
        )
    day_cube = days[0]
    try:
        day = date.fromisoformat(str(day_cube.get("time")))
        per_euro = {
            str(cube.get("currency")).strip().upper(): Decimal(str(cube.get("rate")))
            for cube in day_cube.iter(_CUBE)
            if cube.get("currency")
        }
    except (ValueError, InvalidOperation) as exc:
        raise ParseError(
            f"ecb's rates file has an unreadable value ({exc})", marketplace=_NAME
        ) from exc
    bad = [code for code, rate in per_euro.items() if not rate.is_finite() or rate <= 0]
    if not per_euro or bad:
        raise ParseError(f"ecb's rates file has no usable rates ({bad})", marketplace=_NAME)
    return Rates(day, per_euro)


class EcbRates:
    """Fetches the daily file through the shared session (``core.rates.RateSource``)."""

    def __init__(
        self, session: aiohttp.ClientSession, url: str = ECB_RATES_URL, *, timeout: float = 30.0
    ) -> None:
        self._session = session
        self._url = url
        self._timeout = timeout

    async def latest(self) -> Rates:
        result = await fetch(
            self._session,
            self._url,
            marketplace=_NAME,
            deadline=request_timeout(self._timeout),
            headers={"Accept": "application/xml, text/xml"},
        )
        check_status(result, "reference rates request")
        return parse_rates(result.body)
