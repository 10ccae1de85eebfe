"""A Craigslist card's ``.meta`` line: age (resolved against the fetch time) and place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scrapers.craigslist.meta import CardMeta, parse_meta

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 mins ago·Peabody", CardMeta(datetime(2026, 11, 30, 9, 48, tzinfo=UTC), "Peabody")),
        (" 5h ago · LA ", CardMeta(datetime(2026, 11, 30, 5, 0, tzinfo=UTC), "LA")),
        (
            "<1hr ago·mission district",
            CardMeta(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "mission district"),
        ),
        ("3 days ago", CardMeta(datetime(2026, 11, 27, 10, 0, tzinfo=UTC), "")),
        ("11/28·Lynn", CardMeta(datetime(2026, 11, 28, tzinfo=UTC), "Lynn")),
        ("12/24·Salem", CardMeta(datetime(2025, 12, 24, tzinfo=UTC), "Salem")),  # last year's
        (
            "2 mins ago·1.2mi·Peabody",
            CardMeta(datetime(2026, 11, 30, 9, 58, tzinfo=UTC), "Peabody"),
        ),
        ("Peabody", CardMeta(None, "Peabody")),
        ("", CardMeta(None, "")),
        ("2/30·Nowhere", CardMeta(None, "Nowhere")),
    ],
)
def test_meta_lines(text: str, expected: CardMeta) -> None:
    assert parse_meta(text, NOW) == expected
