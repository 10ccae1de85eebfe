"""/adopt (issue 12): an admin of a shared chat takes over the searches there whose creator
no longer manages it (left, lost the right, or deleted their account), under their own plan.

The rule is core.adoption's; whether someone still manages the chat is the platform's
(``ChatSession.chat_managers``: Discord's REST member lookup and roles, Telegram's
getChatMember), so both platforms answer /adopt alike.
"""

from __future__ import annotations

from bot.conversation.registry import Where, command
from bot.conversation.replies import Reply, say
from bot.conversation.session import ChatSession
from core import adoption
from core.adoption import Adopted

NOT_SHARED = "/adopt is for shared chats: send it where the searches to take over post."
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


@command(
    "adopt",
    "Take over the searches here whose creator left",
    where=Where.GROUP_ADMIN,  # in a group's admin menu (Discord: a slash command)
    managing=True,  # only the chat's admins (checked before this runs)
)
async def adopt(session: ChatSession, _: str) -> list[Reply]:
    destination = session.destination
    if destination.kind == "private" or session.chat_managers is None:
        return [say(NOT_SHARED)]
    done = await adoption.take_over(
        session.services.searches, session.account, destination.platform,
        destination.chat_id, session.chat_managers, session.services.clock(),
    )  # fmt: skip
    return [adopted_reply(done)]
