"""What happens when a chat platform refuses to post: searches paused, owners told once.

A chat that is gone (deleted channel, bot removed, closed DMs) is handled by
``core.destinations.deactivate_chat``; this module adds the two things a front-end also
needs: pausing one search whose chat is there but refuses us (missing permissions), and
telling the owners in their private chat, once per event (a Notice key makes it once,
across retries and processes).
"""

from __future__ import annotations

import logging
from datetime import datetime

from core.enums import Platform, SearchStatus
from core.models import Destination, Search
from core.outbox import queue_notice

logger = logging.getLogger(__name__)


async def pause_search(search_id: int, reason: str) -> bool:
    """Pause ``search_id`` because its chat refuses it; True if it was active."""
    changed = await Search.filter(id=search_id, status=SearchStatus.ACTIVE).update(
        status=SearchStatus.PAUSED
    )
    if changed:
        logger.warning("search %s paused: %s", search_id, reason)
    return bool(changed)


async def tell_owners(
    platform: Platform, account_ids: list[int], key: str, text: str, now: datetime
) -> int:
    """Queue ``text`` once (per ``key`` and owner) to each owner's private chat on
    ``platform``; how many owners have one to tell."""
    told = 0
    for account_id in dict.fromkeys(account_ids):
        private = await Destination.filter(
            platform=platform, account_id=account_id, kind="private", active=True
        ).first()
        if private is None:
            continue
        await queue_notice(private, f"{key}:{account_id}", text, now)
        told += 1
    return told


async def owners_in_chat(platform: Platform, chat_id: str) -> list[int]:
    """The accounts whose searches post to ``chat_id``."""
    rows = await Search.filter(
        destination__platform=platform, destination__chat_id=chat_id
    ).values_list("account_id", flat=True)
    return [int(str(row)) for row in rows]


async def owner_of(search_id: int) -> list[int]:
    rows = await Search.filter(id=search_id).values_list("account_id", flat=True)
    return [int(str(row)) for row in rows]
