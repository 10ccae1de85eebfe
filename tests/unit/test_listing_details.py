"""Issue 14's listing facts: seller, buying format, bid, end, postage, collection-only, as
each marketplace's parser reads them, and as they are stored and read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from core.enums import BuyingFormat
from core.listings import details_fields, details_json
from core.ports import ListingData
from scrapers.common import collection_only
from scrapers.ebay.parse import parse_search
from scrapers.facebook.cards import parse_cards

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _ebay() -> dict[str, ListingData]:
    payload = json.loads((FIXTURES / "ebay" / "search_ps5.json").read_text())
    return {x.external_id: x for x in parse_search(payload)}


def test_ebay_gives_seller_format_bid_end_and_fixed_postage() -> None:
    by_id = _ebay()
    bin_item = by_id["v1|276412345678|0"]
    assert bin_item.seller == "gamez_direct_uk"
    assert bin_item.buying_format is BuyingFormat.BUY_IT_NOW
    assert bin_item.postage == Decimal("0.00")  # FIXED 0.00: free postage
    assert bin_item.ships and not bin_item.collection_only
    auction = by_id["v1|156234567890|0"]
    assert auction.buying_format is BuyingFormat.AUCTION
    assert (auction.current_bid, auction.bid_count) == (Decimal("152.00"), 7)
    assert auction.ends_at == datetime(2024, 5, 6, 19, 30, tzinfo=UTC)
    assert auction.postage is None  # CALCULATED: its 0.00 depends on the buyer's address
    both = by_id["v1|305512349876|0"]
    assert both.buying_format is BuyingFormat.BOTH
    assert (both.price, both.current_bid, both.bid_count) == (Decimal("380.00"), Decimal(241), 1)


def test_details_survive_storage() -> None:
    for item in _ebay().values():
        back = ListingData(item.marketplace, item.external_id, item.url, item.title, item.price)
        restored = ListingData(
            back.marketplace,
            back.external_id,
            back.url,
            back.title,
            back.price,
            **details_fields(json.loads(json.dumps(details_json(item)))),
        )
        for name in ("buying_format", "current_bid", "bid_count", "ends_at", "postage", "ships"):
            assert getattr(restored, name) == getattr(item, name), name
    assert details_json(ListingData("x", "1", "u", "t", None)) == {}


def test_total_adds_postage_only_when_known() -> None:
    item = ListingData("ebay", "1", "u", "t", Decimal(210), postage=Decimal("4.50"))
    assert item.total == Decimal("214.50")
    assert ListingData("ebay", "1", "u", "t", Decimal(210)).total == Decimal(210)


def test_collection_only_is_read_from_the_sellers_words() -> None:
    assert collection_only("Oak table", "Collection only from Leeds")
    assert collection_only("Sofa - pick up only")
    assert collection_only("Fridge, no delivery")
    assert not collection_only("Bike", "Collection from E8 or can post.")


def test_facebook_ships_to_you_is_postage_without_a_cost() -> None:
    html = (
        '<div aria-label="Collection of Marketplace items">'
        '<a href="/marketplace/item/111/"><span>£40</span><span>Lamp</span>'
        "<span>Ships to you</span></a>"
        '<a href="/marketplace/item/222/"><span>£50</span><span>Desk</span>'
        "<span>Leeds, United Kingdom</span></a></div>"
    )
    by_id = {x.external_id: x for x in parse_cards(html, "https://www.facebook.com/")}
    assert by_id["111"].ships and by_id["111"].postage is None and by_id["111"].location == ""
    assert not by_id["222"].ships and by_id["222"].location == "Leeds, United Kingdom"
