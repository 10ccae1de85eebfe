"""Issue 9 item 3: a worker whose lease ran out cannot undo another worker's delivery.

Every update after a claim matches status SENDING and the claim's token: a late worker's
failure or success changes nothing once another worker has claimed the row again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.clicks import ensure_click_token
from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertStatus
from core.models import Alert, Notice
from core.outbox import claim_due, mark_final, mark_held, mark_retry, mark_sent, queue_notice
from tests.fakes.alerts import queue_alerts, verified_account
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import RecordingNotifier, SlowNotifier

LEASE = DispatcherOptions(lease_seconds=1, retry_base_seconds=1, retry_cap_seconds=2)
COUNT = 3


async def _race(clock: FakeClock, slow: SlowNotifier, fast: RecordingNotifier, held: int) -> None:
    """Worker A claims and hangs in its sends past the lease; worker B claims the same rows
    and finishes; then A's sends return (fail or succeed, as ``slow`` says)."""
    late = Dispatcher({"console": slow}, clock=clock, options=LEASE)
    prompt = Dispatcher({"console": fast}, clock=clock, options=LEASE)
    first = asyncio.create_task(late.tick())
    await asyncio.wait_for(slow.wait_held(held), 10)
    clock.advance(5)  # A's lease is over: the rows are claimable again
    assert await prompt.tick() == held
    clock.advance(1)  # A's sends return a second later
    slow.release()
    assert await first == held
    for _ in range(5):  # later rounds must find nothing left to send
        clock.advance(3600)
        assert await late.tick() == 0
        assert await prompt.tick() == 0


async def test_a_late_transient_failure_does_not_resend_a_sent_alert(db: str) -> None:
    clock = FakeClock()
    account, destination = await verified_account()
    await queue_alerts(account, destination, ["chat"], count=COUNT, now=clock.now)
    slow, fast = SlowNotifier(failures_left=COUNT), RecordingNotifier()

    await _race(clock, slow, fast, COUNT)

    assert slow.sent == [] and slow.failures_left == 0  # A tried each once and failed
    assert sorted(m.alert_id for m in fast.sent) == [a.id for a in await Alert.all().order_by("id")]
    for row in await Alert.all():
        assert row.status is AlertStatus.SENT and row.attempts == 1
        assert row.last_error is None and row.provider_message_id == str(row.id)


async def test_a_late_success_is_the_one_extra_delivery_the_lease_allows(db: str) -> None:
    clock = FakeClock()
    account, destination = await verified_account()
    await queue_alerts(account, destination, ["chat"], count=COUNT, now=clock.now)
    slow, fast = SlowNotifier(), RecordingNotifier()
    started = clock.now

    await _race(clock, slow, fast, COUNT)

    assert len(slow.sent) == COUNT and len(fast.sent) == COUNT  # twice each, never a third
    for row in await Alert.all():
        # B's record stands: A's late mark_sent matched no row.
        assert row.status is AlertStatus.SENT and row.attempts == 1
        assert row.sent_at == started + timedelta(seconds=5)


async def test_a_late_failure_does_not_resend_a_sent_notice(db: str) -> None:
    clock = FakeClock()
    _, destination = await verified_account()
    await queue_notice(destination, "k1", "Your search cannot run", clock.now)
    slow, fast = SlowNotifier(failures_left=1), SlowNotifier()
    fast.release()

    await _race(clock, slow, fast, 1)

    [notice] = await Notice.all()
    assert notice.status is AlertStatus.SENT and notice.attempts == 1
    assert len(fast.notices) == 1 and slow.notices == []


async def test_updates_with_a_stale_claim_token_change_nothing(db: str) -> None:
    clock = FakeClock()
    account, destination = await verified_account(phone="+447911123456")
    await queue_alerts(account, destination, ["sms"], now=clock.now)
    [claimed] = await claim_due(["sms"], clock.now, limit=10, lease_seconds=1, skip_locked=False)
    assert claimed.claim_token
    # Another worker claims the row after the lease ran out: a new token.
    later = clock.now + timedelta(seconds=5)
    [again] = await claim_due(["sms"], later, limit=10, lease_seconds=60, skip_locked=False)
    assert again.id == claimed.id and again.claim_token != claimed.claim_token
    [before_row] = await Alert.filter(id=claimed.id).values()

    assert not await mark_sent(claimed, clock.now, "late")
    assert not await mark_retry(claimed, "late failure", clock.now)
    assert not await mark_final(claimed, AlertStatus.FAILED, "late failure")
    assert not await mark_held(claimed, clock.now)
    assert await ensure_click_token(claimed) is None
    assert await Alert.filter(id=claimed.id).values() == [before_row]

    # The current holder's updates do apply.
    assert await ensure_click_token(again)
    assert await mark_sent(again, later, "ok")
    row = await Alert.get(id=claimed.id)
    assert row.status is AlertStatus.SENT and row.provider_message_id == "ok"
    assert not await mark_retry(again, "after sent", later)  # no longer SENDING
    assert (await Alert.get(id=claimed.id)).status is AlertStatus.SENT


async def test_two_claims_at_once_never_share_a_row(db: str) -> None:
    clock = FakeClock()
    account, destination = await verified_account()
    await queue_alerts(account, destination, ["chat"], count=20, now=clock.now)
    batches = await asyncio.gather(
        *(
            claim_due(["console"], clock.now, limit=20, lease_seconds=60, skip_locked=False)
            for _ in range(4)
        )
    )
    ids = [row.id for batch in batches for row in batch]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 20
