"""The sandbox's pick for a saved search: a catalogue listing that core's matcher accepts."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.criteria import Criteria
from core.enums import Condition
from core.matching import matches
from core.ports import ListingData
from core.templates import BUILT_IN_TEMPLATES
from scrapers.sandbox.catalogue import CATEGORIES, find_town, towns_within
from scrapers.sandbox.generator import compose_title
from scrapers.sandbox.picker import Pick, pick_listing

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# What people type into the wizard first (keywords, exclusions, price, place, condition).
WIZARD_SEARCHES = {
    "cheap ps5": Criteria("ps5", min_price=Decimal(100), max_price=Decimal(300)),
    "road bike near leeds": Criteria(
        "road bike", exclude=("kids",), location="Leeds", radius_miles=30,
        condition=Condition.USED, max_price=Decimal(800),
    ),
    "sofa": Criteria("sofa", max_price=Decimal(500)),
    "new airpods": Criteria("airpods", condition=Condition.NEW),
    "switch or steam deck": Criteria('"switch oled" OR "steam deck"', max_price=Decimal(400)),
    "macbook air": Criteria("macbook air", exclude=("boxed",), min_price=Decimal(300)),
    "film camera in york": Criteria("film camera", location="york", radius_miles=40),
    "dyson": Criteria("dyson", max_price=Decimal(250)),
    "north face jacket": Criteria("north face jacket", location="Bristol"),
    "lego": Criteria("lego millennium falcon"),
    "pixel": Criteria("pixel", min_price=Decimal(150), max_price=Decimal(350)),
}  # fmt: skip


def catalogue_titles() -> set[str]:
    """Every title the catalogue can make, enumerated here independently of the picker."""
    titles = set()
    for category in CATEGORIES:
        for model in category.models:
            groups = model.variants or category.variants
            for alias in ("", *model.aliases):
                for *variants, extra in itertools.product(*groups, category.extras):
                    titles.add(compose_title(model, variants, extra, alias))
    return titles


TITLES = catalogue_titles()


def as_listing(pick: Pick) -> ListingData:
    return ListingData(
        marketplace="sandbox",
        external_id="x",
        url="http://sandbox/item/x",
        title=pick.title,
        price=pick.price,
        description=pick.description,
        location=pick.location,
        condition=pick.condition,
        category=pick.category,
        posted_at=NOW,
    )


def check(criteria: Criteria, seed: int = 1) -> Pick:
    pick = pick_listing(criteria, random.Random(seed), NOW)
    assert pick is not None, f"nothing picked for {criteria}"
    assert matches(criteria, as_listing(pick), NOW)
    assert pick.title in TITLES  # drawn from the catalogue, not made of the keywords
    assert pick.price == pick.price.quantize(Decimal("0.01")) and pick.price > 0
    if criteria.min_price is not None:
        assert pick.price >= criteria.min_price
    if criteria.max_price is not None:
        assert pick.price <= criteria.max_price
    return pick


@pytest.mark.parametrize("spec", BUILT_IN_TEMPLATES, ids=lambda spec: spec.slug)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_template_gets_a_catalogue_listing_it_matches(spec: object, seed: int) -> None:
    check(spec.criteria, seed)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", WIZARD_SEARCHES)
def test_typical_wizard_searches_get_a_catalogue_listing(name: str) -> None:
    criteria = WIZARD_SEARCHES[name]
    pick = check(criteria)
    if criteria.condition is not Condition.ANY:
        assert pick.condition is criteria.condition
    centre = find_town(criteria.location)
    if centre is not None:  # a place the sandbox has on its map: within the radius
        assert pick.location in towns_within(centre, criteria.radius_miles or 0)


def test_excluded_words_are_honoured_through_the_matcher() -> None:
    # Every phone extra but one is excluded: only a "sim free" Nokia can match.
    criteria = Criteria(
        "nokia 3310",
        exclude=("unlocked", "boxed", "ee locked", "excellent condition", "with charger"),
    )
    for seed in range(5):
        assert check(criteria, seed).title.endswith("– sim free")


def test_the_same_search_twice_need_not_get_the_same_listing() -> None:
    criteria = Criteria("iphone")
    rng = random.Random(3)
    titles = {pick.title for pick in (pick_listing(criteria, rng, NOW) for _ in range(8)) if pick}
    assert len(titles) > 1


@pytest.mark.parametrize(
    "criteria",
    [
        Criteria("quokka lamp"),
        Criteria("iphone quokka"),  # one known word is not enough: every group must match
        Criteria("ps5", max_price=Decimal(20)),  # no PS5 is that cheap
        Criteria("iphone", category="cars"),  # a category the sandbox does not stock
        Criteria("iphone", exclude=("apple",)),
        Criteria("rolex", max_price=Decimal(100), currency="EUR"),
    ],
    ids=lambda criteria: criteria.keywords,
)
def test_nothing_is_made_up_when_the_catalogue_has_no_match(criteria: Criteria) -> None:
    assert pick_listing(criteria, random.Random(1), NOW) is None


def test_a_place_off_the_map_is_kept_as_written() -> None:
    pick = check(Criteria("ps5", location="st ives"))
    assert pick.location == "St Ives"
