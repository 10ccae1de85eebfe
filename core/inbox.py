"""The durable update inbox: chat updates stored before they are acknowledged, handled fairly.

A front-end writes every incoming update here first (a webhook before its 200, polling before
the next offset confirms it), then workers in any process handle them one at a time per
(platform, chat): a worker takes a chat's claim in ``inbox_chat`` with a compare-and-set
UPDATE (atomic on SQLite and on Postgres alike, no row locks needed), handles that chat's
oldest pending update, marks it handled and lets the chat go. Chats are served least
recently served first, so one busy chat cannot crowd out the others; a lease that runs out
(a worker that died) makes the chat claimable again, and its update is handled once more.

Floods: beyond ``max_pending_per_chat`` a chat's extra updates are dropped and the chat is
marked throttled once (the front-end tells it to slow down); beyond ``max_pending`` in all,
nothing more is taken (webhook: 503; polling: stop fetching).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core.enums import InboxStatus, Platform
from core.models import InboxChat, InboxUpdate

logger = logging.getLogger(__name__)

_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class InboxOptions:
    max_pending: int = 10_000
    max_pending_per_chat: int = 20
    # How long a claimed chat stays with its worker; longer than any handler may run.
    lease_seconds: float = 120.0
    # How many of the oldest pending updates a claim looks through for a free chat.
    scan_rows: int = 500
    # An update whose handler was started this many times without finishing is given up.
    max_attempts: int = 5


@dataclass(frozen=True, slots=True)
class IncomingUpdate:
    """One update as the platform sent it: its own id, the chat it belongs to, its JSON."""

    update_id: int
    chat_key: str
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Accepted:
    """What ``accept`` did with a batch."""

    stored: int = 0
    duplicates: int = 0
    dropped: int = 0
    full: bool = False  # the global cap was reached: nothing was stored
    # Chats that just went over their cap: each is to be told, once, to slow down.
    throttled: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Claim:
    """A chat held by one worker, and the update to handle now."""

    row_id: int
    token: str
    platform: Platform
    chat_key: str
    update_id: int
    payload: dict[str, Any]
    attempts: int


def _free(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


class Inbox:
    """The inbox of one platform."""

    def __init__(self, platform: Platform, options: InboxOptions | None = None) -> None:
        self.platform = platform
        self.options = options or InboxOptions()

    # --- taking updates in -------------------------------------------------------------------
    async def pending(self) -> int:
        return await InboxUpdate.filter(platform=self.platform, status=InboxStatus.PENDING).count()

    async def has_room(self) -> bool:
        return await self.pending() < self.options.max_pending

    async def accept(
        self, updates: Sequence[IncomingUpdate], now: datetime, *, enforce_cap: bool = True
    ) -> Accepted:
        """Store ``updates`` (committed when this returns), skipping re-sent ones and those
        over their chat's cap. With ``enforce_cap``, a full inbox stores nothing."""
        if enforce_cap and not await self.has_room():
            return Accepted(full=True)
        fresh = await self._fresh(updates)
        await InboxChat.bulk_create(
            [
                InboxChat(platform=self.platform, chat_key=key, served_at=_NEVER)
                for key in dict.fromkeys(u.chat_key for u in fresh)
            ],
            ignore_conflicts=True,
        )
        room = await self._room_per_chat({u.chat_key for u in fresh})
        kept, over = self._within_caps(fresh, room)
        if kept:
            async with in_transaction():
                await InboxUpdate.bulk_create(
                    [self._row(u, now) for u in kept], ignore_conflicts=True
                )
        throttled = [key for key in over if await self._throttle(key)]
        if over:
            logger.info("inbox: %d updates over their chat's cap dropped", sum(over.values()))
        return Accepted(
            stored=len(kept),
            duplicates=len(updates) - len(fresh),
            dropped=sum(over.values()),
            throttled=throttled,
        )

    async def _fresh(self, updates: Sequence[IncomingUpdate]) -> list[IncomingUpdate]:
        """The updates not stored before, each once."""
        ids = [u.update_id for u in updates]
        rows = await InboxUpdate.filter(platform=self.platform, update_id__in=ids).values_list(
            "update_id", flat=True
        )
        known = {int(str(row)) for row in rows}
        fresh: dict[int, IncomingUpdate] = {}
        for update in updates:
            if update.update_id not in known:
                fresh.setdefault(update.update_id, update)
        return list(fresh.values())

    async def _room_per_chat(self, keys: set[str]) -> dict[str, int]:
        if not keys:
            return {}
        rows = (
            await InboxUpdate.filter(
                platform=self.platform, status=InboxStatus.PENDING, chat_key__in=list(keys)
            )
            .group_by("chat_key")
            .annotate(n=Count("id"))
            .values_list("chat_key", "n")
        )
        counts = {str(key): int(n) for key, n in rows}
        return {key: self.options.max_pending_per_chat - counts.get(key, 0) for key in keys}

    @staticmethod
    def _within_caps(
        fresh: Sequence[IncomingUpdate], room: dict[str, int]
    ) -> tuple[list[IncomingUpdate], Counter[str]]:
        kept: list[IncomingUpdate] = []
        over: Counter[str] = Counter()
        for update in fresh:
            if room[update.chat_key] > 0:
                room[update.chat_key] -= 1
                kept.append(update)
            else:
                over[update.chat_key] += 1
        return kept, over

    def _row(self, update: IncomingUpdate, now: datetime) -> InboxUpdate:
        return InboxUpdate(
            platform=self.platform,
            chat_key=update.chat_key,
            update_id=update.update_id,
            payload=json.dumps(update.payload),
            status=InboxStatus.PENDING,
            received_at=now,
        )

    async def _throttle(self, chat_key: str) -> bool:
        """Mark the chat throttled; True only for the one call that changed it (tell it once)."""
        changed = await InboxChat.filter(
            platform=self.platform, chat_key=chat_key, throttled=False
        ).update(throttled=True)
        return bool(changed)

    # --- handling ----------------------------------------------------------------------------
    async def claim(
        self,
        now: datetime,
        *,
        exclude: Sequence[str] = (),
        skip: Callable[[str], bool] | None = None,
    ) -> Claim | None:
        """Take a chat nobody is handling (least recently served first) and its oldest
        pending update; None when there is none. ``exclude``: chats this process holds;
        ``skip``: chats not to take now (e.g. their send rate is used up)."""
        for key in await self._candidates(now, exclude):
            if skip is not None and skip(key):
                continue
            token = secrets.token_hex(16)
            if not await self._take_chat(key, token, now):
                continue  # another worker was quicker
            claim = await self._take_update(key, token, now)
            if claim is not None:
                return claim
        return None

    async def _candidates(self, now: datetime, exclude: Sequence[str]) -> list[str]:
        query = InboxUpdate.filter(platform=self.platform, status=InboxStatus.PENDING)
        if exclude:
            query = query.exclude(chat_key__in=list(exclude))
        keys = (
            await query.order_by("id")
            .limit(self.options.scan_rows)
            .values_list("chat_key", flat=True)
        )
        unique = list(dict.fromkeys(str(key) for key in keys))
        if not unique:
            return []
        free = (
            await InboxChat.filter(_free(now), platform=self.platform, chat_key__in=unique)
            .order_by("served_at", "id")
            .values_list("chat_key", flat=True)
        )
        return [str(key) for key in free]

    async def _take_chat(self, key: str, token: str, now: datetime) -> bool:
        """The compare-and-set: it changes the row only while nobody holds a live lease."""
        lease = now + timedelta(seconds=self.options.lease_seconds)
        changed = await InboxChat.filter(_free(now), platform=self.platform, chat_key=key).update(
            claim_token=token, lease_until=lease, served_at=now
        )
        return bool(changed)

    async def _take_update(self, key: str, token: str, now: datetime) -> Claim | None:
        while True:
            row = (
                await InboxUpdate.filter(
                    platform=self.platform, chat_key=key, status=InboxStatus.PENDING
                )
                .order_by("id")
                .first()
            )
            if row is None:
                await self._let_go(key, token, emptied=True)
                return None
            if row.attempts < self.options.max_attempts:
                break
            logger.error("inbox: update %s tried %d times; giving up", row.update_id, row.attempts)
            await self._close(row.id, token, InboxStatus.FAILED, now, check_token=False)
        lease = now + timedelta(seconds=self.options.lease_seconds)
        await InboxUpdate.filter(id=row.id).update(
            claim_token=token, lease_until=lease, attempts=F("attempts") + 1
        )
        payload = json.loads(row.payload)
        return Claim(row.id, token, self.platform, key, row.update_id, payload, row.attempts + 1)

    async def finish(self, claim: Claim, now: datetime, *, failed: bool = False) -> bool:
        """Mark the claimed update done and let its chat go. False when the claim had been
        lost (its lease ran out and another worker took the chat): nothing is changed."""
        status = InboxStatus.FAILED if failed else InboxStatus.HANDLED
        if not await self._close(claim.row_id, claim.token, status, now):
            logger.warning("inbox: lost the claim on update %s; left alone", claim.update_id)
            return False
        emptied = not await InboxUpdate.filter(
            platform=self.platform, chat_key=claim.chat_key, status=InboxStatus.PENDING
        ).exists()
        await self._let_go(claim.chat_key, claim.token, emptied=emptied)
        return True

    async def release(self, claim: Claim) -> None:
        """Give the chat back with its update still pending (a stop): the next worker, here
        or in the next process, takes it up at once."""
        await InboxUpdate.filter(id=claim.row_id, claim_token=claim.token).update(
            claim_token=None, lease_until=None, attempts=F("attempts") - 1
        )
        await self._let_go(claim.chat_key, claim.token, emptied=False)

    async def _close(
        self,
        row_id: int,
        token: str,
        status: InboxStatus,
        now: datetime,
        *,
        check_token: bool = True,
    ) -> bool:
        query = InboxUpdate.filter(id=row_id, status=InboxStatus.PENDING)
        if check_token:
            query = query.filter(claim_token=token)
        changed = await query.update(status=status, handled_at=now, lease_until=None)
        return bool(changed)

    async def _let_go(self, key: str, token: str, *, emptied: bool) -> None:
        changes: dict[str, Any] = {"claim_token": None, "lease_until": None}
        if emptied:
            changes["throttled"] = False  # a new flood will be told again
        await InboxChat.filter(platform=self.platform, chat_key=key, claim_token=token).update(
            **changes
        )


async def delete_handled_batch(cutoff: datetime, batch_size: int = 1000) -> int:
    """One batch of handled (and given-up) updates handled before ``cutoff``; how many went.

    Bounded so no transaction grows large; the retention job calls it until a batch is short.
    """
    done = [InboxStatus.HANDLED, InboxStatus.FAILED]
    ids = (
        await InboxUpdate.filter(status__in=done, handled_at__lt=cutoff)
        .order_by("id")
        .limit(batch_size)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    deleted: int = await InboxUpdate.filter(id__in=list(ids)).delete()
    return deleted


async def delete_handled_before(cutoff: datetime, batch_size: int = 1000) -> int:
    """Every handled update handled before ``cutoff``, ``batch_size`` rows per statement."""
    total = 0
    while deleted := await delete_handled_batch(cutoff, batch_size):
        total += deleted
    return total
