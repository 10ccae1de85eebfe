"""Wizard answers: what is accepted, and bad input re-asked with words that say what works."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.conversation.answers import (
    PRICE_HELP,
    BadAnswer,
    parse_exclude,
    parse_keyword_answer,
    parse_location,
    parse_name,
    parse_price,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150", (None, Decimal("150.00"))),
        ("£150", (None, Decimal("150.00"))),
        ("100-250", (Decimal("100.00"), Decimal("250.00"))),
        ("100 to 250", (Decimal("100.00"), Decimal("250.00"))),
        ("100+", (Decimal("100.00"), None)),
        ("1.5k", (None, Decimal("1500.00"))),
        ("any", (None, None)),
    ],
)
def test_prices_that_are_accepted(text: str, expected: tuple[object, object]) -> None:
    assert parse_price(text) == expected


@pytest.mark.parametrize("text", ["cheap", "12abc", "-5", "250-100", "1e9", "NaN", "£-", "", "   "])
def test_bad_prices_explain_the_format(text: str) -> None:
    with pytest.raises(BadAnswer) as caught:
        parse_price(text)
    assert "like 150" in str(caught.value) and "100-250" in str(caught.value)


def test_price_help_names_the_forms() -> None:
    assert PRICE_HELP.startswith("Price must be a number like 150")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Leeds 10", ("Leeds", 10)),
        ("Leeds, 10 miles", ("Leeds", 10)),
        ("Milton Keynes", ("Milton Keynes", None)),
        ("M1 1AE", ("M1 1AE", None)),
        ("anywhere", ("", None)),
    ],
)
def test_locations(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_location(text) == expected


@pytest.mark.parametrize("text", ["Leeds 0", "Leeds 9999", "12345"])
def test_bad_locations(text: str) -> None:
    with pytest.raises(BadAnswer, match=r"miles|town or postcode"):
        parse_location(text)


def test_names_are_trimmed_and_bounded() -> None:
    assert parse_name("  Cheap   PS5 ") == "Cheap PS5"
    with pytest.raises(BadAnswer):
        parse_name("   ")
    with pytest.raises(BadAnswer, match="too long"):
        parse_name("x" * 81)


def test_keywords_need_a_usable_word() -> None:
    assert parse_keyword_answer(' ps5  OR xbox "series x" ') == 'ps5 OR xbox "series x"'
    with pytest.raises(BadAnswer, match="For example"):
        parse_keyword_answer('"" OR !!!')


def test_exclusions() -> None:
    assert parse_exclude("broken, faulty ,spares") == ("broken", "faulty", "spares")
    assert parse_exclude("none") == ()
