"""Email alerts through the real ``sendgrid`` library against a local SendGrid API."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertStatus
from core.errors import DeliveryError
from core.models import Account, Alert
from notifiers import Links, SendgridNotifier, Throttle
from tests.fakes.alerts import (
    deliver_until,
    queue_alerts,
    statuses,
    tick_for,
    verified_account,
)
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.sendgrid_api import API_KEY, FakeSendgridApi

PUBLIC = "https://mm.example"
SENDER = "Marketplace Monitor <alerts@mm.example>"
FAST = DispatcherOptions(retry_base_seconds=0.2, retry_cap_seconds=0.8, idle_sleep_seconds=0.05)


@pytest.fixture
async def sendgrid() -> AsyncIterator[FakeSendgridApi]:
    async with FakeSendgridApi().running() as api:
        yield api


def notifier_for(api: FakeSendgridApi, key: str = API_KEY) -> SendgridNotifier:
    return SendgridNotifier(
        key, SENDER, Links(PUBLIC), api_url=api.url, throttle=Throttle(1000, 1000)
    )


async def test_an_alert_email_is_delivered_with_links_and_unsubscribe(
    db: str, sendgrid: FakeSendgridApi
) -> None:
    account, destination = await verified_account(email="dana@example.com")
    seeded = await queue_alerts(account, destination, ["chat", "email"])
    chat = RecordingNotifier()
    dispatcher = Dispatcher({"email": notifier_for(sendgrid), "console": chat}, options=FAST)

    assert await dispatcher.tick() == 2

    [mail] = sendgrid.accepted
    assert sendgrid.recipients() == ["dana@example.com"]
    assert mail["from"] == {"name": "Marketplace Monitor", "email": "alerts@mm.example"}
    assert "Sony PS5 Disc Edition" in mail["subject"] and "£210.00" in mail["subject"]
    text, html = (c["value"] for c in mail["content"])
    [email_alert] = await Alert.filter(channel="email")
    assert email_alert.status is AlertStatus.SENT and email_alert.provider_message_id
    assert email_alert.click_token and len(email_alert.click_token) >= 22
    click = f"{PUBLIC}/r/{email_alert.click_token}"
    assert click in text and f'href="{click}"' in html
    assert 'src="https://img.example/0.jpg"' in html and "Leeds" in html and "sandbox" in html
    unsubscribe = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{PUBLIC}/unsubscribe/{account.id}.")
    assert unsubscribe in text and unsubscribe in html
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["custom_args"] == {"alert_id": str(seeded.alert_ids[1])}
    assert mail["tracking_settings"]["click_tracking"]["enable"] is False
    assert len(chat.sent) == 1  # chat is always on


async def test_listing_text_is_escaped_in_the_html(db: str, sendgrid: FakeSendgridApi) -> None:
    account, destination = await verified_account(email="dana@example.com")
    await queue_alerts(account, destination, ["email"], title='<script>alert("x")</script> PS5')
    await Dispatcher({"email": notifier_for(sendgrid)}, options=FAST).tick()
    html = sendgrid.accepted[0]["content"][1]["value"]
    assert "<script>" not in html and "&lt;script&gt;" in html


async def test_a_sendgrid_outage_loses_nothing_and_sends_nothing_twice(
    db: str, sendgrid: FakeSendgridApi
) -> None:
    account, destination = await verified_account(email="dana@example.com")
    seeded = await queue_alerts(account, destination, ["email"], count=20)
    dispatcher = Dispatcher({"email": notifier_for(sendgrid)}, options=FAST)
    assert sendgrid.server is not None

    sendgrid.status_override = 503  # first the API answers 503 …
    await tick_for(dispatcher, 1.0)
    sendgrid.status_override = None
    await sendgrid.server.go_away()  # … then refuses connections altogether
    await tick_for(dispatcher, 1.0)
    assert sendgrid.accepted == [] and (await statuses("email"))[AlertStatus.PENDING] == 20
    await sendgrid.server.come_back()

    async with asyncio.timeout(20):
        await deliver_until(dispatcher, lambda: len(sendgrid.accepted) >= 20)
    await tick_for(dispatcher, 0.5)  # nothing else may arrive

    sent = Counter(m["custom_args"]["alert_id"] for m in sendgrid.accepted)
    assert sorted(sent) == sorted(str(i) for i in seeded.alert_ids)
    assert set(sent.values()) == {1}, "an alert was delivered twice"
    assert await statuses("email") == {AlertStatus.SENT: 20}
    failed_attempts = sum(a.attempts for a in await Alert.all()) - 20
    print(f"sendgrid outage: 20 alerts, {failed_attempts} failed attempts, 20 delivered once")
    assert failed_attempts >= 20


async def test_a_refused_address_stops_retries_and_tells_the_user_once(
    db: str, sendgrid: FakeSendgridApi
) -> None:
    account, destination = await verified_account(email="gone@example.com")
    await queue_alerts(account, destination, ["chat", "email"], count=3)
    sendgrid.undeliverable.add("gone@example.com")
    chat = RecordingNotifier()
    dispatcher = Dispatcher({"email": notifier_for(sendgrid), "console": chat}, options=FAST)

    await tick_for(dispatcher, 1.5)

    assert await statuses("email") == {AlertStatus.FAILED: 3}
    assert sendgrid.requests == 3  # one try each, no retries
    assert len(chat.notices) == 1
    assert "g•••@example.com" in chat.notices[0].text and "/settings email" in chat.notices[0].text
    assert "gone@example.com" not in chat.notices[0].text
    assert (await Account.get(id=account.id)).email_verified_at is None
    # Alerts queued later for the revoked address are cancelled without a send or a notice.
    await queue_alerts(account, destination, ["email"])
    await tick_for(dispatcher, 0.5)
    assert sendgrid.requests == 3 and len(chat.notices) == 1
    assert (await statuses("email"))[AlertStatus.CANCELLED] == 1


async def test_a_wrong_api_key_is_retried_not_blamed_on_the_user(
    db: str, sendgrid: FakeSendgridApi
) -> None:
    notifier = notifier_for(sendgrid, key="SG.wrong")
    with pytest.raises(DeliveryError) as caught:
        await notifier.send_code("dana@example.com", "123456", 10)
    assert not caught.value.permanent and "401" in str(caught.value)


async def test_a_verification_code_email(db: str, sendgrid: FakeSendgridApi) -> None:
    await notifier_for(sendgrid).send_code("dana@example.com", "042917", 10)
    [mail] = sendgrid.accepted
    assert "042917" in mail["subject"] and "042917" in mail["content"][0]["value"]
    assert "headers" not in mail  # no unsubscribe header on a code
