"""A script-drawn Craigslist result card's ``.meta`` line: when it was posted, and where.

The line is text parts between ``<span class="separator">·</span>``: first the age
("12 mins ago", "5h ago", "3 days ago") or, for older postings, the month and day ("11/28");
then the place ("Peabody"). Ages are resolved against the fetch time, so a card read at
10:00 that says "12 mins ago" was posted at 09:48 (to the minute the page shows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["CardMeta", "parse_meta"]

SEPARATOR = "·"
_AGE = re.compile(
    r"^(?:<\s*)?(\d+)\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)\s+ago$",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class CardMeta:
    posted_at: datetime | None
    place: str


def parse_meta(text: str, now: datetime) -> CardMeta:
    """``CardMeta`` of a ``.meta`` line's text (``"12 mins ago·Peabody"``)."""
    parts = [" ".join(p.split()) for p in text.split(SEPARATOR)]
    parts = [p for p in parts if p]
    if not parts:
        return CardMeta(None, "")
    posted = posted_at(parts[0], now)
    rest = parts[1:] if posted is not None or _looks_like_time(parts[0]) else parts
    return CardMeta(posted, rest[-1] if rest else "")


def posted_at(text: str, now: datetime) -> datetime | None:
    """'12 mins ago' → now − 12 min; '11/28' → the latest 28 Nov not after now; else None."""
    text = text.strip()
    if text.lower() in {"just now", "now"}:
        return now.astimezone(UTC)
    age = _AGE.match(text)
    if age is not None:
        unit = _UNIT_SECONDS[age.group(2)[0].lower()]
        return (now - timedelta(seconds=int(age.group(1)) * unit)).astimezone(UTC)
    day = _MONTH_DAY.match(text)
    if day is not None:
        return _month_day(int(day.group(1)), int(day.group(2)), now)
    return None


def _month_day(month: int, day: int, now: datetime) -> datetime | None:
    for year in (now.year, now.year - 1):
        try:
            moment = datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            return None
        if moment <= now:
            return moment
    return None


def _looks_like_time(text: str) -> bool:
    return text.lower().endswith(" ago") or bool(_MONTH_DAY.match(text))
