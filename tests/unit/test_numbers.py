"""Ids and counts from outside: ASCII digits only, within the database's integer range."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.numbers import DB_INT_MAX, parse_id, parse_int


def test_plain_ids_parse() -> None:
    assert parse_id("42") == 42
    assert parse_id(" 7 ") == 7
    assert parse_id(str(DB_INT_MAX)) == DB_INT_MAX


def test_digits_that_are_not_ascii_are_refused() -> None:
    # str.isdigit() says True for these; int() rejects or reinterprets them.
    for text in ("²", "١٢", "٣", "𝟕", "①"):
        assert parse_id(text) is None


def test_out_of_range_and_signed_values_are_refused() -> None:
    for text in ("0", "-1", "+1", str(DB_INT_MAX + 1), "07911123456", "9" * 30, "1e3", ""):
        assert parse_id(text) is None
    assert parse_int("0") == 0
    assert parse_int("12", maximum=10) is None


@given(st.text())
def test_any_text_gives_an_int_in_range_or_none(text: str) -> None:
    value = parse_id(text)
    assert value is None or 1 <= value <= DB_INT_MAX
