"""Ids and small counts typed by people or carried in links, parsed in one place.

``str.isdigit()`` accepts "²" and "١" that ``int()`` rejects or reads differently, and a
typed id can exceed the database's integer column: both used to end in exceptions. Every
id, page number or count that comes from outside goes through here.
"""

from __future__ import annotations

import re

# Postgres `integer` (int4) is the narrowest id column we have; SQLite's is wider.
DB_INT_MAX = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(text: str, *, minimum: int = 0, maximum: int = DB_INT_MAX) -> int | None:
    """``text`` as an int within [minimum, maximum], or None: ASCII digits only, no sign."""
    candidate = text.strip()
    if not _ASCII_DIGITS.fullmatch(candidate):
        return None
    value = int(candidate)
    return value if minimum <= value <= maximum else None


def parse_id(text: str) -> int | None:
    """A database id (1 … the int4 maximum) typed or carried as text, or None."""
    return parse_int(text, minimum=1)
