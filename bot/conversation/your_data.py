"""/export and /deleteaccount: a user's own data, as a file, and the account's deletion.

Both work in a private chat only: the export holds personal details, and a deletion must be
confirmed by the person whose account it is, not pressed by someone else in a group.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.conversation.replies import Document, Option, Reply, ask, say
from core import your_data
from core.clock import Clock
from core.views import AccountView as Account
from core.views import DestinationView as Destination

logger = logging.getLogger(__name__)

PRIVATE_ONLY = "Send {command} in a private chat with me: it is about your own account."
EXPORT_TEXT = (
    "📦 Everything I hold about your account, as a JSON file: settings (addresses masked as "
    "I show them here), chat identities, chats, searches, saved and hidden listings, the "
    "alerts I sent you and the verification codes I sent. /deleteaccount deletes it all."
)
ERASE_QUESTION = (
    "Delete your account? This deletes your searches, found and saved listings, the alerts "
    "I sent, your email/phone/webhook settings and verification codes, for good. "
    "/export first if you want a copy."
)
YES = "yes"
ERASED = (
    "🗑 Your account is deleted: {summary}.\n"
    "Kept: nothing about you. (My log of Stripe payment event ids holds no personal data "
    "and no link to your account; it only stops a payment event being applied twice.)\n"
    "If you write to me again, a new empty account starts."
)
KEPT_NOT = "Nothing was deleted; your account is as it was."


def private_only(destination: Destination, command: str) -> Reply | None:
    """The refusal for a shared chat, or None in a private one."""
    if destination.kind == "private":
        return None
    return say(PRIVATE_ONLY.format(command=command))


async def export_reply(account: Account, clock: Clock) -> Reply:
    data = await your_data.export_account(account.id, clock())
    body = json.dumps(data, indent=2, ensure_ascii=False).encode()
    stamp = clock().strftime("%Y%m%d")
    logger.info("account %s exported its data (%s bytes)", account.id, len(body))
    return Reply(
        EXPORT_TEXT, document=Document(f"marketplace-monitor-{account.id}-{stamp}.json", body)
    )


def erase_question() -> Reply:
    return ask(ERASE_QUESTION, ("Yes, delete everything", YES), ("No, keep it", "no"))


class ConfirmErase:
    """The pending answer to ``erase_question``; only an explicit yes deletes."""

    def __init__(
        self,
        account: Account,
        done: Callable[[], Awaitable[None]],
        claim: Callable[[], Awaitable[None]],
    ) -> None:
        self.account = account
        self.done = done
        self.claim = claim  # ends the question in the database before anything is deleted

    def state(self) -> dict[str, Any]:
        return {"kind": "erase"}

    def question(self) -> Reply:
        return erase_question()

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self.answer(str(picked[0].value))

    async def answer(self, text: str) -> list[Reply]:
        if text.strip().lower() != YES:
            await self.done()
            return [say(KEPT_NOT)]
        await self.claim()
        erasure = await your_data.delete_account(self.account.id)
        logger.info("account %s deleted at its owner's request", self.account.id)
        await self.done()
        text = ERASED.format(summary=_summary(erasure.deleted))
        for kept in erasure.kept:  # searches of shared chats, kept for /adopt there
            text += f"\n{kept}."
        return [say(text)]


def _summary(deleted: dict[str, int]) -> str:
    names = {
        "searches": "searches",
        "matches": "listings found",
        "alerts": "alerts",
        "destinations": "chats",
        "verification_codes": "verification codes",
    }
    return ", ".join(f"{deleted.get(key, 0)} {name}" for key, name in names.items())
