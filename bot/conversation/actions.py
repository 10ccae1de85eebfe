"""What a button does, as data: a kind and the ids it acts on, never text to re-parse.

``Action.encode`` gives the compact ``<namespace>:<id>:<verb>`` form, or
``<namespace>:<id>:<verb>:<ref>`` when the action answers one question (``ref`` names the
question, so a press on a stale menu is refused instead of answering the next one). It is at
most 64 bytes, so it fits Telegram's callback data and Discord's 100-character custom_id;
``decode`` is its one parser. Ids in a pressed action are claims: whoever routes it checks
them against the presser's rights.

A new kind of button is a new ``Act`` member (a namespace letter and a verb letter, unique
together) plus its handler, registered with ``bot.conversation.registry.on_action``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from core.numbers import parse_int

MAX_BYTES = 64
REF_CHARS = 8  # a question's reference: up to 8 of [0-9a-z]


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

    # --- billing (issue 11: paid plans): namespace "b" -----------------------------------
    PLAN = ("b", "p")  # the /plan screen
    UPGRADE = ("b", "u")  # the plans side by side
    CHOOSE_PLAN = ("b", "c")  # id: the tier's index in core.tiers.TIER_ORDER
    BILLING_PORTAL = ("b", "m")  # a Customer Portal link (card, invoices, plan, cancel)
    RESUME_PLAN_PAUSED = ("b", "r")  # resume the searches a downgrade paused

    # --- screens: one tap runs a command (bot.conversation.registry.COMMAND_ACTS) ----------
    START = ("c", "s")  # the start screen
    HELP = ("c", "h")
    NEW_SEARCH = ("c", "n")
    SETTINGS = ("c", "g")
    STATS = ("c", "t")
    # --- the question pending in the conversation (its ``ref`` names which one) -------------
    CHOOSE = ("q", "c")  # id: the option's index in the question
    CHOICES_DONE = ("q", "d")  # a multi-select question: submit what is ticked

    # --- is it a deal? (issue 16) ----------------------------------------------------------
    NOT_A_DEAL = ("a", "d")  # a verdict alert's listing: the user disagrees (id: the match)


_BY_CODE = {kind.value: kind for kind in Act}
# The kinds that answer a question carry its reference; no other kind may.
QUESTION_ACTS = frozenset({Act.CHOOSE, Act.CHOICES_DONE})
_PATTERN = re.compile(
    r"(?P<ns>[a-z]):(?P<id>[0-9]{1,19}):(?P<verb>[a-z])"
    rf"(?::(?P<ref>[0-9a-z]{{1,{REF_CHARS}}}))?"
)


@dataclass(frozen=True, slots=True)
class Action:
    act: Act
    id: int = 0  # the search, match or template id, the page, a category's or option's index
    ref: str = ""  # the question a CHOOSE / CHOICES_DONE answers ('' for everything else)

    def encode(self) -> str:
        namespace, verb = self.act.value
        data = f"{namespace}:{self.id}:{verb}" + (f":{self.ref}" if self.ref else "")
        if (
            len(data.encode()) > MAX_BYTES
            or not _PATTERN.fullmatch(data)
            or bool(self.ref) != (self.act in QUESTION_ACTS)
        ):
            raise ValueError(f"not an encodable action (at most {MAX_BYTES} bytes): {data!r}")
        return data


def decode(data: str | None) -> Action | None:
    """The action ``data`` stands for, or None when it is not one (forged, too old)."""
    found = _PATTERN.fullmatch(data or "")
    if found is None:
        return None
    act = _BY_CODE.get((found.group("ns"), found.group("verb")))
    number = parse_int(found.group("id"))  # also refuses ids beyond the database's range
    ref = found.group("ref") or ""
    if act is None or number is None or bool(ref) != (act in QUESTION_ACTS):
        return None
    return Action(act, number, ref)
