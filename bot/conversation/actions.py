"""What a button does, as data: a kind and the ids it acts on, never text to re-parse.

``Action.encode`` gives the compact ``<namespace>:<id>:<verb>`` form (at most 64 bytes, so
it fits Telegram's callback data, and Discord's 100-byte custom_id); ``decode`` is its one
parser. Ids in a pressed action are claims: whoever routes it checks them against the
presser's rights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from core.numbers import parse_int

MAX_BYTES = 64


class Act(Enum):
    """Each kind of button, with its namespace and verb in the encoded form."""

    SEARCHES = ("s", "l")  # the list of searches
    OPEN_SEARCH = ("s", "o")
    PAUSE = ("s", "p")
    RESUME = ("s", "r")
    EDIT = ("s", "e")
    DELETE = ("s", "d")  # asks first
    DELETE_YES = ("s", "y")
    SAVED_PAGE = ("v", "p")
    TEMPLATES = ("t", "h")  # the categories
    TEMPLATE_CATEGORY = ("t", "c")
    USE_TEMPLATE = ("t", "u")
    SAVE = ("a", "s")  # an alert's listing: save, unsave, hide, unhide
    UNSAVE = ("a", "u")
    HIDE = ("a", "h")
    UNHIDE = ("a", "n")
    # --- resellers (issue 14): blocked sellers ---
    BLOCK_SELLER = ("a", "b")  # an alert's listing: block its seller (the id is the match)
    BLOCKED = ("k", "l")  # the /blocked list
    UNBLOCK_SELLER = ("k", "u")  # undo one block (the id is the block)


_BY_CODE = {kind.value: kind for kind in Act}
_PATTERN = re.compile(r"(?P<ns>[akstv]):(?P<id>[0-9]{1,16}):(?P<verb>[a-z])")


@dataclass(frozen=True, slots=True)
class Action:
    act: Act
    id: int = 0  # the search, match or template id, the page, or the category's index

    def encode(self) -> str:
        namespace, verb = self.act.value
        data = f"{namespace}:{self.id}:{verb}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"action over {MAX_BYTES} bytes: {data!r}")
        return data


def decode(data: str | None) -> Action | None:
    """The action ``data`` stands for, or None when it is not one (forged, too old)."""
    found = _PATTERN.fullmatch(data or "")
    if found is None:
        return None
    act = _BY_CODE.get((found.group("ns"), found.group("verb")))
    number = parse_int(found.group("id"))  # also refuses ids beyond the database's range
    if act is None or number is None:
        return None
    return Action(act, number)
