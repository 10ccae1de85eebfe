"""Currency properties (issue 13), on rates read by the real ECB adapter from a local ECB
serving the real eurofxref XML: mixed currencies match exactly as their exact converted
price says, rounding never pushes an in-range listing out, a USD search matches exactly the
USD listings in range, and a currency the ECB does not publish passes unconverted."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.criteria import Criteria
from core.currency import Rates, convert
from core.matching import price_in_range
from core.ports import ListingData
from scrapers.ecb import EcbRates
from tests.fakes.ecb_rates import SAMPLE_RATES, FakeEcb, fake_ecb

NOW = datetime(2024, 6, 29, 12, tzinfo=UTC)
UNPUBLISHED = "ARS"  # the ECB publishes no rate for the Argentine peso


async def _fetch() -> Rates:
    published = FakeEcb(date(2024, 6, 28), dict(SAMPLE_RATES))
    async with fake_ecb(published) as ecb, aiohttp.ClientSession() as session:
        return await EcbRates(session, ecb.url).latest()


@pytest.fixture(scope="module")
def rates() -> Iterator[Rates]:
    yield asyncio.run(_fetch())


def exact_in_range(price: Decimal, cur: str, low: Decimal | None, high: Decimal | None,
                   want: str, rates: Rates) -> bool:  # fmt: skip
    """The truth, in rationals: price / rate(cur) * rate(want) within [low, high]."""
    p_rate, w_rate = rates.rate(cur), rates.rate(want)
    assert p_rate is not None and w_rate is not None
    value = Fraction(price) / Fraction(p_rate) * Fraction(w_rate)
    return (low is None or value >= Fraction(low)) and (high is None or value <= Fraction(high))


CURRENCIES = st.sampled_from(["EUR", "GBP", "USD", "CAD", "AUD", "JPY", "CHF", "SEK"])
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)


def listing(price: Decimal, currency: str) -> ListingData:
    return ListingData("fake", f"{price}{currency}", "https://x.test/1", "bike", price, currency)


@settings(max_examples=400, deadline=None)
@given(price=MONEY, cur=CURRENCIES, want=CURRENCIES, a=MONEY, b=MONEY, which=st.integers(0, 2))
def test_mixed_currencies_match_exactly_by_their_converted_price(
    rates: Rates, price: Decimal, cur: str, want: str, a: Decimal, b: Decimal, which: int
) -> None:
    low, high = min(a, b), max(a, b)
    low, high = (low, high) if which == 0 else (low, None) if which == 1 else (None, high)
    criteria = Criteria("bike", min_price=low, max_price=high, currency=want)
    got = price_in_range(criteria, listing(price, cur), rates)
    assert got == exact_in_range(price, cur, low, high, want, rates)


@settings(max_examples=400, deadline=None)
@given(price=MONEY, cur=CURRENCIES, want=CURRENCIES, up=st.booleans())
def test_bounds_a_cent_from_the_true_value_decide_exactly(
    rates: Rates, price: Decimal, cur: str, want: str, up: bool
) -> None:
    """Where rounding would bite: a bound on the cent just below or above the true value."""
    p_rate, w_rate = rates.rate(cur), rates.rate(want)
    assert p_rate is not None and w_rate is not None
    true = Fraction(price) / Fraction(p_rate) * Fraction(w_rate)
    cents = math.floor(true * 100) + (1 if up else 0)
    bound = Decimal(cents) / 100
    as_max = Criteria("bike", max_price=bound, currency=want)
    as_min = Criteria("bike", min_price=bound, currency=want)
    item = listing(price, cur)
    assert price_in_range(as_max, item, rates) == (true <= Fraction(bound))
    assert price_in_range(as_min, item, rates) == (true >= Fraction(bound))


@settings(max_examples=400, deadline=None)
@given(price=MONEY, cur=CURRENCIES, want=CURRENCIES, a=MONEY, b=MONEY)
def test_rounding_never_shows_an_in_range_listing_out_of_range(
    rates: Rates, price: Decimal, cur: str, want: str, a: Decimal, b: Decimal
) -> None:
    low, high = min(a, b), max(a, b)
    criteria = Criteria("bike", min_price=low, max_price=high, currency=want)
    if not price_in_range(criteria, listing(price, cur), rates):
        return
    shown = convert(price, cur, want, rates)
    if shown is not None:  # None: the same currency, shown as it is
        assert low <= shown.amount <= high
        assert shown.day == date(2024, 6, 28)


@settings(max_examples=200, deadline=None)
@given(prices=st.lists(MONEY, min_size=1, max_size=30), a=MONEY, b=MONEY)
def test_a_usd_search_matches_exactly_the_usd_listings_in_range(
    rates: Rates, prices: list[Decimal], a: Decimal, b: Decimal
) -> None:
    low, high = min(a, b), max(a, b)
    criteria = Criteria("bike", min_price=low, max_price=high, currency="USD")
    items = [listing(p, "USD") for p in prices]
    wanted = [i for i in items if i.price is not None and low <= i.price <= high]
    for known in (rates, None):  # with or without rates: no conversion is involved
        assert [i for i in items if price_in_range(criteria, i, known)] == wanted


@settings(max_examples=100, deadline=None)
@given(price=MONEY, want=CURRENCIES, a=MONEY, b=MONEY)
def test_a_currency_the_ecb_does_not_publish_passes_unconverted(
    rates: Rates, price: Decimal, want: str, a: Decimal, b: Decimal
) -> None:
    assert not rates.knows(UNPUBLISHED)
    low, high = min(a, b), max(a, b)
    criteria = Criteria("bike", min_price=low, max_price=high, currency=want)
    assert price_in_range(criteria, listing(price, UNPUBLISHED), rates)
    assert convert(price, UNPUBLISHED, want, rates) is None


def test_the_adapter_read_every_published_rate(rates: Rates) -> None:
    assert rates.day == date(2024, 6, 28)
    assert dict(rates.per_euro) == SAMPLE_RATES
    assert rates.rate("eur") == 1


def test_a_boundary_price_stays_in_range() -> None:
    # 100 USD at 1.25 USD and 0.8 GBP per euro is exactly £64: the bound itself.
    rates = Rates(date(2024, 6, 28), {"USD": Decimal("1.25"), "GBP": Decimal("0.8")})
    at_max = Criteria("bike", max_price=Decimal(64), currency="GBP")
    at_min = Criteria("bike", min_price=Decimal(64), currency="GBP")
    item = listing(Decimal(100), "USD")
    assert price_in_range(at_max, item, rates) and price_in_range(at_min, item, rates)
    # Thirds: 1 EUR → 3 XXX; 10 XXX is 3.333… EUR; a bound of 3.34 holds it, 3.33 does not.
    thirds = Rates(date(2024, 6, 28), {"SEK": Decimal(3)})
    item = listing(Decimal(10), "SEK")
    assert price_in_range(Criteria("x", max_price=Decimal("3.34"), currency="EUR"), item, thirds)
    assert not price_in_range(
        Criteria("x", max_price=Decimal("3.33"), currency="EUR"), item, thirds
    )
