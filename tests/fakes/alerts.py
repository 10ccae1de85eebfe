"""Seeds an account with verified destinations, a search and queued outbox rows, so the
delivery tests start where the runner leaves off (alerts pending in the outbox)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from core.accounts import destination_for, identify
from core.dispatcher import Dispatcher
from core.enums import AlertKind, AlertStatus, Platform
from core.models import Account, Alert, Destination, Listing, Match, Search
from core.outbox import AlertIntent, alert_rows

WEBHOOK_SECRET = "whsec_test-secret-0123456789"


@dataclass
class Seeded:
    account: Account
    destination: Destination
    search: Search
    alert_ids: list[int]


async def verified_account(
    user: str = "dana",
    *,
    email: str | None = None,
    phone: str | None = None,
    webhook: str | None = None,
    secret: str = WEBHOOK_SECRET,
) -> tuple[Account, Destination]:
    account = await identify(Platform.CONSOLE, user)
    now = datetime.now(UTC) - timedelta(days=1)
    if email:
        account.email, account.email_verified_at = email, now
    if phone:
        account.phone, account.phone_verified_at = phone, now
    if webhook:
        account.webhook_url, account.webhook_verified_at = webhook, now
        account.webhook_secret = secret
    await account.save()
    destination = await destination_for(account, Platform.CONSOLE, f"chat-{user}")
    return account, destination


async def queue_alerts(
    account: Account,
    destination: Destination,
    channels: Sequence[str],
    count: int = 1,
    *,
    title: str = "Sony PS5 Disc Edition 825GB – boxed",
    price: str = "210.00",
    now: datetime | None = None,
) -> Seeded:
    now = now or datetime.now(UTC)
    search = await Search.create(
        account=account,
        destination=destination,
        name="Cheap PS5",
        criteria={"keywords": "ps5"},
        marketplaces=["sandbox"],
        channels=list(channels),
        interval_seconds=900,
        next_check_at=now + timedelta(hours=1),
        primed_at=now,
    )
    intents = []
    for n in range(count):
        listing = await Listing.create(
            marketplace="sandbox",
            external_id=f"sbx-{search.id}-{n}",
            url=f"https://marketplace.example/item/{search.id}-{n}",
            title=f"{title} #{n}" if count > 1 else title,
            price=Decimal(price),
            location="Leeds",
            image_url=f"https://img.example/{n}.jpg",
            first_seen_at=now,
            last_seen_at=now,
        )
        match = await Match.create(search=search, listing=listing)
        intents.append(AlertIntent(match.id, search.id, AlertKind.NEW_LISTING))
    await Alert.bulk_create(alert_rows(intents, channels, destination.platform.value, now))
    ids = [a.id for a in await Alert.filter(match__search_id=search.id).order_by("id")]
    return Seeded(account, destination, search, ids)


async def statuses(channel: str) -> dict[AlertStatus, int]:
    found: dict[AlertStatus, int] = {}
    for alert in await Alert.filter(channel=channel):
        found[alert.status] = found.get(alert.status, 0) + 1
    return found


async def deliver_until(
    dispatcher: Dispatcher, done: Callable[[], bool], *, step: float = 0.05
) -> float:
    """Tick the dispatcher (real time) until ``done()``; returns the seconds it took.

    Wrap in ``asyncio.timeout`` to bound it.
    """
    started = time.monotonic()
    while not done():
        await dispatcher.tick()
        await asyncio.sleep(step)
    return time.monotonic() - started


async def tick_for(dispatcher: Dispatcher, seconds: float, *, step: float = 0.05) -> None:
    """Tick the dispatcher for ``seconds`` of real time; never cuts a batch off half-way (a
    cancelled send would sit under its lease)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await dispatcher.tick()
        await asyncio.sleep(step)
