"""A shared chat's searches whose creator is gone (issue 12): paused, then adopted.

A channel's (or group's) searches run under the account and plan of the admin who created
them. When that admin leaves the server (or the group), loses the right to manage its
searches, or deletes their account, nobody there answers for them any more: they are paused
("orphaned") and the chat is told once, and another admin takes them over with /adopt, under
their own plan. Whether someone still manages a chat is the platform's to say (the
``ManagerCheck`` port: Discord's REST member lookup and role permissions, Telegram's
getChatMember); the rule, the pause and the hand-over live here, the tier limits through
``core.searches`` as for any resume. Both platforms call the same ``review`` (noticing a
departure) and ``take_over`` (/adopt), so they agree.

A deleted account's channel searches are not deleted with it (``orphan_for_erasure``): they
are the channel's, so they move to a *holder* account (no identity, no personal data, the
free plan) and wait, paused, for /adopt; the holder is removed once nothing is left on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from core.enums import Platform, SearchStatus
from core.errors import TierLimitExceeded
from core.keystate import recompute_for_searches
from core.models import Account, ChatIdentity, Destination, Search
from core.outbox import queue_notice
from core.searches import SearchService
from core.views import AccountView

logger = logging.getLogger(__name__)

ORPHAN_PAUSE = "orphaned"  # Search.paused_reason: its creator left the chat
ORPHANED_NOTICE = (
    "⏸ The searches {who} set up here are paused: they are no longer a manager here. "
    "An admin here can take them over with /adopt (under their own plan)."
)
ERASED_WHO = "someone who has since deleted their account"
PRIVATE_KINDS = ("private",)


class ManagerCheck(Protocol):
    """The platform's answer for one shared chat: does this user still manage its searches?"""

    async def still_manages(self, platform_user_id: str) -> bool | None:
        """True: still a manager there; False: left, removed, or lost the right; None: the
        platform could not say now (an outage, a rate limit): nothing is decided on that."""
        ...


@dataclass(slots=True)
class Adopted:
    resumed: list[Search] = field(default_factory=list)
    # Taken over but left paused: the adopter's plan does not allow them (TierLimitExceeded).
    still_paused: list[Search] = field(default_factory=list)


async def _destination(platform: Platform, chat_id: str) -> Destination | None:
    return await Destination.get_or_none(platform=platform, chat_id=chat_id)


async def owners_here(platform: Platform, chat_id: str) -> list[int]:
    """The accounts whose searches post to this chat."""
    destination = await _destination(platform, chat_id)
    if destination is None:
        return []
    rows = (
        await Search.filter(destination_id=destination.id)
        .distinct()
        .values_list("account_id", flat=True)
    )
    return sorted({int(r) for r in rows})  # type: ignore[call-overload]


async def orphan(
    platform: Platform, chat_id: str, account_id: int, who: str, now: datetime
) -> list[int]:
    """Pause ``account_id``'s active searches posting to this chat and tell the chat once.
    Returns the paused ids (none: nothing was running, nobody is told)."""
    destination = await _destination(platform, chat_id)
    if destination is None:
        return []
    ids = [
        int(i)  # type: ignore[call-overload]
        for i in await Search.filter(
            destination_id=destination.id, account_id=account_id, status=SearchStatus.ACTIVE
        ).values_list("id", flat=True)
    ]
    if not ids:
        return []
    async with in_transaction() as conn:
        await (
            Search.filter(id__in=ids)
            .using_db(conn)
            .update(status=SearchStatus.PAUSED, paused_reason=ORPHAN_PAUSE, paused_at=now)
        )
        await recompute_for_searches(conn, ids, now)
    logger.info("searches %s in %s chat %s orphaned", ids, platform.value, chat_id)
    key = f"orphaned:{account_id}:{min(ids)}"
    await queue_notice(destination, key, ORPHANED_NOTICE.format(who=who), now)
    return ids


async def adopt(
    service: SearchService, adopter: AccountView, platform: Platform, chat_id: str,
    from_accounts: list[int],
) -> Adopted:  # fmt: skip
    """Hand the chat's searches of ``from_accounts`` (gone: the caller checked) to
    ``adopter``; the orphaned ones resume as far as the adopter's plan allows."""
    done = Adopted()
    destination = await _destination(platform, chat_id)
    if destination is None or not from_accounts:
        return done
    taken = await Search.filter(
        destination_id=destination.id, account_id__in=from_accounts
    ).order_by("id")
    if not taken:
        return done
    ids = [s.id for s in taken]
    async with in_transaction() as conn:
        # Paused first: each one then resumes through the service, its tier checks included.
        await (
            Search.filter(id__in=ids, status=SearchStatus.ACTIVE)
            .using_db(conn)
            .update(status=SearchStatus.PAUSED, paused_reason=ORPHAN_PAUSE)
        )
        await Search.filter(id__in=ids).using_db(conn).update(account_id=adopter.id)
        if destination.account_id in from_accounts:  # type: ignore[attr-defined]
            # The chat record goes with its searches (its old holder may be removed).
            await Destination.filter(id=destination.id).using_db(conn).update(account_id=adopter.id)
        await recompute_for_searches(conn, ids, service.clock())
    for search in await Search.filter(id__in=ids).order_by("id"):
        if search.paused_reason != ORPHAN_PAUSE:  # paused by its owner: stays so
            done.still_paused.append(search)
            continue
        try:
            resumed = await service.resume(adopter, search.id)
        except TierLimitExceeded:
            done.still_paused.append(search)
            continue
        await Search.filter(id=search.id).update(paused_reason=None)
        done.resumed.append(resumed)
    logger.info(
        "account %s adopted searches %s in %s chat %s", adopter.id, ids, platform.value, chat_id
    )
    return done


async def chats_to_review(platform: Platform) -> list[str]:
    """The shared chats on ``platform`` where some search runs (whose creators to check)."""
    rows = await (
        Destination.filter(
            platform=platform,
            active=True,
            kind__not_in=PRIVATE_KINDS,
            searches__status=SearchStatus.ACTIVE,
        )
        .distinct()
        .values_list("chat_id", flat=True)
    )
    return sorted({str(r) for r in rows})


async def _owners_with(platform: Platform, chat_id: str, *, active_only: bool) -> list[int]:
    destination = await _destination(platform, chat_id)
    if destination is None or destination.kind in PRIVATE_KINDS:
        return []
    rows = Search.filter(destination_id=destination.id)
    if active_only:
        rows = rows.filter(status=SearchStatus.ACTIVE)
    ids = await rows.distinct().values_list("account_id", flat=True)
    return sorted({int(r) for r in ids})  # type: ignore[call-overload]


async def departed(
    platform: Platform, chat_id: str, check: ManagerCheck, *, active_only: bool
) -> list[tuple[int, str | None]]:
    """The owners of this shared chat's searches who no longer manage it, with their
    platform user id (None: their account or identity is gone). Unsure answers count as
    still there."""
    gone: list[tuple[int, str | None]] = []
    for owner in await _owners_with(platform, chat_id, active_only=active_only):
        user_id = await platform_user_of(owner, platform)
        if user_id is None or await check.still_manages(user_id) is False:
            gone.append((owner, user_id))
    return gone


async def _who(account_id: int, platform: Platform) -> str:
    """How the chat is told who it was: their name there (never a mention: nobody is
    pinged), or a neutral phrase when the identity is gone."""
    identity = await ChatIdentity.get_or_none(account_id=account_id, platform=platform)
    name = identity.display_name if identity is not None else ""
    return name or "a former admin"


async def review(platform: Platform, chat_id: str, check: ManagerCheck, now: datetime) -> list[int]:
    """Notice departures in a shared chat: the running searches of each owner who no longer
    manages it are paused as orphaned and the chat is told once. Returns the paused ids."""
    paused: list[int] = []
    for owner, _ in await departed(platform, chat_id, check, active_only=True):
        paused += await orphan(platform, chat_id, owner, await _who(owner, platform), now)
    return paused


async def take_over(
    service: SearchService, adopter: AccountView, platform: Platform, chat_id: str,
    check: ManagerCheck, now: datetime,
) -> Adopted | None:  # fmt: skip
    """/adopt: the searches here of every owner who no longer manages the chat go to
    ``adopter`` (the caller checked that they manage it). None: nobody to take over from."""
    gone = [
        (owner, user_id)
        for owner, user_id in await departed(platform, chat_id, check, active_only=False)
        if owner != adopter.id
    ]
    if not gone:
        return None
    for owner, _ in gone:
        await orphan(platform, chat_id, owner, await _who(owner, platform), now)
    done = await adopt(service, adopter, platform, chat_id, [owner for owner, _ in gone])
    await _drop_empty_holders([owner for owner, _ in gone])
    return done


async def orphan_for_erasure(
    conn: BaseDBAsyncClient, account_id: int, now: datetime
) -> tuple[int, int | None]:
    """Before ``account_id`` is deleted: its searches in shared chats move to a new holder
    account (nothing personal on it), paused as orphaned, and each chat is told once.
    Call inside the deletion's transaction. Returns how many searches were kept so, and the
    holder's id (None: nothing to keep)."""
    shared = await Destination.filter(
        searches__account_id=account_id, kind__not_in=PRIVATE_KINDS
    ).distinct()
    if not shared:
        return 0, None
    holder = await Account.create()
    ids: list[int] = []
    for destination in shared:
        rows = await Search.filter(account_id=account_id, destination_id=destination.id)
        chat_ids = [s.id for s in rows]
        ids += chat_ids
        active = [s.id for s in rows if s.status is SearchStatus.ACTIVE]
        if active:
            await Search.filter(id__in=active).update(
                status=SearchStatus.PAUSED, paused_reason=ORPHAN_PAUSE, paused_at=now
            )
            text = ORPHANED_NOTICE.format(who=ERASED_WHO)
            await queue_notice(destination, f"orphaned:{holder.id}:{min(active)}", text, now)
    await Search.filter(id__in=ids).update(account_id=holder.id)
    await recompute_for_searches(conn, ids, now)
    logger.info("searches %s kept for /adopt (their creator deleted their account)", ids)
    return len(ids), holder.id


async def _drop_empty_holders(account_ids: list[int]) -> None:
    """A holder account (no chat identity) with nothing left on it is removed."""
    for account_id in account_ids:
        if await ChatIdentity.exists(account_id=account_id):
            continue
        if await Search.exists(account_id=account_id):
            continue
        if await Destination.exists(account_id=account_id):
            continue
        await Account.filter(id=account_id).delete()


async def platform_user_of(account_id: int, platform: Platform) -> str | None:
    """The account's user id on ``platform`` (None: no such identity, e.g. deleted)."""
    identity = await ChatIdentity.get_or_none(account_id=account_id, platform=platform)
    return identity.platform_user_id if identity is not None else None


__all__ = [
    "ORPHAN_PAUSE",
    "Adopted",
    "ManagerCheck",
    "adopt",
    "chats_to_review",
    "departed",
    "orphan",
    "orphan_for_erasure",
    "owners_here",
    "platform_user_of",
    "review",
    "take_over",
]
