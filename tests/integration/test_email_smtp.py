"""Email alerts through aiosmtplib to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertStatus
from core.models import Account, Alert
from notifiers import Links, SmtpNotifier, SmtpServer, Throttle
from tests.fakes.alerts import (
    deliver_until,
    queue_alerts,
    statuses,
    tick_for,
    verified_account,
)
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.smtp_server import FakeSmtpServer

PUBLIC = "https://mm.example"
SENDER = "Marketplace Monitor <alerts@mm.example>"
FAST = DispatcherOptions(retry_base_seconds=0.2, retry_cap_seconds=0.8, idle_sleep_seconds=0.05)


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtpServer]:
    async with FakeSmtpServer().running() as server:
        yield server


def notifier_for(smtp: FakeSmtpServer) -> SmtpNotifier:
    server = SmtpServer.from_url(smtp.url)
    return SmtpNotifier(
        server, SENDER, Links(PUBLIC), timeout_seconds=5, throttle=Throttle(1000, 1000)
    )


def test_the_smtp_url_is_parsed_without_showing_the_password() -> None:
    server = SmtpServer.from_url("smtps://me%40x.com:p%40ss@mail.example:465")
    assert (server.hostname, server.port, server.use_tls) == ("mail.example", 465, True)
    assert (server.username, server.password) == ("me@x.com", "p@ss")
    assert "p@ss" not in repr(server)


async def test_an_alert_email_arrives_over_smtp(db: str, smtp: FakeSmtpServer) -> None:
    account, destination = await verified_account(email="dana@example.com")
    await queue_alerts(account, destination, ["chat", "email"])
    dispatcher = Dispatcher({"email": notifier_for(smtp), "console": RecordingNotifier()})

    await dispatcher.tick()

    [message] = smtp.received
    assert smtp.envelopes == [("alerts@mm.example", ["dana@example.com"])]
    assert smtp.logins == ["alerts"]  # the credentials of SMTP_URL were used
    assert message["To"] == "dana@example.com" and "£210.00" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [alert] = await Alert.filter(channel="email")
    assert alert.status is AlertStatus.SENT and alert.provider_message_id == message["Message-ID"]
    assert f"{PUBLIC}/r/{alert.click_token}" in text and f"{PUBLIC}/r/{alert.click_token}" in html
    # A long header may be folded before the URL (RFC 5322); unfolded, it is the one link.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith(f"<{PUBLIC}/unsubscribe/{account.id}.0.")
    assert unsubscribe.endswith(">") and " " not in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Monitor-Alert"] == str(alert.id)


async def test_an_smtp_outage_loses_nothing_and_sends_nothing_twice(
    db: str, smtp: FakeSmtpServer
) -> None:
    account, destination = await verified_account(email="dana@example.com")
    seeded = await queue_alerts(account, destination, ["email"], count=15)
    dispatcher = Dispatcher({"email": notifier_for(smtp)}, options=FAST)

    await smtp.go_away()  # connections refused
    await tick_for(dispatcher, 2.0)
    assert smtp.received == [] and (await statuses("email"))[AlertStatus.PENDING] == 15
    await smtp.come_back()
    async with asyncio.timeout(20):
        await deliver_until(dispatcher, lambda: len(smtp.received) >= 15)
    await tick_for(dispatcher, 0.5)

    sent = Counter(m["X-Monitor-Alert"] for m in smtp.received)
    assert sorted(sent) == sorted(str(i) for i in seeded.alert_ids)
    assert set(sent.values()) == {1}
    assert await statuses("email") == {AlertStatus.SENT: 15}
    failed = sum(a.attempts for a in await Alert.all()) - 15
    print(f"smtp outage: 15 alerts, {failed} failed attempts, 15 delivered once")
    assert failed >= 15


async def test_a_refused_mailbox_tells_the_user_once(
    db: str, smtp: FakeSmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    account, destination = await verified_account(email="nobody@example.com")
    await queue_alerts(account, destination, ["email"], count=2)
    smtp.refused.add("nobody@example.com")
    chat = RecordingNotifier()
    dispatcher = Dispatcher({"email": notifier_for(smtp), "console": chat}, options=FAST)

    await tick_for(dispatcher, 1.0)

    assert await statuses("email") == {AlertStatus.FAILED: 2}
    assert len(chat.notices) == 1 and "550" in chat.notices[0].text
    assert "n•••@example.com" in chat.notices[0].text
    assert "nobody@example.com" not in chat.notices[0].text + caplog.text  # the server echoes it
    assert (await Account.get(id=account.id)).email_verified_at is None
