"""Webhook alerts: signed JSON to a local receiver that checks signatures as the README says.

These deliver to 127.0.0.1, so they run with private targets allowed (as
WEBHOOK_ALLOW_PRIVATE_TARGETS=true does); test_webhook_ssrf.py checks the guard itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertKind, AlertStatus
from core.errors import DeliveryError
from core.models import Account, Alert
from notifiers import Throttle, WebhookNotifier
from tests.fakes.alerts import (
    WEBHOOK_SECRET,
    deliver_until,
    queue_alerts,
    statuses,
    tick_for,
    verified_account,
)
from tests.fakes.notifier import RecordingNotifier
from tests.fakes.webhook_receiver import WebhookReceiver

FAST = DispatcherOptions(retry_base_seconds=0.2, retry_cap_seconds=0.8, idle_sleep_seconds=0.05)


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver(secret=WEBHOOK_SECRET).running() as hook:
        yield hook


def local_notifier() -> WebhookNotifier:
    return WebhookNotifier(allow_private=True, throttle=Throttle(1000, 1000))


async def test_a_webhook_alert_follows_the_documented_schema_and_signature(
    db: str, receiver: WebhookReceiver
) -> None:
    account, destination = await verified_account(webhook=receiver.url)
    seeded = await queue_alerts(account, destination, ["chat", "webhook"])
    dispatcher = Dispatcher({"webhook": local_notifier(), "console": RecordingNotifier()})

    await dispatcher.tick()

    assert receiver.bad_signatures == 0
    [payload], [headers] = receiver.deliveries, receiver.headers
    alert_id = seeded.alert_ids[1]
    assert payload["schema"] == "marketplace-monitor.alert" and payload["version"] == 1
    assert payload["id"] == f"alert-{alert_id}" == headers["X-Monitor-Delivery"]
    assert payload["type"] == "alert.new_listing" == headers["X-Monitor-Event"]
    assert payload["created_at"].endswith("Z")
    assert payload["search"] == {"id": seeded.search.id, "name": "Cheap PS5"}
    listing = payload["listing"]
    assert listing["price"] == "210.00" and listing["currency"] == "GBP"
    assert listing["old_price"] is None
    assert listing["url"].startswith("https://marketplace.example/item/")
    assert listing["title"] == "Sony PS5 Disc Edition 825GB – boxed"
    assert set(listing) == {
        "marketplace", "external_id", "url", "title", "description", "price", "old_price",
        "currency", "location", "image_url", "seller", "condition", "category", "posted_at",
        "postage", "total", "collection_only", "buying_format", "current_bid", "bid_count",
        "ends_at",
    }  # fmt: skip
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("MarketplaceMonitor-Webhook/")
    assert headers["X-Monitor-Signature"].startswith("v1=")
    row = await Alert.get(id=alert_id)
    assert row.status is AlertStatus.SENT and row.provider_message_id == f"alert-{alert_id}"
    assert row.click_token is None  # webhooks carry the listing URL itself


async def test_a_price_drop_carries_the_old_price(db: str, receiver: WebhookReceiver) -> None:
    account, destination = await verified_account(webhook=receiver.url)
    seeded = await queue_alerts(account, destination, ["webhook"])
    await Alert.filter(id=seeded.alert_ids[0]).update(
        kind=AlertKind.PRICE_DROP, old_price=Decimal("250.00"), event="drop:210.00"
    )
    await Dispatcher({"webhook": local_notifier()}).tick()
    [payload] = receiver.deliveries
    assert payload["type"] == "alert.price_drop"
    assert (payload["listing"]["price"], payload["listing"]["old_price"]) == ("210.00", "250.00")


async def test_a_receiver_outage_loses_nothing_and_sends_nothing_twice(
    db: str, receiver: WebhookReceiver
) -> None:
    account, destination = await verified_account(webhook=receiver.url)
    seeded = await queue_alerts(account, destination, ["webhook"], count=20)
    dispatcher = Dispatcher({"webhook": local_notifier()}, options=FAST)
    assert receiver.server is not None

    receiver.status = 503
    await tick_for(dispatcher, 1.0)
    receiver.status = 200
    await receiver.server.go_away()
    await tick_for(dispatcher, 1.0)
    assert receiver.deliveries == [] and (await statuses("webhook"))[AlertStatus.PENDING] == 20
    await receiver.server.come_back()
    async with asyncio.timeout(20):
        await deliver_until(dispatcher, lambda: len(receiver.deliveries) >= 20)
    await tick_for(dispatcher, 0.5)

    ids = receiver.ids()
    assert sorted(ids) == sorted(f"alert-{i}" for i in seeded.alert_ids)
    assert set(ids.values()) == {1}
    assert await statuses("webhook") == {AlertStatus.SENT: 20}
    failed = sum(a.attempts for a in await Alert.all()) - 20
    print(f"webhook outage: 20 alerts, {failed} failed attempts, 20 delivered once")
    assert failed >= 20


@pytest.mark.parametrize("status", [401, 404, 410])
async def test_a_4xx_stops_retries_and_tells_the_user_once(
    db: str, receiver: WebhookReceiver, status: int
) -> None:
    account, destination = await verified_account(webhook=receiver.url)
    await queue_alerts(account, destination, ["webhook"], count=3)
    receiver.status = status
    chat = RecordingNotifier()
    dispatcher = Dispatcher({"webhook": local_notifier(), "console": chat}, options=FAST)

    await tick_for(dispatcher, 1.0)

    assert await statuses("webhook") == {AlertStatus.FAILED: 3}
    assert receiver.requests == 3
    [notice] = chat.notices
    assert f"HTTP {status}" in notice.text and "/settings webhook" in notice.text
    assert (await Account.get(id=account.id)).webhook_verified_at is None


async def test_a_wrong_signature_is_what_a_receiver_refuses(
    db: str, receiver: WebhookReceiver
) -> None:
    with pytest.raises(DeliveryError) as caught:
        await local_notifier().probe(receiver.url, "whsec_not-the-receivers-secret")
    assert caught.value.permanent and "HTTP 401" in str(caught.value)
    assert receiver.bad_signatures == 1 and receiver.deliveries == []


async def test_the_test_delivery(db: str, receiver: WebhookReceiver) -> None:
    await local_notifier().probe(receiver.url, WEBHOOK_SECRET)
    [payload] = receiver.deliveries
    assert payload["type"] == "webhook.test" == receiver.headers[0]["X-Monitor-Event"]
    assert payload["id"].startswith("test-") and payload["version"] == 1


async def test_a_slow_receiver_times_out_as_a_transient_error(db: str) -> None:
    notifier = WebhookNotifier(allow_private=True)
    notifier.timeout = type(notifier.timeout)(total=0.5)
    hold = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await hold.wait()  # accepts, never answers
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(DeliveryError) as caught:
            await notifier.probe(f"http://127.0.0.1:{port}/hook", WEBHOOK_SECRET)
        assert not caught.value.permanent and "no answer" in str(caught.value)
    finally:
        hold.set()
        server.close()
        await server.wait_closed()
