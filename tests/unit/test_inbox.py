"""The update inbox on the real database (SQLite, or Postgres with TEST_DATABASE_URL).

Several claimers (as several workers or processes would) never hold one chat at once and
handle each chat's updates in the order they came; re-sent updates are stored once; caps
drop a flooding chat's extras and throttle it once; a dead worker's chat comes back when its
lease runs out; a stop puts an update back; retention deletes handled rows in batches.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from core.enums import InboxStatus, Platform
from core.inbox import Inbox, InboxOptions, IncomingUpdate, delete_handled_before
from core.models import InboxUpdate

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def updates(chat: str, first: int, count: int) -> list[IncomingUpdate]:
    return [IncomingUpdate(i, chat, {"update_id": i, "n": i}) for i in range(first, first + count)]


async def test_claimers_never_share_a_chat_and_keep_each_chats_order(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(max_pending_per_chat=100))
    chats = [f"chat{c}" for c in range(4)]
    batch = [u for c, chat in enumerate(chats) for u in updates(chat, 1000 * c, 15)]
    random.Random(7).shuffle(batch)  # interleaved as they would arrive
    for start in range(0, len(batch), 10):
        await inbox.accept(batch[start : start + 10], NOW)
    holding: dict[str, str] = {}  # chat -> the claimer holding it now
    handled: dict[str, list[int]] = {chat: [] for chat in chats}
    overlaps: list[str] = []

    async def claimer(name: str) -> None:
        # Each claimer is its own Inbox, as another process would have.
        mine = Inbox(Platform.TELEGRAM, InboxOptions(max_pending_per_chat=100))
        idle = 0
        while idle < 5:
            claim = await mine.claim(NOW)
            if claim is None:
                idle += 1
                await asyncio.sleep(0.01)
                continue
            idle = 0
            if claim.chat_key in holding:
                overlaps.append(f"{name} and {holding[claim.chat_key]} on {claim.chat_key}")
            holding[claim.chat_key] = name
            await asyncio.sleep(random.random() / 200)  # the handler, taking a while
            handled[claim.chat_key].append(claim.update_id)
            del holding[claim.chat_key]
            assert await mine.finish(claim, NOW)

    await asyncio.gather(*(claimer(f"worker{i}") for i in range(3)))
    assert overlaps == []
    for chat in chats:  # in the order they arrived
        assert handled[chat] == [u.update_id for u in batch if u.chat_key == chat]
    assert await inbox.pending() == 0


async def test_the_least_recently_served_chat_goes_first(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM)
    await inbox.accept(updates("flood", 1, 10), NOW)
    await inbox.accept(updates("quiet", 100, 1), NOW)
    first = await inbox.claim(NOW)
    assert first is not None and first.chat_key == "flood"
    await inbox.finish(first, NOW)
    second = await inbox.claim(NOW + timedelta(seconds=1))
    # The flooding chat has older updates, but the quiet chat has not been served yet.
    assert second is not None and second.chat_key == "quiet"


async def test_resent_updates_are_stored_once(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM)
    first = await inbox.accept(updates("a", 1, 3), NOW)
    again = await inbox.accept([*updates("a", 2, 3), *updates("a", 4, 1)], NOW)
    assert (first.stored, again.stored, again.duplicates) == (3, 1, 3)
    assert await InboxUpdate.all().count() == 4


async def test_a_flooding_chat_is_capped_and_throttled_once(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(max_pending=100, max_pending_per_chat=5))
    first = await inbox.accept([*updates("flood", 1, 8), *updates("calm", 50, 2)], NOW)
    assert (first.stored, first.dropped, first.throttled) == (7, 3, ["flood"])
    more = await inbox.accept(updates("flood", 20, 4), NOW)
    assert (more.stored, more.dropped, more.throttled) == (0, 4, [])  # told once already
    while (claim := await inbox.claim(NOW)) is not None:
        await inbox.finish(claim, NOW)
    later = await inbox.accept(updates("flood", 40, 7), NOW)
    assert later.throttled == ["flood"]  # a new flood after the inbox emptied is told again


async def test_a_full_inbox_takes_nothing_unless_told_to(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(max_pending=3, max_pending_per_chat=10))
    await inbox.accept(updates("a", 1, 3), NOW)
    assert not await inbox.has_room()
    refused = await inbox.accept(updates("b", 10, 1), NOW)
    assert refused.full and refused.stored == 0
    polled = await inbox.accept(updates("b", 10, 2), NOW, enforce_cap=False)
    assert polled.stored == 2


async def test_an_expired_lease_is_claimed_again_and_the_late_worker_changes_nothing(
    db: str,
) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(lease_seconds=30))
    await inbox.accept(updates("a", 1, 2), NOW)
    dead = await inbox.claim(NOW)
    assert dead is not None
    assert await inbox.claim(NOW + timedelta(seconds=10)) is None  # held
    again = await inbox.claim(NOW + timedelta(seconds=31))
    assert again is not None and again.update_id == dead.update_id == 1
    assert again.attempts == 2
    assert not await inbox.finish(dead, NOW)  # the late worker lost its claim
    assert await inbox.finish(again, NOW + timedelta(seconds=32))
    row = await InboxUpdate.get(update_id=1)
    assert row.status is InboxStatus.HANDLED


async def test_a_released_update_stays_pending_and_is_next(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM)
    await inbox.accept(updates("a", 1, 2), NOW)
    claim = await inbox.claim(NOW)
    assert claim is not None
    await inbox.release(claim)
    again = await inbox.claim(NOW)
    assert again is not None and again.update_id == 1 and again.attempts == 1


async def test_an_update_that_never_finishes_is_given_up(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(lease_seconds=1, max_attempts=2))
    await inbox.accept(updates("a", 1, 2), NOW)
    at = NOW
    for _ in range(2):
        assert (await inbox.claim(at)) is not None
        at += timedelta(seconds=2)
    claim = await inbox.claim(at)
    assert claim is not None and claim.update_id == 2
    assert (await InboxUpdate.get(update_id=1)).status is InboxStatus.FAILED


async def test_delete_handled_before_in_batches(db: str) -> None:
    inbox = Inbox(Platform.TELEGRAM, InboxOptions(max_pending_per_chat=100))
    await inbox.accept(updates("a", 1, 7), NOW)
    for _ in range(5):
        claim = await inbox.claim(NOW)
        assert claim is not None
        await inbox.finish(claim, NOW)
    assert await delete_handled_before(NOW, batch_size=2) == 0  # handled at NOW, not before
    assert await delete_handled_before(NOW + timedelta(days=1), batch_size=2) == 5
    assert await InboxUpdate.filter(status=InboxStatus.PENDING).count() == 2
