"""The fetch key keeps a search's own price bounds (widened to whole units) and their
currency: never a bound converted with the day's rates, so equal searches keep coalescing."""

from __future__ import annotations

from decimal import Decimal

from core.criteria import Criteria
from core.currency import outward, upstream_bounds
from core.fetchkeys import key_for, query_from_json, query_json


def test_bounds_are_widened_to_whole_units_so_near_ranges_share_a_fetch() -> None:
    a = Criteria("bike", min_price=Decimal("10.50"), max_price=Decimal("99.01"), currency="usd")
    b = Criteria("bike", min_price=Decimal("10"), max_price=Decimal("100"), currency="USD")
    ka, kb = key_for(a, "ebay"), key_for(b, "ebay")
    assert ka.digest == kb.digest
    assert (ka.query.min_price, ka.query.max_price, ka.query.currency) == (10, 100, "USD")


def test_the_currency_is_part_of_the_key_and_survives_storage() -> None:
    usd = key_for(Criteria("bike", max_price=Decimal(100), currency="USD"), "ebay")
    gbp = key_for(Criteria("bike", max_price=Decimal(100), currency="GBP"), "ebay")
    assert usd.digest != gbp.digest
    assert query_from_json(query_json(usd.query)) == usd.query


def test_outward_and_upstream_bounds() -> None:
    assert outward(Decimal("0.01"), Decimal("99.99")) == (0, 100)
    assert outward(None, None) == (None, None)
    assert upstream_bounds(Decimal(1), Decimal(2), "usd", "USD") == (1, 2)
    assert upstream_bounds(Decimal(1), Decimal(2), "GBP", "USD") == (None, None)
