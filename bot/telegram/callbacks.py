"""Callback data of inline buttons: an encoded ``Action``, parsed in this one place.

Every button carries ``<namespace>:<id>:<verb>`` (Telegram allows 64 bytes), and a question's
option also ``:<ref>``, the question it belongs to:

- ``a:<match>:<s|u|h|n|b>``  an alert's listing: save, unsave, hide, unhide, block its seller
- ``k:<block>:<l|u>``  blocked sellers: the list, unblock one
- ``s:<search>:<l|o|p|r|e|d|y>``  searches: list, open, pause, resume, edit, delete, yes-delete
- ``v:<page>:p``  a page of saved listings
- ``t:<n>:<h|c|u>``  templates: categories, category n, use template n
- ``c:0:<s|h|n|g|t>``  run a command: start, help, new search, settings, stats
- ``q:<n>:c:<ref>``  the n-th option of question ``ref``; ``q:0:d:<ref>`` its Done

(and whatever other kinds bot.conversation.actions.Act gains). All are the platform-neutral
actions of bot.conversation.actions: its ``encode`` writes them and its ``decode`` is their
parser. Ids in callback data are claims, not facts: each is checked against the presser's
rights, and a question's ``ref`` against the question open in the conversation.
"""

from __future__ import annotations

from bot.conversation.actions import MAX_BYTES, Action, decode

__all__ = ["MAX_BYTES", "parse"]


def parse(data: str | None) -> Action | None:
    """The action a button carries, or None when it is not one of ours (forged, old)."""
    return decode(data)
