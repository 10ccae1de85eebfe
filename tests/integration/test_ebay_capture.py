"""A real Browse answer (captured from EBAY_US by someone else, see SOURCES.md): eBay
converted the seller's CAD price to USD; we keep the seller's own price and convert it
ourselves with the ECB's rates for a search's range."""

from __future__ import annotations

import ast
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.criteria import Criteria
from core.currency import Rates, convert
from core.matching import price_in_range
from scrapers.ebay.parse import parse_search

CAPTURE = (
    Path(__file__).resolve().parent.parent / "fixtures" / "ebay" / "capture_converted_cad.py.txt"
)
# Units per euro on 28 June 2024 (the ECB's file of that day).
RATES = Rates(date(2024, 6, 28), {"USD": Decimal("1.0705"), "CAD": Decimal("1.4670")})


def test_the_sellers_own_price_and_the_large_photo_are_kept() -> None:
    (listing,) = parse_search(ast.literal_eval(CAPTURE.read_text(encoding="utf-8")))
    assert (listing.price, listing.currency) == (Decimal("0.99"), "CAD")
    assert listing.image_url == "https://i.ebayimg.com/images/g/~xgAAOSwghxkBdLn/s-l1600.jpg"
    assert listing.title.startswith("For iPhone 14 Plus")
    assert listing.url == "https://www.ebay.com/itm/385462201428"


def test_a_usd_range_compares_the_cad_price_by_the_ecb_rates() -> None:
    (listing,) = parse_search(ast.literal_eval(CAPTURE.read_text(encoding="utf-8")))
    # CAD 0.99 is USD 0.7224… at these rates (eBay said 0.75 at its own rate).
    in_range = Criteria("iphone", max_price=Decimal("0.73"), currency="USD")
    below = Criteria("iphone", max_price=Decimal("0.72"), currency="USD")
    assert price_in_range(in_range, listing, RATES)
    assert not price_in_range(below, listing, RATES)
    shown = convert(listing.price or Decimal(0), listing.currency, "USD", RATES)
    assert shown is not None and shown.amount == Decimal("0.72")
