"""A shared chat's searches whose creator is gone (issue 12): paused, then adopted.

A channel's (or group's) searches run under the account and plan of the admin who created
them. When that admin leaves the server (or the group), nobody there answers for them any
more: they are paused ("orphaned") and the chat is told, and another admin takes them over
with /adopt, under their own plan. Whether someone is still there is the platform's to say
(Discord: its REST member lookup); the rule, the pause and the hand-over live here, the tier
limits through ``core.searches`` as for any resume.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from tortoise.transactions import in_transaction

from core.enums import Platform, SearchStatus
from core.errors import TierLimitExceeded
from core.keystate import recompute_for_searches
from core.models import ChatIdentity, Destination, Search
from core.outbox import queue_notice
from core.searches import SearchService
from core.views import AccountView

logger = logging.getLogger(__name__)

ORPHAN_PAUSE = "orphaned"  # Search.paused_reason: its creator left the chat
ORPHANED_NOTICE = (
    "⏸ The searches {who} set up here are paused: they are no longer a manager here. "
    "A server admin can take them over with /adopt (under their own plan)."
)


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


async def platform_user_of(account_id: int, platform: Platform) -> str | None:
    """The account's user id on ``platform`` (None: no such identity, e.g. deleted)."""
    identity = await ChatIdentity.get_or_none(account_id=account_id, platform=platform)
    return identity.platform_user_id if identity is not None else None


__all__ = ["ORPHAN_PAUSE", "Adopted", "adopt", "orphan", "owners_here", "platform_user_of"]
