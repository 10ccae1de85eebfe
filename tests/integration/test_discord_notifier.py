"""Discord alert delivery in-process: the real discord.py client (REST only, no gateway)
against the fake Discord, with the database behind core's failure handling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.discord.client import MonitorClient
from bot.discord.config import DiscordConfig, point_discord_py
from bot.discord.notifier import DiscordNotifier
from core.dispatcher import Dispatcher, DispatcherOptions
from core.enums import AlertKind, AlertStatus, Channel, Platform, SearchStatus
from core.errors import DeliveryError
from core.models import Account, Alert, Destination, Notice, Search
from core.ports import AlertMessage, AlertTarget, ListingData
from tests.fakes.alerts import queue_alerts
from tests.fakes.discord_api import (
    CANNOT_DM,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    TOKEN,
    FakeDiscord,
    api_url,
    fault,
    rate_limited,
    running_fake_discord,
)

pytestmark = pytest.mark.usefixtures("db")


class _NoIntake:
    async def command(self, *_: object) -> None: ...
    async def pressed(self, *_: object) -> None: ...
    async def submitted(self, *_: object) -> None: ...
    async def autocomplete(self, *_: object) -> list[object]:
        return []

    async def failed(self, *_: object) -> None: ...
    def ready(self) -> None: ...


@dataclass
class World:
    fake: FakeDiscord
    notifier: DiscordNotifier
    channel_id: str
    search: Search
    owner_dm: Destination


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with running_fake_discord() as fake:
        guild = fake.add_guild("Bikes")
        channel_id = guild["channels"][0]["id"]
        config = DiscordConfig(token=TOKEN, api_url=api_url(fake), gateway_url=fake.ws_url)
        point_discord_py(config.api_url, config.gateway_url)
        client = MonitorClient(config, _NoIntake())  # type: ignore[arg-type]
        await client.login(TOKEN)
        ready = asyncio.Event()
        ready.set()
        owner = await Account.create()
        channel = await Destination.create(
            platform=Platform.DISCORD, chat_id=channel_id, kind="channel", account=owner
        )
        owner_dm = await Destination.create(
            platform=Platform.DISCORD, chat_id="555", kind="private", account=owner
        )
        search = await Search.create(
            account=owner, destination=channel, name="Road bikes", criteria={"keywords": "bike"},
            marketplaces=["sandbox"], channels=["chat"], interval_seconds=900,
            next_check_at=datetime.now(UTC),
        )  # fmt: skip
        try:
            yield World(fake, DiscordNotifier(client, ready), channel_id, search, owner_dm)
        finally:
            await client.close()


def _alert(world: World, **changes: object) -> AlertMessage:
    listing = ListingData(
        marketplace="sandbox", external_id="1", url="https://sandbox.example/item/1",
        title="Carbon road bike", price=Decimal("210"), location="Leeds",
        image_url="https://sandbox.example/item/1.jpg",
    )  # fmt: skip
    alert = AlertMessage(
        alert_id=1, match_id=77, search_id=world.search.id, search_name="Road bikes",
        channel=Channel.CHAT, kind=AlertKind.NEW_LISTING, listing=listing,
        target=AlertTarget(Platform.DISCORD, world.channel_id, world.search.account_id),  # type: ignore[attr-defined]
    )  # fmt: skip
    return replace(alert, **changes)  # type: ignore[arg-type]


async def test_an_alert_is_one_embed_with_persistent_buttons_and_no_mentions(world: World) -> None:
    result = await world.notifier.send(_alert(world))
    sent = world.fake.messages[-1]
    assert result.provider_message_id == f"{world.channel_id}:{sent.id}"
    embed = sent.data["embeds"][0]
    assert embed["title"] == "Carbon road bike" and embed["url"].endswith("/item/1")
    assert embed["image"]["url"].endswith("1.jpg") and "Road bikes" in embed["footer"]["text"]
    assert [b.get("custom_id") for b in sent.buttons()] == [None, "mm:a:77:s", "mm:a:77:h"]
    assert sent.data["allowed_mentions"] == {"parse": []}


async def test_outside_strings_are_escaped_and_cut_to_discords_limits(world: World) -> None:
    long = "@everyone **bold** " + "x" * 7000
    listing = replace(_alert(world).listing, title=long, location=long, marketplace=long)
    await world.notifier.send(_alert(world, listing=listing, search_name=long))
    embed = world.fake.messages[-1].data["embeds"][0]  # the fake refused nothing over limits
    assert len(embed["title"]) == 256 and embed["title"].endswith("…")
    where = next(f["value"] for f in embed["fields"] if f["name"] == "Where")
    assert where.startswith("@\u200beveryone \\*\\*bold")


async def test_a_short_429_is_waited_out_and_delivers_once(world: World) -> None:
    world.fake.fail_next(world.channel_id, rate_limited(0.3))
    started = time.monotonic()
    await world.notifier.send(_alert(world))
    assert time.monotonic() - started >= 0.3
    assert len(world.fake.messages) == 1


async def test_a_long_429_goes_back_to_the_outbox_at_once(world: World) -> None:
    world.fake.fail_next(world.channel_id, rate_limited(90))
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        await world.notifier.send(_alert(world))
    assert not caught.value.permanent and time.monotonic() - started < 5
    assert not world.fake.messages


@pytest.mark.parametrize("kind", [MISSING_ACCESS, CANNOT_DM])
async def test_a_closed_channel_is_deactivated_its_searches_paused_owner_told_once(
    world: World, kind: tuple[int, int, str]
) -> None:
    for _ in range(2):
        world.fake.fail_next(world.channel_id, fault(kind))
        with pytest.raises(DeliveryError) as caught:
            await world.notifier.send(_alert(world))
        assert caught.value.permanent
    assert (await Search.get(id=world.search.id)).status is SearchStatus.PAUSED
    assert not (await Destination.get(chat_id=world.channel_id)).active
    assert await Notice.filter(destination_id=world.owner_dm.id).count() == 1


async def test_a_deleted_channel_is_deactivated(world: World) -> None:
    world.fake.delete_channel(world.channel_id)
    with pytest.raises(DeliveryError) as caught:
        await world.notifier.send(_alert(world))
    assert caught.value.permanent
    assert (await Search.get(id=world.search.id)).status is SearchStatus.PAUSED


async def test_missing_permissions_pauses_the_search_and_tells_its_owner(world: World) -> None:
    world.fake.fail_next(world.channel_id, fault(MISSING_PERMISSIONS))
    with pytest.raises(DeliveryError) as caught:
        await world.notifier.send(_alert(world))
    assert caught.value.permanent
    assert (await Search.get(id=world.search.id)).status is SearchStatus.PAUSED
    assert (await Destination.get(chat_id=world.channel_id)).active  # the channel stays
    notice = await Notice.get(destination_id=world.owner_dm.id)
    assert f"#{world.search.id}" in notice.text


async def test_a_burst_for_one_channel_is_one_message_and_a_429_delivers_each_once(
    world: World,
) -> None:
    """Issue 12: 7 alerts due together for one channel go as one message of 7 embeds; a long
    429 on that send returns all 7 to the outbox, and each is delivered exactly once later."""
    destination = await Destination.get(chat_id=world.channel_id)
    seeded = await queue_alerts(
        await Account.get(id=destination.account_id),  # type: ignore[attr-defined]
        destination, ["chat"], count=7,
    )  # fmt: skip
    dispatcher = Dispatcher(
        {"discord": world.notifier}, options=DispatcherOptions(retry_base_seconds=0.01)
    )
    world.fake.fail_next(world.channel_id, rate_limited(90))
    await dispatcher.tick()
    assert not world.fake.messages
    rows = await Alert.filter(id__in=seeded.alert_ids)
    assert {r.status for r in rows} == {AlertStatus.PENDING} and {r.attempts for r in rows} == {1}

    await Alert.filter(id__in=seeded.alert_ids).update(
        next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)
    )
    await dispatcher.tick()
    [sent] = world.fake.messages
    embeds = sent.data["embeds"]
    assert len(embeds) == 7 and embeds[0]["footer"]["text"].startswith("1 · ")
    assert [b["label"] for b in sent.buttons()][:4] == [
        "⭐ Save 1",
        "🙈 Hide 1",
        "⭐ Save 2",
        "🙈 Hide 2",
    ]
    assert sent.data["allowed_mentions"] == {"parse": []}
    rows = await Alert.filter(id__in=seeded.alert_ids)
    assert {r.status for r in rows} == {AlertStatus.SENT}
    assert {r.provider_message_id for r in rows} == {f"{world.channel_id}:{sent.id}"}
    await dispatcher.tick()
    assert len(world.fake.messages) == 1  # exactly once
