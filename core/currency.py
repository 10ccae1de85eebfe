"""Currencies: a search's price range in its own currency, listings in theirs.

A listing priced in another currency than its search is compared through the European
Central Bank's daily reference rates (euro-based: one euro buys ``per_euro[c]`` of ``c``;
published on working days only). The latest rates known are used whatever their age, and
their date goes into the alert. A listing passes the price check unconverted only when no
rates were ever fetched, or when its currency (or the search's) is not among the ECB's.

Comparisons are exact: ``price · per_euro[search] ⋛ bound · per_euro[listing]`` in a
Decimal context wide enough that no product is rounded, so a listing whose true converted
price is in range is never pushed out by rounding. The ≈ figure shown to the user is
rounded to the cent, monotonically, so an in-range price never shows outside the range.

The rates are fetched and stored by ``core.rates`` (pure rules here, no database).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, Inexact

__all__ = [
    "CURRENCY_NAMES",
    "KNOWN_CURRENCIES",
    "ConvertedPrice",
    "Rates",
    "compare",
    "convert",
    "normalise_currency",
    "outward",
    "upstream_bounds",
]

# Names the wizard shows; any ISO code the ECB publishes is accepted too.
CURRENCY_NAMES = {
    "GBP": "pounds",
    "USD": "US dollars",
    "EUR": "euros",
    "CAD": "Canadian dollars",
    "AUD": "Australian dollars",
    "NZD": "New Zealand dollars",
    "CHF": "Swiss francs",
    "PLN": "złoty",
}
_SYMBOLS = {"£": "GBP", "$": "USD", "€": "EUR"}
# The euro and the currencies the ECB publishes reference rates for (2024): a search's
# price range may be in any of them.
KNOWN_CURRENCIES = frozenset(
    [
        "EUR",
        "USD",
        "JPY",
        "BGN",
        "CZK",
        "DKK",
        "GBP",
        "HUF",
        "PLN",
        "RON",
        "SEK",
        "CHF",
        "ISK",
        "NOK",
        "TRY",
        "AUD",
        "BRL",
        "CAD",
        "CNY",
        "HKD",
        "IDR",
        "ILS",
        "INR",
        "KRW",
        "MXN",
        "MYR",
        "NZD",
        "PHP",
        "SGD",
        "THB",
        "ZAR",
    ]
)

# Products of two Decimals of up to 40 digits each fit exactly; Inexact is trapped, so an
# input that does not fit raises instead of comparing a rounded figure.
_EXACT = Context(prec=100, traps=[Inexact])


@dataclass(frozen=True, slots=True)
class Rates:
    """One day's reference rates: units of each currency per euro (EUR itself is 1)."""

    day: date
    per_euro: Mapping[str, Decimal]

    def rate(self, currency: str) -> Decimal | None:
        code = currency.strip().upper()
        return Decimal(1) if code == "EUR" else self.per_euro.get(code)

    def knows(self, currency: str) -> bool:
        return self.rate(currency) is not None


@dataclass(frozen=True, slots=True)
class ConvertedPrice:
    """A listing's price in its search's currency (≈, cent-rounded) and the rates' date."""

    amount: Decimal
    currency: str
    day: date


def normalise_currency(text: str) -> str:
    """'usd', ' USD ', '$' → 'USD'; raises ``ValueError`` for a code we cannot convert."""
    code = text.strip()
    code = _SYMBOLS.get(code, code).upper()
    if code not in KNOWN_CURRENCIES:
        raise ValueError(
            f"{code or 'That'} is not a currency I can convert: use a three-letter code such "
            "as GBP, USD, EUR, CAD, AUD or CHF."
        )
    return code


def compare(
    price: Decimal, currency: str, bound: Decimal, bound_currency: str, rates: Rates | None
) -> int | None:
    """-1, 0 or 1 as ``price`` (in ``currency``) is below, at or above ``bound`` (in
    ``bound_currency``), exactly; ``None`` when the two cannot be compared (no rates, or a
    currency the ECB does not publish)."""
    if currency.strip().upper() == bound_currency.strip().upper():
        return (price > bound) - (price < bound)
    if rates is None:
        return None
    price_rate, bound_rate = rates.rate(currency), rates.rate(bound_currency)
    if price_rate is None or bound_rate is None:
        return None
    # price / price_rate ⋛ bound / bound_rate, both rates positive: cross-multiply.
    left = _EXACT.multiply(price, bound_rate)
    right = _EXACT.multiply(bound, price_rate)
    return (left > right) - (left < right)


def convert(
    price: Decimal, currency: str, to_currency: str, rates: Rates | None
) -> ConvertedPrice | None:
    """``price`` in ``to_currency``, rounded half-even to the cent (for showing only: the
    rounding is monotone, so a price inside a cent-precise range stays inside it)."""
    if rates is None or currency.strip().upper() == to_currency.strip().upper():
        return None
    price_rate, to_rate = rates.rate(currency), rates.rate(to_currency)
    if price_rate is None or to_rate is None:
        return None
    exact = Context(prec=60).divide(_EXACT.multiply(price, to_rate), price_rate)
    amount = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return ConvertedPrice(amount, to_currency.strip().upper(), rates.day)


def outward(low: Decimal | None, high: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
    """A price range widened to whole units (floor, ceiling): what is sent upstream and put in
    the fetch key, so 99.99 and 100 share one fetch and rounding never hides a listing."""
    return (
        None if low is None else low.to_integral_value(rounding=ROUND_FLOOR),
        None if high is None else high.to_integral_value(rounding=ROUND_CEILING),
    )


def upstream_bounds(
    low: Decimal | None, high: Decimal | None, currency: str, site_currency: str
) -> tuple[Decimal | None, Decimal | None]:
    """The price bounds an adapter may send to a site that prices in ``site_currency``: the
    query's own when the currencies agree, else none (the listings are then compared
    locally, converted: a bound converted here would change daily and split coalescing)."""
    if currency.strip().upper() != site_currency.strip().upper():
        return None, None
    return low, high
