"""Blocked sellers in chat (issue 14): /block N (an alert's seller), /blocked, /unblock N.

The rules (per account, applied after the fetch) are in core.sellers; this only renders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation.actions import Act, Action
from bot.conversation.registry import PRIVATE, Where, command, on_action
from bot.conversation.replies import Bold, Button, Reply, Span, say, screen
from core import sellers
from core.sellers import Block
from core.views import AccountView as Account

if TYPE_CHECKING:
    from bot.conversation.pressed import Pressed
    from bot.conversation.session import ChatSession

NONE_BLOCKED = "No blocked sellers. Press 🚫 Block seller on an alert to stop seeing one."


def blocked_screen(blocks: list[Block], note: str = "") -> Reply:
    """The account's blocked sellers, each with an Unblock button (and /unblock N typed)."""
    head: list[Span] = [f"{note}\n\n"] if note else []
    if not blocks:
        return screen([*head, NONE_BLOCKED], [])
    spans: list[Span] = [*head, Bold("Blocked sellers")]
    buttons = []
    for n, block in enumerate(blocks):
        spans.append(f"\n🚫 {block.seller} ({block.marketplace}) · /unblock {block.id}")
        buttons.append(
            Button(
                f"Unblock {block.seller}"[:60],
                action=Action(Act.UNBLOCK_SELLER, block.id),
                row=n,
            )
        )
    return screen(spans, buttons)


async def blocked(account: Account) -> Reply:
    return blocked_screen(await sellers.list_blocked(account))


async def unblock(account: Account, block_id: int) -> Reply:
    gone = await sellers.unblock(account, block_id)
    note = f"✅ {gone.seller} ({gone.marketplace}) unblocked: their listings alert again."
    return blocked_screen(await sellers.list_blocked(account), note)


async def block(account: Account, match_id: int) -> str:
    match = await sellers.block_from_match(account, match_id)
    return (
        f"🚫 Blocked {match.listing.seller} ({match.listing.marketplace}): no more alerts "
        "about their listings. /blocked lists and undoes blocks."
    )


# --- how blocks plug into every front-end (bot.conversation.registry) -----------------------
# Blocks belong to the presser's own account: an id names one of its blocks or its matches.
@command("blocked", "Sellers you blocked", where=PRIVATE, button=Act.BLOCKED)
async def blocked_command(session: ChatSession, _: str) -> list[Reply]:
    return [await blocked(session.account)]


@command("block", "", where=Where(0))  # typed with an alert's number: not in the menus
async def block_command(session: ChatSession, args: str) -> list[Reply]:
    from bot.conversation.session import command_id  # the session imports the registry

    return [say(await block(session.account, command_id(args, "block")))]


@command("unblock", "", where=Where(0))
async def unblock_command(session: ChatSession, args: str) -> list[Reply]:
    from bot.conversation.session import command_id

    return [await unblock(session.account, command_id(args, "unblock"))]


@on_action(Act.UNBLOCK_SELLER)
async def unblock_pressed(session: ChatSession, action: Action) -> Pressed:
    from bot.conversation.pressed import Pressed

    return Pressed(await unblock(session.account, action.id), toast="Unblocked.")
