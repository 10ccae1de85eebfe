"""A free listing (price 0, e.g. Craigslist's free board) reads "Free", not "$0.00"."""

from __future__ import annotations

from decimal import Decimal

from core.formatting import price_text


def test_zero_is_free_and_none_is_no_price() -> None:
    assert price_text(Decimal(0), "USD") == "Free"
    assert price_text(Decimal("0.00"), "GBP") == "Free"
    assert price_text(None, "USD") == "no price"
    assert price_text(Decimal("0.50"), "USD") == "$0.50"
