"""SMS alerts through the real ``twilio`` async client against a local Twilio API."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest

from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertStatus
from core.errors import DeliveryError
from core.models import Account, Alert
from notifiers import Links, Throttle, TwilioNotifier
from tests.fakes.alerts import (
    deliver_until,
    queue_alerts,
    statuses,
    tick_for,
    verified_account,
)
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilioApi

PUBLIC = "https://mm.example"
PHONE = "+447911123456"
FAST = DispatcherOptions(retry_base_seconds=0.2, retry_cap_seconds=0.8, idle_sleep_seconds=0.05)


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioApi]:
    async with FakeTwilioApi().running() as api:
        yield api


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def notifier_for(
    api: FakeTwilioApi, http: aiohttp.ClientSession, token: str = AUTH_TOKEN
) -> TwilioNotifier:
    return TwilioNotifier(
        http,
        ACCOUNT_SID,
        token,
        FROM_NUMBER,
        Links(PUBLIC),
        api_url=api.url,
        throttle=Throttle(1000, 1000),
    )


async def test_an_sms_alert_is_one_segment_with_a_tracked_link(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession
) -> None:
    account, destination = await verified_account(phone=PHONE)
    long_title = "Sony PlayStation 5 Disc Edition 825GB console – boxed, two pads, 4 games " * 3
    await queue_alerts(account, destination, ["chat", "sms"], title=long_title)
    dispatcher = Dispatcher({"sms": notifier_for(twilio, http), "console": RecordingNotifier()})

    await dispatcher.tick()

    [message] = twilio.messages
    [alert] = await Alert.filter(channel="sms")
    assert message["to"] == PHONE and message["from"] == FROM_NUMBER
    assert message["num_segments"] == "1", message["body"]
    assert message["body"].startswith("£210.00 Sony PlayStation 5")
    assert message["body"].endswith(f" {PUBLIC}/r/{alert.click_token}")
    assert alert.status is AlertStatus.SENT and alert.provider_message_id == message["sid"]


async def test_a_twilio_outage_loses_nothing_and_sends_nothing_twice(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession
) -> None:
    account, destination = await verified_account(phone=PHONE)
    await queue_alerts(account, destination, ["sms"], count=20)
    dispatcher = Dispatcher({"sms": notifier_for(twilio, http)}, options=FAST)
    assert twilio.server is not None

    twilio.status_override = 500
    await tick_for(dispatcher, 1.0)
    twilio.status_override = None
    await twilio.server.go_away()
    await tick_for(dispatcher, 1.0)
    assert twilio.messages == [] and (await statuses("sms"))[AlertStatus.PENDING] == 20
    await twilio.server.come_back()
    async with asyncio.timeout(20):
        await deliver_until(dispatcher, lambda: len(twilio.messages) >= 20)
    await tick_for(dispatcher, 0.5)

    tokens = {a.click_token: a.id for a in await Alert.filter(channel="sms")}
    sent = Counter(m["body"].rsplit("/r/", 1)[1] for m in twilio.messages)
    assert set(sent) == set(tokens) and set(sent.values()) == {1}
    assert await statuses("sms") == {AlertStatus.SENT: 20}
    failed = sum(a.attempts for a in await Alert.all()) - 20
    print(f"twilio outage: 20 alerts, {failed} failed attempts, 20 delivered once")
    assert failed >= 20


@pytest.mark.parametrize(
    ("number", "code"), [("+15005550001", 21211), ("+15005550004", 21610), ("+15005550009", 21614)]
)
async def test_a_refused_number_stops_retries_and_tells_the_user_once(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession, number: str, code: int
) -> None:
    account, destination = await verified_account(phone=number)
    await queue_alerts(account, destination, ["chat", "sms"], count=3)
    chat = RecordingNotifier()
    dispatcher = Dispatcher({"sms": notifier_for(twilio, http), "console": chat}, options=FAST)

    await tick_for(dispatcher, 1.0)

    assert await statuses("sms") == {AlertStatus.FAILED: 3}
    assert twilio.requests == 3 and twilio.messages == []
    assert len(chat.notices) == 1 and f"error {code}" in chat.notices[0].text
    assert number not in chat.notices[0].text  # masked
    assert (await Account.get(id=account.id)).phone_verified_at is None


async def test_bad_credentials_are_retried_not_blamed_on_the_user(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await notifier_for(twilio, http, token="wrong").send_code(PHONE, "123456", 10)
    assert not caught.value.permanent and "20003" in str(caught.value)


async def test_a_verification_code_text(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession
) -> None:
    await notifier_for(twilio, http).send_code(PHONE, "042917", 10)
    [message] = twilio.messages
    assert (
        "042917" in message["body"]
        and "/" not in message["body"]
        and message["num_segments"] == "1"
    )


async def test_sms_past_the_plans_monthly_allowance_go_to_chat_only_said_once(
    db: str, twilio: FakeTwilioApi, http: aiohttp.ClientSession
) -> None:
    from dataclasses import replace

    from core.enums import Tier
    from core.models import Notice
    from core.tiers import DEFAULT_TIERS, TierTable

    tiers = TierTable(
        {**DEFAULT_TIERS, Tier.FREE: replace(DEFAULT_TIERS[Tier.FREE], monthly_sms=2)}
    )
    account, destination = await verified_account(phone=PHONE)
    await queue_alerts(account, destination, ["chat", "sms"], count=4)
    chat = RecordingNotifier()
    dispatcher = Dispatcher(
        {"sms": notifier_for(twilio, http), "console": chat}, options=FAST, tiers=tiers
    )
    await tick_for(dispatcher, 0.5)

    assert len(twilio.messages) == 2
    assert await statuses("sms") == {AlertStatus.SENT: 2, AlertStatus.CANCELLED: 2}
    assert await statuses("chat") == {AlertStatus.SENT: 4}
    told = [n.text for n in await Notice.all() if "SMS alerts" in n.text]
    assert len(told) == 1 and "this month's 2 SMS alerts" in told[0]
    assert (await Account.get(id=account.id)).sms_sent == 2
