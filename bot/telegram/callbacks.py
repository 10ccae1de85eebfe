"""Callback data of inline buttons: namespaced, short, parsed in this one place.

Every button carries ``<namespace>:<id>:<action>`` (Telegram allows 64 bytes):

- ``m:<token>:<n|ok>``  the n-th choice of the conversation menu ``token`` (or Done)
- ``a:<match>:<s|u|h|n|b>``  an alert's listing: save, unsave, hide, unhide, block its seller
- ``k:<block>:<l|u>``  blocked sellers: the list, unblock one
- ``s:<search>:<l|o|p|r|e|d|y>``  searches: list, open, pause, resume, edit, delete, yes-delete
- ``v:<page>:p``  a page of saved listings
- ``t:<n>:<h|c|u>``  templates: categories, category n, use template n

The ``a``, ``k``, ``s``, ``v`` and ``t`` namespaces are the platform-neutral actions of
bot.conversation.actions (its ``decode`` is their parser, used here); only ``m`` (a
conversation menu's choice) is Telegram's own.

Ids in callback data are claims, not facts: handlers check each against the presser's rights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from bot.conversation import actions
from core.numbers import parse_int

MAX_BYTES = 64
_PATTERN = re.compile(r"(?P<ns>[makstv]):(?P<id>[0-9a-f]{1,16}):(?P<action>[a-z0-9]{1,3})")


class Namespace(StrEnum):
    MENU = "m"
    ALERT = "a"
    SEARCH = "s"
    SAVED = "v"
    TEMPLATE = "t"
    BLOCKED = "k"  # resellers (issue 14)


@dataclass(frozen=True, slots=True)
class Callback:
    namespace: Namespace
    target: str  # the menu token, or a decimal id
    action: str

    @property
    def number(self) -> int:
        """The id or index carried; ``parse`` let through only ASCII digits in the id range."""
        return int(self.target)

    def encode(self) -> str:
        data = f"{self.namespace.value}:{self.target}:{self.action}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data


def parse(data: str | None) -> Callback | None:
    """The callback a button carries, or None when it is not one of ours (forged, old)."""
    found = _PATTERN.fullmatch(data or "")
    if found is None:
        return None
    ns, target, action = found.group("ns", "id", "action")
    if ns != Namespace.MENU.value:
        if actions.decode(data) is None:
            return None  # an unknown verb, or a number beyond the database's id range
    elif not (action == "ok" or parse_int(action) is not None):
        return None
    return Callback(Namespace(ns), target, action)


def menu(token: str, action: str) -> str:
    return Callback(Namespace.MENU, token, action).encode()


def alert(match_id: int, action: str) -> str:
    return Callback(Namespace.ALERT, str(match_id), action).encode()


def search(search_id: int, action: str) -> str:
    return Callback(Namespace.SEARCH, str(search_id), action).encode()


def saved(page: int) -> str:
    return Callback(Namespace.SAVED, str(page), "p").encode()


def template(number: int, action: str) -> str:
    return Callback(Namespace.TEMPLATE, str(number), action).encode()
