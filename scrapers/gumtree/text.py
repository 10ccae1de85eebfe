"""When a Gumtree tile says a listing was posted: "2 mins ago", "1 hour ago", "Yesterday"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from scrapers.common import clean_text

__all__ = ["parse_age"]

_AGE = re.compile(
    r"(?P<n>\d+|an?|one)\s*(?P<unit>sec|second|min|minute|hour|hr|day|week|wk|month)s?\b",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "hr": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "wk": 7 * 86400,
    "month": 30 * 86400,
}


def parse_age(text: str | None, now: datetime) -> datetime | None:
    """The posting time a relative age stands for; None when the text is not one."""
    value = clean_text(text).lower()
    if not value:
        return None
    if "just now" in value or value in {"now", "today"}:
        return now
    if "yesterday" in value:
        return now - timedelta(days=1)
    match = _AGE.search(value)
    if match is None:
        return None
    count = 1 if match["n"] in {"a", "an", "one"} else int(match["n"])
    return now - timedelta(seconds=count * _UNIT_SECONDS[match["unit"].lower()])
