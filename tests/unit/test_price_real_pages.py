"""Is it a deal? (issue 16) on real asking prices: eBay US results for "iPhone 13" (90 live
listings, 2025) and for "iphone" (2023, with accessories), captured by others; see
tests/fixtures/prices/SOURCES.md. Auction, faulty and repost copies are made from real rows."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from core.criteria import Criteria
from core.enums import BuyingFormat, Condition
from core.ports import ListingData
from core.prices import sample_rows
from core.templates import BUILT_IN_TEMPLATES
from core.verdict import VerdictKind, estimate, judge, other_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "prices"
NOW = datetime(2025, 6, 9, 13, tzinfo=UTC)


def _phones() -> list[ListingData]:
    """The 2025 capture: its tool kept model, storage, lock status and condition, not the
    title, so the title is built from them as a seller would write it."""
    with (FIXTURES / "ebay_us_iphone13.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        ListingData(
            marketplace="ebay",
            external_id=r["item_id"],
            url=f"https://www.ebay.com/itm/{r['item_id']}",
            title=f"Apple {r['model'].replace('iphone', 'iPhone')} {r['storage']} "
            f"{r['lock_status']} - {r['condition']}",
            price=Decimal(r["price"]),
            currency="USD",
            condition=Condition.NEW if r["condition"] == "Brand New" else Condition.USED,
        )
        for r in rows
    ]


def _titled() -> list[ListingData]:
    """The 2023 captures: real titles, sellers and buying options (phones and accessories)."""
    with (FIXTURES / "ebay_us_iphone_titles.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        ListingData(
            marketplace="ebay",
            external_id=r["item_id"],
            url=f"https://www.ebay.com/itm/{r['item_id']}",
            title=r["title"],
            price=Decimal(r["price"]),
            currency="USD",
            seller=r["seller"],
        )
        for r in rows
    ]


def _usual(criteria: Criteria, listings: list[ListingData]) -> tuple[list[int], Decimal | None]:
    numbered = list(enumerate(listings))
    rows, _ = sample_rows([criteria], numbered, NOW, None)
    found = estimate([r.price for r in rows])
    return [r.listing_id for r in rows], None if found is None else found.usual


def test_a_real_iphone_13_page_gives_a_usual_price_and_leaves_the_far_off_out() -> None:
    phones = _phones()
    criteria = Criteria(keywords="iphone 13", currency="USD")
    rows, _ = sample_rows([criteria], list(enumerate(phones)), NOW, None)
    found = estimate([r.price for r in rows])
    assert found is not None and found.enough
    # the page mixes in 13 Pro, Pro Max and mini: other models, left out by their titles
    assert Decimal("270") <= found.usual <= Decimal("300")
    assert found.listings >= 55 and found.spread < 0.3
    # the $1,500 "iPhone 13" is not part of the spread, and gets no verdict
    assert found.high < Decimal("1500") and found.dropped >= 1
    assert judge(Decimal("1500"), found, "USD") is None


def test_real_accessories_do_not_move_the_usual_price() -> None:
    phones, accessories = _phones(), _titled()[4:]
    assert all("iPhone" in a.title and a.price == Decimal("0.75") for a in accessories)
    plain = Criteria(keywords="iphone 13", currency="USD")
    _, without = _usual(plain, phones)
    ids, with_them = _usual(plain, [*phones, *accessories])
    assert with_them == without  # dropped as far off even where no word catches them
    # the iPhone template's accessory words keep them out of the sample altogether
    template = next(t for t in BUILT_IN_TEMPLATES if t.slug == "iphone-flips-uk").criteria
    worded = plain.with_changes(accessory_words=template.accessory_words)
    ids, _ = _usual(worded, [*phones, *accessories])
    assert not set(ids) & set(range(len(phones), len(phones) + len(accessories)))
    found = estimate([p.price for p in phones if p.price])
    assert judge(Decimal("0.75"), found, "USD") is None  # and none of them gets a verdict


def test_other_models_are_left_out_as_if_excluded_and_real_verdicts() -> None:
    phones = _phones()
    criteria = Criteria(keywords="iphone 13", currency="USD")
    excluding = criteria.with_changes(exclude=("pro", "mini", "max"))
    rows, _ = sample_rows([criteria], list(enumerate(phones)), NOW, None)
    same, _ = sample_rows([excluding], list(enumerate(phones)), NOW, None)
    assert [r.listing_id for r in rows] == [r.listing_id for r in same]
    assert any(other_model(p.title, "iphone 13") == "pro" for p in phones)
    found = estimate([r.price for r in rows])
    assert found is not None and found.enough and found.spread < 0.3
    cheap = judge(Decimal("194.95"), found, "USD")  # a real "Good - Refurbished" listing
    sealed = judge(Decimal("411.75"), found, "USD")  # a real "Brand New" one
    assert cheap is not None and cheap.kind is VerdictKind.UNDER and cheap.percent <= -25
    assert sealed is not None and sealed.kind is VerdictKind.ABOVE


def test_a_broad_real_query_is_thin_and_mixed_so_it_says_nothing() -> None:
    titled = _titled()
    criteria = Criteria(keywords="iphone", currency="USD")
    rows, _ = sample_rows([criteria], list(enumerate(titled)), NOW, None)
    found = estimate([r.price for r in rows])
    assert found is not None and not found.enough
    assert judge(Decimal("150"), found, "USD") is None


def test_auctions_faulty_units_and_reposts_of_real_listings() -> None:
    phones = _phones()[:40]
    real = phones[3]
    auction = replace(real, external_id="a1", buying_format=BuyingFormat.AUCTION,
                      price=Decimal("99"))  # fmt: skip
    faulty = replace(real, external_id="f1", title=f"{real.title} FAULTY face id not working",
                     price=Decimal("120"))  # fmt: skip
    sold_by = replace(real, seller="phone_outlet")
    repost = replace(sold_by, external_id="r1", price=Decimal("255"))
    criteria = Criteria(keywords="iphone 13", currency="USD")
    listings = [*phones[:3], sold_by, *phones[4:], auction, faulty, repost]
    rows, _ = sample_rows([criteria], list(enumerate(listings)), NOW, None)
    kept = {listings[r.listing_id].external_id for r in rows}
    assert "a1" not in kept and "f1" not in kept
    same_model = [p for p in phones if other_model(p.title, "iphone 13") is None]
    assert len(rows) == len(same_model)  # the repost replaced its earlier copy's sample
    assert [r.price for r in rows if r.seen.startswith("s:phone_outlet")] == [Decimal("255")]
