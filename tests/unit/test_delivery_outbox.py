"""The outbox around email/SMS/webhook alerts: verified addresses read at send time, quiet
hours, click tokens kept across retries, and one notice on a permanent refusal."""

from __future__ import annotations

from datetime import UTC, datetime

from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertStatus
from core.models import Account, Alert
from tests.fakes.alerts import WEBHOOK_SECRET, queue_alerts, verified_account
from tests.fakes.clock import FakeClock
from tests.fakes.notifier import RecordingNotifier

FAST = DispatcherOptions(retry_base_seconds=1, retry_cap_seconds=4)
ALL = ["chat", "email", "sms", "webhook"]


def notifiers() -> dict[str, RecordingNotifier]:
    return {
        name: RecordingNotifier(channel=name) for name in ("console", "email", "sms", "webhook")
    }


async def _account() -> Account:
    account, _ = await verified_account(
        email="kim@example.com", phone="+447911123456", webhook="https://hooks.example/in"
    )
    return account


async def test_each_channel_gets_the_accounts_verified_address(db: str) -> None:
    account = await _account()
    await queue_alerts(account, (await account.destinations.all())[0], ALL)
    sent = notifiers()
    await Dispatcher(sent).tick()

    assert sent["console"].sent[0].target.address is None
    email, sms, hook = (sent[n].sent[0] for n in ("email", "sms", "webhook"))
    assert email.target.address == "kim@example.com"
    assert set(email.extra) == {"click_token", "unsubscribe_token"}
    assert email.extra["unsubscribe_token"].startswith(f"{account.id}.")
    assert sms.target.address == "+447911123456" and set(sms.extra) == {"click_token"}
    assert hook.target.address == "https://hooks.example/in"
    assert hook.extra == {"webhook_secret": WEBHOOK_SECRET}


async def test_quiet_hours_hold_email_and_sms_until_the_window_ends(db: str) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 23, 0, tzinfo=UTC))
    account = await _account()
    account.quiet_start_minute, account.quiet_end_minute = 22 * 60, 7 * 60
    await account.save()
    await queue_alerts(account, (await account.destinations.all())[0], ALL, now=clock.now)
    sent = notifiers()
    dispatcher = Dispatcher(sent, clock=clock)

    await dispatcher.tick()

    assert len(sent["console"].sent) == 1 and len(sent["webhook"].sent) == 1
    assert sent["email"].sent == [] and sent["sms"].sent == []
    morning = datetime(2026, 1, 6, 7, 0, tzinfo=UTC)
    for row in await Alert.filter(channel__in=["email", "sms"]):
        assert row.status is AlertStatus.PENDING and row.attempts == 0
        assert row.next_attempt_at == morning
    clock.now = morning
    await dispatcher.tick()
    assert len(sent["email"].sent) == 1 and len(sent["sms"].sent) == 1


async def test_the_click_token_is_the_same_on_every_retry(db: str) -> None:
    clock = FakeClock()
    account = await _account()
    await queue_alerts(account, (await account.destinations.all())[0], ["sms"], now=clock.now)
    sent = notifiers()
    sent["sms"].failures_left = 2
    dispatcher = Dispatcher(sent, clock=clock, options=FAST)
    for _ in range(3):
        await dispatcher.tick()
        clock.advance(10)
    [row] = await Alert.filter(channel="sms")
    assert row.status is AlertStatus.SENT and row.attempts == 3
    assert sent["sms"].sent[0].extra["click_token"] == row.click_token


async def test_a_channel_removed_after_queueing_cancels_its_alerts(db: str) -> None:
    account = await _account()
    await queue_alerts(account, (await account.destinations.all())[0], ["chat", "sms"])
    await Account.filter(id=account.id).update(phone_verified_at=None)
    sent = notifiers()
    await Dispatcher(sent).tick()
    [row] = await Alert.filter(channel="sms")
    assert row.status is AlertStatus.CANCELLED and "no verified sms" in (row.last_error or "")
    assert sent["sms"].sent == [] and len(sent["console"].sent) == 1


async def test_a_permanent_refusal_revokes_the_channel_and_notifies_once(db: str) -> None:
    clock = FakeClock()
    account = await _account()
    destination = (await account.destinations.all())[0]
    await queue_alerts(account, destination, ["chat", "email"], count=4, now=clock.now)
    sent = notifiers()
    sent["email"].failures_left, sent["email"].permanent = 99, True
    dispatcher = Dispatcher(sent, clock=clock, options=FAST)
    for _ in range(3):
        await dispatcher.tick()
        clock.advance(10)
    assert await Alert.filter(channel="email", status=AlertStatus.FAILED).count() == 4
    assert sent["email"].failures_left == 95  # one try each, then no more
    [notice] = sent["console"].notices
    assert "k•••@example.com" in notice.text and "provider is down" in notice.text
    fresh = await Account.get(id=account.id)
    assert fresh.email_verified_at is None and fresh.phone_verified_at is not None
