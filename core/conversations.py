"""Conversations in progress, kept in the database so any process can continue them.

One row per (platform, chat, user) holds what the conversation waits for (the wizard's answers
and step, a settings section, a yes/no, a code) as JSON. Every write is a compare-and-set on
the row version: ``UPDATE ... WHERE version = <the version read>``, which is atomic on SQLite
and Postgres alike (no row locks, which Tortoise does not give on SQLite), so two updates
racing on one chat cannot both move it on from the same state; the loser gets
``ConversationConflict`` and starts over from what the winner wrote.

A conversation idle for ``idle_seconds`` is gone when next read; one written under another
schema version is dropped (``Loaded.restarted``) and the front-end says "let's start again".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from core.clock import Clock, utcnow
from core.enums import Platform
from core.errors import ConversationConflict
from core.models import Conversation

logger = logging.getLogger(__name__)

# Bump when the shape of the stored state changes; older conversations are then dropped.
SCHEMA_VERSION = 1
IDLE_SECONDS = 30 * 60
# An unchanged conversation's expiry is pushed back at most this often (one write less for
# each message that changes nothing).
_REFRESH_AFTER = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ConversationKey:
    platform: Platform
    chat: str
    user: str


@dataclass(frozen=True, slots=True)
class Loaded:
    """A conversation as read: its state (None: nothing pending) and the row version to
    write against (0: no row)."""

    state: dict[str, Any] | None = None
    version: int = 0
    # It was saved under an older schema and dropped: the user starts again.
    restarted: bool = False
    expires_at: datetime | None = None


class ConversationStore:
    def __init__(
        self,
        clock: Clock = utcnow,
        *,
        idle_seconds: int = IDLE_SECONDS,
        schema_version: int = SCHEMA_VERSION,
    ) -> None:
        self.clock = clock
        self.idle = timedelta(seconds=idle_seconds)
        self.schema_version = schema_version

    async def load(self, key: ConversationKey) -> Loaded:
        row = await _rows(key).first()
        if row is None:
            return Loaded()
        if row.expires_at <= self.clock():
            await _rows(key).filter(version=row.version).delete()
            return Loaded()
        if row.schema_version != self.schema_version:
            logger.info(
                "conversation %s dropped: schema %s, now %s",
                row.id,
                row.schema_version,
                self.schema_version,
            )
            await _rows(key).filter(version=row.version).delete()
            return Loaded(restarted=True)
        return Loaded(json.loads(row.state), row.version, expires_at=row.expires_at)

    async def save(self, key: ConversationKey, state: dict[str, Any] | None, version: int) -> int:
        """Write ``state`` (None: the conversation is over) if the row is still at ``version``;
        returns the new version (0 once deleted). Raises ConversationConflict otherwise."""
        if state is None:
            if version and not await _rows(key).filter(version=version).delete():
                raise ConversationConflict(f"conversation of {key} moved on")
            return 0
        expires = self.clock() + self.idle
        text = json.dumps(state, separators=(",", ":"))
        if version == 0:
            return await self._create(key, text, expires)
        changed = (
            await _rows(key)
            .filter(version=version)
            .update(
                state=text,
                version=version + 1,
                schema_version=self.schema_version,
                expires_at=expires,
            )
        )
        if not changed:
            raise ConversationConflict(f"conversation of {key} moved on")
        return version + 1

    async def _create(self, key: ConversationKey, text: str, expires: datetime) -> int:
        try:
            await Conversation.create(
                platform=key.platform,
                chat_key=key.chat,
                user_key=key.user,
                schema_version=self.schema_version,
                version=1,
                state=text,
                expires_at=expires,
            )
        except IntegrityError as exc:  # another update started one first
            raise ConversationConflict(f"conversation of {key} started elsewhere") from exc
        return 1

    def fresh(self, loaded: Loaded, state: dict[str, Any] | None) -> bool:
        """Whether writing ``state`` back can be skipped: unchanged, and written so recently
        that its expiry is still almost the whole idle time away."""
        if state != loaded.state or loaded.expires_at is None:
            return False
        return loaded.expires_at - self.clock() > self.idle - _REFRESH_AFTER

    async def clear(self, key: ConversationKey) -> None:
        """Forget the conversation whatever its version (/cancel, an erased account)."""
        await _rows(key).delete()

    async def update(
        self,
        key: ConversationKey,
        change: Callable[[Loaded], Awaitable[dict[str, Any] | None]],
    ) -> int:
        """Read, change, compare-and-set; on a conflict once more from the fresh state."""
        try:
            loaded = await self.load(key)
            return await self.save(key, await change(loaded), loaded.version)
        except ConversationConflict:
            loaded = await self.load(key)
            return await self.save(key, await change(loaded), loaded.version)


def _rows(key: ConversationKey) -> Any:
    return Conversation.filter(platform=key.platform, chat_key=key.chat, user_key=key.user)


__all__ = ["SCHEMA_VERSION", "ConversationKey", "ConversationStore", "Loaded"]
