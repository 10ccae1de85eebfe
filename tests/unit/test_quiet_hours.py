"""Quiet hours: which instants fall in the window, and when it ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.quiet_hours import quiet_until

NIGHT = (22 * 60, 7 * 60)  # 22:00–07:00, across midnight
LUNCH = (12 * 60, 13 * 60 + 30)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "window", "expected"),
    [
        ("2026-01-05 23:30", NIGHT, "2026-01-06 07:00"),
        ("2026-01-06 03:00", NIGHT, "2026-01-06 07:00"),
        ("2026-01-05 22:00", NIGHT, "2026-01-06 07:00"),
        ("2026-01-06 07:00", NIGHT, None),
        ("2026-01-05 21:59", NIGHT, None),
        ("2026-01-05 12:10", LUNCH, "2026-01-05 13:30"),
        ("2026-01-05 13:30", LUNCH, None),
        ("2026-01-05 11:00", LUNCH, None),
    ],
)
def test_the_window_in_utc(now: str, window: tuple[int, int], expected: str | None) -> None:
    result = quiet_until(at(now), "UTC", *window)
    assert result == (at(expected) if expected else None)


def test_the_window_is_in_the_accounts_own_time_zone() -> None:
    # 06:30 UTC on a July morning is 08:30 in Berlin: past a 22:00–07:00 night there.
    assert quiet_until(at("2026-07-01 06:30"), "Europe/Berlin", *NIGHT) is None
    # 21:30 UTC is 23:30 in Berlin: quiet until 07:00 Berlin = 05:00 UTC.
    assert quiet_until(at("2026-07-01 21:30"), "Europe/Berlin", *NIGHT) == at("2026-07-02 05:00")


def test_a_night_that_crosses_a_clock_change() -> None:
    # London springs forward on 29 March 2026: 07:00 local is then 06:00 UTC.
    assert quiet_until(at("2026-03-28 23:00"), "Europe/London", *NIGHT) == at("2026-03-29 06:00")


@pytest.mark.parametrize("window", [(None, None), (None, 420), (600, 600)])
def test_no_quiet_hours(window: tuple[int | None, int | None]) -> None:
    assert quiet_until(at("2026-01-05 23:30"), "UTC", *window) is None


def test_an_unknown_time_zone_counts_as_utc() -> None:
    assert quiet_until(at("2026-01-05 23:30"), "Mars/Olympus", *NIGHT) == at("2026-01-06 07:00")
