"""/adopt's words, the same on every platform: the rule is core.adoption's (issue 12)."""

from __future__ import annotations

from bot.conversation.replies import Reply, say
from core.adoption import Adopted

NOT_SHARED = "/adopt is for shared chats: send it where the searches to take over post."
ADMINS_ONLY = "Only the admins here can adopt these searches."
NOTHING = "Nothing to adopt: whoever set up the searches here still manages them."


def adopted_reply(done: Adopted | None) -> Reply:
    if done is None:
        return say(NOTHING)
    text = f"✅ You took over {len(done.resumed) + len(done.still_paused)} search(es) here"
    text += f"; {len(done.resumed)} running under your plan."
    if done.still_paused:
        names = ", ".join(s.name for s in done.still_paused)
        text += f" Still paused (over your plan, or paused before): {names}. See /plan."
    return say(text)
