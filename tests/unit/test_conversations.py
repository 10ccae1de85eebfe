"""Conversations kept in the database (core.conversations), on SQLite or Postgres.

Compare-and-set on the row version: of two writers that read the same version only one
wins; the loser retries once from the winner's state. Idle conversations expire; ones saved
under an older schema are dropped and say so.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.conversations import ConversationKey, ConversationStore, Loaded
from core.enums import Platform
from core.errors import ConversationConflict
from core.models import Conversation
from core.retention import delete_idle_conversations

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
KEY = ConversationKey(Platform.TELEGRAM, "-100", "7")


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def test_a_saved_conversation_is_read_back_by_another_store(db: str) -> None:
    version = await ConversationStore(Clock()).save(KEY, {"step": "price", "n": [1, 2]}, 0)
    other = ConversationStore(Clock())  # another process
    loaded = await other.load(KEY)
    assert (loaded.state, loaded.version) == ({"step": "price", "n": [1, 2]}, version)
    assert loaded.expires_at == NOW + timedelta(minutes=30)
    assert await other.load(ConversationKey(Platform.TELEGRAM, "-100", "8")) == Loaded()


async def test_a_write_from_a_stale_version_is_refused(db: str) -> None:
    store = ConversationStore(Clock())
    first = await store.save(KEY, {"step": 1}, 0)
    second = await store.save(KEY, {"step": 2}, first)
    with pytest.raises(ConversationConflict):
        await store.save(KEY, {"step": "stale"}, first)
    with pytest.raises(ConversationConflict):
        await store.save(KEY, None, first)
    with pytest.raises(ConversationConflict):
        await store.save(KEY, {"step": "new"}, 0)  # two starts at once: one row
    assert (await store.load(KEY)).state == {"step": 2}
    assert await store.save(KEY, None, second) == 0
    assert await Conversation.all().count() == 0


async def test_racing_updates_each_apply_once_on_the_state_before(db: str) -> None:
    store = ConversationStore(Clock())
    await store.save(KEY, {"presses": []}, 0)

    def press(name: str) -> object:
        async def change(loaded: Loaded) -> dict[str, object]:
            assert loaded.state is not None
            await asyncio.sleep(0.01)  # both read before either writes
            return {"presses": [*loaded.state["presses"], name]}

        return change

    await asyncio.gather(store.update(KEY, press("a")), store.update(KEY, press("b")))  # type: ignore[arg-type]
    state = (await store.load(KEY)).state
    assert state is not None and sorted(state["presses"]) == ["a", "b"]


async def test_an_idle_conversation_expires_after_thirty_minutes(db: str) -> None:
    clock = Clock()
    store = ConversationStore(clock)
    version = await store.save(KEY, {"step": 1}, 0)
    clock.now = NOW + timedelta(minutes=29)
    version = await store.save(KEY, {"step": 2}, version)  # each write restarts the wait
    clock.now = NOW + timedelta(minutes=58)
    assert (await store.load(KEY)).state == {"step": 2}
    clock.now = NOW + timedelta(minutes=60)
    assert await store.load(KEY) == Loaded()
    assert await Conversation.all().count() == 0


async def test_retention_deletes_expired_conversations_only(db: str) -> None:
    store = ConversationStore(Clock())
    await store.save(KEY, {"step": 1}, 0)
    await store.save(ConversationKey(Platform.CONSOLE, "c", "u"), {"step": 1}, 0)
    await Conversation.filter(chat_key="c").update(expires_at=NOW - timedelta(seconds=1))
    assert await delete_idle_conversations(NOW, NOW, 100) == 1
    assert await Conversation.filter(chat_key="-100").exists()


async def test_an_older_schema_is_dropped_and_says_so(db: str) -> None:
    await ConversationStore(Clock(), schema_version=1).save(KEY, {"old": True}, 0)
    newer = ConversationStore(Clock(), schema_version=2)
    assert await newer.load(KEY) == Loaded(restarted=True)
    assert await newer.load(KEY) == Loaded()  # said once
