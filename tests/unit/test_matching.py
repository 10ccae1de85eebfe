"""Tests for core.matching: keyword expressions and the local matching rules."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.criteria import Criteria
from core.currency import Rates
from core.enums import Condition
from core.errors import InvalidCriteria
from core.matching import (
    KeywordQuery,
    category_ok,
    condition_ok,
    excluded,
    fresh_enough,
    is_price_drop,
    keywords_match,
    matches,
    normalise,
    parse_keywords,
    price_in_range,
)
from core.ports import ListingData

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PROPERTY = settings(max_examples=200, deadline=None)


def listing(title: str = "Sony PS5 console", **changes: Any) -> ListingData:
    fields: dict[str, Any] = {
        "marketplace": "sandbox",
        "external_id": "1",
        "url": "https://example.test/1",
        "title": title,
        "price": Decimal("100"),
    }
    fields.update(changes)
    return ListingData(**fields)


def criteria(keywords: str = "ps5", **changes: Any) -> Criteria:
    return Criteria(keywords=keywords, **changes)


def title_matches(keywords: str, title: str, description: str = "", **changes: Any) -> bool:
    return matches(criteria(keywords, **changes), listing(title, description=description), NOW)


# --- normalise -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("iPhone-13", ("iphone", "13")),
        ("Café", ("cafe",)),
        ("CAFÉ crème", ("cafe", "creme")),
        ("cafe\u0301", ("cafe",)),  # decomposed accent
        ("Straße", ("strasse",)),
        ("£250 (ono)!", ("250", "ono")),
        ("snake_case/slash", ("snake", "case", "slash")),
        ("", ()),
        ("  --  ", ()),
        ("Ｐｓ５", ("ps5",)),  # full-width compatibility characters
    ],
)
def test_normalise(text: str, tokens: tuple[str, ...]) -> None:
    assert normalise(text) == tokens


@PROPERTY
@given(st.text())
def test_normalise_is_idempotent(text: str) -> None:
    tokens = normalise(text)
    assert normalise(" ".join(tokens)) == tokens
    assert all(token and token.isalnum() for token in tokens)


# --- parse_keywords ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "groups"),
    [
        ("ps5 controller", ((("ps5",),), (("controller",),))),
        ('"series x"', ((("series", "x"),),)),
        ("a OR b c", ((("a",), ("b",)), (("c",),))),
        ("a | b c", ((("a",), ("b",)), (("c",),))),
        ("a|b", ((("a",), ("b",)),)),
        ("a OR b OR c", ((("a",), ("b",), ("c",)),)),
        ('"series x" OR ps5 controller', ((("series", "x"), ("ps5",)), (("controller",),))),
        ('ps5 OR xbox "series x"', ((("ps5",), ("xbox",)), (("series", "x"),))),
        ("a or b", ((("a",),), (("or",),), (("b",),))),  # lowercase "or" is a word
        ('lego "star wars', ((("lego",),), (("star", "wars"),))),  # unbalanced quote
        ("iPhone-13", ((("iphone", "13"),),)),  # punctuated word: a phrase
        ("OR a OR", ((("a",),),)),  # dangling operators are ignored
        ("a a OR a", ((("a",),),)),  # duplicates collapse
        ("Café", ((("cafe",),),)),
    ],
)
def test_parse_keywords(expression: str, groups: tuple[Any, ...]) -> None:
    assert parse_keywords(expression).groups == groups


@pytest.mark.parametrize("expression", ["", "   ", "!!!", "OR", "|", '""', "- | OR"])
def test_parse_keywords_rejects_expressions_without_words(expression: str) -> None:
    with pytest.raises(InvalidCriteria, match="no word"):
        parse_keywords(expression)


def test_parse_keywords_is_cached() -> None:
    assert parse_keywords("cached thing") is parse_keywords("cached thing")


def test_to_expression() -> None:
    query = parse_keywords('"Series X" | PS5 controller')
    assert query.to_expression() == '"series x" OR ps5 controller'
    assert parse_keywords(query.to_expression()) == query


def test_keyword_query_satisfied_by() -> None:
    query = KeywordQuery(groups=((("series", "x"), ("ps5",)), (("pad",),)))
    assert query.satisfied_by("Xbox SERIES-X pad")
    assert not query.satisfied_by("Xbox series pad x")


# --- keywords ------------------------------------------------------------------------------


def test_all_words_required_in_any_order() -> None:
    assert title_matches("ps5 controller", "Controller for the PS5")
    assert not title_matches("ps5 controller", "PS5 console")


def test_keywords_also_searched_in_description() -> None:
    assert title_matches("ps5 controller", "Controller", description="Works with PS5")


def test_quoted_phrase_needs_adjacent_words_in_order() -> None:
    assert title_matches('"series x"', "Xbox Series X 1TB")
    assert not title_matches('"series x"', "Series 2 controller, x-box")
    assert not title_matches('"series x"', "X series")
    assert title_matches("series x", "X series")  # unquoted: separate words


def test_phrase_does_not_span_title_and_description_gap_words() -> None:
    assert not title_matches('"series x"', "Series", description="mint X")
    assert title_matches('"series x"', "Xbox Series", description="X, boxed")


@pytest.mark.parametrize("expression", ["ps5 OR xbox", "ps5|xbox", "ps5 | xbox"])
def test_or_accepts_either(expression: str) -> None:
    assert title_matches(expression, "PS5 slim")
    assert title_matches(expression, "Xbox one")
    assert not title_matches(expression, "Nintendo Switch")


def test_or_binds_only_neighbouring_terms() -> None:
    assert title_matches('"series x" OR ps5 controller', "Series X controller")
    assert title_matches('"series x" OR ps5 controller', "PS5 controller")
    assert not title_matches('"series x" OR ps5 controller', "PS5 console")


def test_accents_and_case_are_ignored() -> None:
    assert title_matches("café", "Cafe racer")
    assert title_matches("Cafe", "CAFÉ racer")
    assert title_matches('"crème brûlée"', "Creme Brulee torch")


def test_whole_words_only() -> None:
    assert not title_matches("phone", "iPhone 13")
    assert not title_matches("ps", "PS5")
    assert title_matches("iphone 13", "iPhone-13 Pro")
    assert title_matches("13", "iPhone-13 Pro")


def test_keywords_match_predicate() -> None:
    assert keywords_match(criteria("ps5"), listing("PS5"))
    assert not keywords_match(criteria("ps5"), listing("PS4"))


def test_unusable_keywords_raise() -> None:
    with pytest.raises(InvalidCriteria):
        matches(criteria("!!!"), listing(), NOW)


# --- exclude -------------------------------------------------------------------------------


def test_excluded_word() -> None:
    assert not title_matches("ps5", "PS5 box only", exclude=("box",))
    assert title_matches("ps5", "PS5 boxed", exclude=("box",))  # whole words
    assert not title_matches("ps5", "PS5", description="BOX ONLY", exclude=("box",))


def test_excluded_phrase() -> None:
    assert not title_matches("ps5", "PS5 for parts, not working", exclude=("not working",))
    assert title_matches("ps5", "PS5 working, not boxed", exclude=("not working",))
    assert not title_matches("ps5", "PS5 Faulty", exclude=("spares", "faulty"))


def test_excluded_ignores_accents_and_empty_entries() -> None:
    assert excluded(criteria(exclude=("réplica",)), listing("PS5 REPLICA"))
    assert not excluded(criteria(exclude=("!!", "")), listing("PS5 !!"))
    assert not excluded(criteria(), listing("PS5"))


# --- price ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "ok"),
    [("49.99", False), ("50", True), ("75", True), ("100.00", True), ("100.01", False)],
)
def test_price_bounds_are_inclusive(price: str, ok: bool) -> None:
    wanted = criteria(min_price=Decimal("50"), max_price=Decimal("100"))
    assert price_in_range(wanted, listing(price=Decimal(price))) is ok


def test_single_bounds() -> None:
    assert price_in_range(criteria(min_price=Decimal(10)), listing(price=Decimal(1000)))
    assert not price_in_range(criteria(min_price=Decimal(10)), listing(price=Decimal(9)))
    assert price_in_range(criteria(max_price=Decimal(10)), listing(price=Decimal(0)))
    assert not price_in_range(criteria(max_price=Decimal(10)), listing(price=Decimal(11)))


def test_unknown_price_only_fails_when_bounded() -> None:
    assert price_in_range(criteria(), listing(price=None))
    assert not price_in_range(criteria(max_price=Decimal(10)), listing(price=None))
    assert not price_in_range(criteria(max_price=Decimal(10)), listing(price=Decimal("NaN")))


def test_another_currency_is_converted_or_passes_unconverted() -> None:
    bounded = criteria(max_price=Decimal(100), currency="GBP")
    rates = Rates(date(2026, 11, 27), {"USD": Decimal("1.05"), "GBP": Decimal("0.84")})
    assert price_in_range(bounded, listing(price=Decimal(50), currency="USD"), rates)
    assert not price_in_range(bounded, listing(price=Decimal(500), currency="USD"), rates)
    # No rates ever fetched, or a currency the ECB does not publish: passes unconverted.
    assert price_in_range(bounded, listing(price=Decimal(500), currency="USD"))
    assert price_in_range(bounded, listing(price=Decimal(500), currency="ARS"), rates)
    assert price_in_range(bounded, listing(price=Decimal(50), currency="gbp"))
    assert not price_in_range(bounded, listing(price=Decimal(150), currency="gbp"), rates)
    assert price_in_range(criteria(currency="GBP"), listing(currency="USD"))  # unbounded


# --- condition, category, age ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "actual", "ok"),
    [
        (Condition.ANY, Condition.NEW, True),
        (Condition.ANY, Condition.USED, True),
        (Condition.NEW, Condition.NEW, True),
        (Condition.NEW, Condition.USED, False),
        (Condition.USED, Condition.NEW, False),
        (Condition.USED, Condition.ANY, True),  # unknown condition is accepted
        (Condition.NEW, Condition.ANY, True),
    ],
)
def test_condition(wanted: Condition, actual: Condition, ok: bool) -> None:
    assert condition_ok(criteria(condition=wanted), listing(condition=actual)) is ok


@pytest.mark.parametrize(
    ("wanted", "actual", "ok"),
    [
        ("", "Electronics", True),
        ("Electronics", "", True),
        ("electronics", " ELECTRONICS ", True),
        ("electronics", "Furniture", False),
    ],
)
def test_category(wanted: str, actual: str, ok: bool) -> None:
    assert category_ok(criteria(category=wanted), listing(category=actual)) is ok


@pytest.mark.parametrize(
    ("age", "ok"),
    [
        (timedelta(hours=23, minutes=59), True),
        (timedelta(hours=24), True),
        (timedelta(hours=24, seconds=1), False),
        (timedelta(hours=-1), True),  # clock skew: posted "in the future"
    ],
)
def test_max_age(age: timedelta, ok: bool) -> None:
    wanted = criteria(max_age_hours=24)
    assert fresh_enough(wanted, listing(posted_at=NOW - age), NOW) is ok


def test_age_unknown_or_unbounded_passes() -> None:
    assert fresh_enough(criteria(max_age_hours=1), listing(posted_at=None), NOW)
    old = listing(posted_at=NOW - timedelta(days=365))
    assert fresh_enough(criteria(), old, NOW)


def test_naive_posted_at_is_taken_as_utc() -> None:
    posted = (NOW - timedelta(hours=2)).replace(tzinfo=None)
    assert fresh_enough(criteria(max_age_hours=3), listing(posted_at=posted), NOW)
    assert not fresh_enough(criteria(max_age_hours=1), listing(posted_at=posted), NOW)


def test_location_is_not_checked_locally() -> None:
    far = listing("PS5", location="Aberdeen")
    assert matches(criteria(location="Brighton", radius_miles=5), far, NOW)


def test_matches_combines_every_rule() -> None:
    wanted = criteria(
        'ps5 "disc edition"',
        exclude=("faulty",),
        min_price=Decimal(200),
        max_price=Decimal(400),
        condition=Condition.USED,
        category="consoles",
        max_age_hours=48,
    )
    good = listing(
        "PS5 Disc Edition",
        price=Decimal(350),
        condition=Condition.USED,
        category="Consoles",
        posted_at=NOW - timedelta(hours=3),
    )
    assert matches(wanted, good, NOW)
    for change in (
        {"title": "PS5 Digital Edition"},
        {"description": "faulty"},
        {"price": Decimal(450)},
        {"price": Decimal(600), "currency": "EUR"},  # £504 at 0.84 per euro
        {"condition": Condition.NEW},
        {"category": "games"},
        {"posted_at": NOW - timedelta(hours=49)},
    ):
        rates = Rates(date(2026, 11, 27), {"GBP": Decimal("0.84")})
        assert not matches(wanted, replace(good, **change), NOW, rates), change


# --- is_price_drop -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "drop"),
    [
        (Decimal(100), Decimal(90), True),
        (Decimal(100), Decimal(100), False),
        (Decimal(100), Decimal(110), False),
        (None, Decimal(90), False),
        (Decimal(100), None, False),
        (None, None, False),
        (Decimal("NaN"), Decimal(1), False),
    ],
)
def test_is_price_drop(old: Decimal | None, new: Decimal | None, drop: bool) -> None:
    assert is_price_drop(old, new) is drop


# --- properties ----------------------------------------------------------------------------

WORDS = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True).filter(lambda word: word != "or")
TITLES = st.lists(st.sampled_from(["ps5", "xbox", "series", "x", "pad", "box", "cafe"]), max_size=8)
EXPRESSION_TERMS = st.lists(
    st.one_of(
        st.sampled_from(["ps5", "xbox", "series", "x", "pad", "box", "cafe", "OR", "|"]),
        st.sampled_from(['"series x"', '"x box"', '"ps5 pad"', "x-box", "Café"]),
    ),
    min_size=1,
    max_size=6,
)
ACCENTED = {"a": "à", "e": "é", "i": "î", "o": "ö", "u": "ü", "c": "ç", "n": "ñ"}


def expression_of(terms: list[str]) -> str:
    expression = " ".join(terms)
    assume(normalise(expression.replace("OR", "")))  # at least one usable word
    return expression


@PROPERTY
@given(
    keywords=st.lists(WORDS, min_size=1, max_size=4),
    filler=st.lists(WORDS, max_size=6),
    data=st.data(),
)
def test_keywords_in_any_order_with_filler_always_match(
    keywords: list[str], filler: list[str], data: st.DataObject
) -> None:
    words = data.draw(st.permutations(keywords + filler))
    split = data.draw(st.integers(0, len(words)))
    title, description = " ".join(words[:split]), ", ".join(words[split:])
    assert title_matches(" ".join(keywords), title.upper(), description)


@PROPERTY
@given(terms=EXPRESSION_TERMS, title=TITLES, extra=st.sampled_from(["ps5", "x", "box", "pad"]))
def test_adding_an_exclusion_never_turns_a_non_match_into_a_match(
    terms: list[str], title: list[str], extra: str
) -> None:
    expression = expression_of(terms)
    text = " ".join(title)
    before = criteria(expression, exclude=("pad",))
    after = before.with_changes(exclude=(*before.exclude, extra))
    if matches(after, listing(text), NOW):
        assert matches(before, listing(text), NOW)
    if extra in title:
        assert not matches(after, listing(text), NOW)


def decorate(text: str, flips: list[bool]) -> str:
    """Change case and add accents, letter by letter, as chosen by ``flips``."""
    out = []
    for char, flip in zip(text, flips + [False] * len(text), strict=False):
        out.append(ACCENTED.get(char, char).upper() if flip else char)
    return "".join(out)


@PROPERTY
@given(terms=EXPRESSION_TERMS, title=TITLES, flips=st.lists(st.booleans(), max_size=60))
def test_case_and_accents_never_change_the_result(
    terms: list[str], title: list[str], flips: list[bool]
) -> None:
    expression = expression_of(terms)
    text = " ".join(title)
    plain = title_matches(expression, text)
    assert title_matches(expression, decorate(text, flips)) is plain
    decomposed = unicodedata.normalize("NFD", decorate(text, flips[::-1]))
    assert title_matches(expression, decomposed) is plain


PRICES = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False)


@PROPERTY
@given(low=PRICES, high=PRICES, price=PRICES)
def test_prices_outside_the_range_never_match(low: Decimal, high: Decimal, price: Decimal) -> None:
    low, high = min(low, high), max(low, high)
    wanted = criteria(min_price=low, max_price=high)
    result = matches(wanted, listing("PS5", price=price), NOW)
    assert result is (low <= price <= high)


def contains_phrase(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    width = len(phrase)
    return any(tokens[i : i + width] == phrase for i in range(len(tokens) - width + 1))


@PROPERTY
@given(terms=EXPRESSION_TERMS, title=TITLES)
def test_matching_agrees_with_a_reference_implementation(
    terms: list[str], title: list[str]
) -> None:
    expression = expression_of(terms)
    tokens = normalise(" ".join(title))
    expected = all(
        any(contains_phrase(tokens, phrase) for phrase in group)
        for group in parse_keywords(expression).groups
    )
    assert title_matches(expression, " ".join(title)) is expected


@PROPERTY
@given(terms=EXPRESSION_TERMS, title=TITLES)
def test_matching_is_deterministic(terms: list[str], title: list[str]) -> None:
    expression = expression_of(terms)
    uncached = parse_keywords.__wrapped__(expression)
    assert uncached == parse_keywords(expression)
    assert parse_keywords(uncached.to_expression()) == uncached
    results = {title_matches(expression, " ".join(title)) for _ in range(3)}
    assert len(results) == 1
