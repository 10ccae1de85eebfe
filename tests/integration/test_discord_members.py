"""Issue 12: noticing that a channel search's creator left the server (or lost Manage
Server) without the privileged Server Members intent: the real discord.py REST client asks
the fake Discord for the member and the server's roles, and core.adoption pauses their
searches there and tells the channel once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.discord.client import MonitorClient
from bot.discord.config import DiscordConfig, point_discord_py
from bot.discord.members import Departures, DiscordManagers
from core.accounts import destination_for, identify
from core.enums import Platform, SearchStatus
from core.manager_roles import set_manager_role
from core.models import Notice, Search
from tests.fakes.discord_api import (
    MANAGE_GUILD,
    TOKEN,
    FakeDiscord,
    api_url,
    running_fake_discord,
)
from tests.integration.test_discord_notifier import _NoIntake

pytestmark = pytest.mark.usefixtures("db")

OWNER, MOD, HELPER, MEMBER = "3001", "3002", "3003", "3004"


@dataclass
class World:
    fake: FakeDiscord
    client: MonitorClient
    guild: dict[str, Any]
    mods: str
    helpers: str

    @property
    def guild_id(self) -> str:
        return str(self.guild["id"])

    @property
    def channel_id(self) -> str:
        return str(self.guild["channels"][0]["id"])


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with running_fake_discord() as fake:
        guild = fake.add_guild("Bikes", owner=FakeDiscord.user(int(OWNER), "Ann"))
        mods = fake.add_role(guild, "Mods", permissions=MANAGE_GUILD)
        helpers = fake.add_role(guild, "Helpers")  # no Manage Server of its own
        fake.set_member_roles(guild["id"], MOD, [mods])
        fake.set_member_roles(guild["id"], HELPER, [helpers])
        config = DiscordConfig(token=TOKEN, api_url=api_url(fake), gateway_url=fake.ws_url)
        point_discord_py(config.api_url, config.gateway_url)
        client = MonitorClient(config, _NoIntake())  # type: ignore[arg-type]
        await client.login(TOKEN)
        try:
            yield World(fake, client, guild, mods, helpers)
        finally:
            await client.close()


async def test_still_manages_from_the_member_and_the_servers_roles(world: World) -> None:
    check = DiscordManagers(world.client, world.guild_id, None)
    assert await check.still_manages(OWNER) is True  # the server's owner
    assert await check.still_manages(MOD) is True  # a role with Manage Server
    assert await check.still_manages(HELPER) is False
    assert await check.still_manages(MEMBER) is False
    world.fake.leave(world.guild_id, MOD)
    assert await check.still_manages(MOD) is False  # 10007 Unknown Member
    with_role = DiscordManagers(world.client, world.guild_id, world.helpers)
    assert await with_role.still_manages(HELPER) is True  # the /managerrole role
    elsewhere = DiscordManagers(world.client, "1234567890", None)
    assert await elsewhere.still_manages(OWNER) is None  # 10004 Unknown Guild: unsure


async def _search(user_id: str, name: str, channel_id: str) -> Search:
    account = await identify(Platform.DISCORD, user_id, name)
    channel = await destination_for(account, Platform.DISCORD, channel_id, kind="channel")
    return await Search.create(
        account=account, destination=channel, name=f"{name}'s", criteria={"keywords": "bike"},
        marketplaces=["sandbox"], channels=["chat"], interval_seconds=900,
        next_check_at=datetime.now(UTC),
    )  # fmt: skip


async def test_departures_pause_who_left_or_lost_manage_server(world: World) -> None:
    anns = await _search(OWNER, "Ann", world.channel_id)
    mods = await _search(MOD, "Mo", world.channel_id)
    helpers = await _search(HELPER, "Hal", world.channel_id)
    await set_manager_role(Platform.DISCORD, world.guild_id, world.helpers)
    departures = Departures(world.client, lambda: datetime.now(UTC))

    assert await departures.review(world.channel_id) == []  # everyone still manages
    world.fake.set_member_roles(world.guild_id, MOD, [])  # Mo lost Manage Server
    await departures.on_use(world.channel_id, world.guild_id)  # reviewed just now: waits
    assert (await Search.get(id=mods.id)).status is SearchStatus.ACTIVE
    assert await departures.review(world.channel_id) == [mods.id]
    world.fake.leave(world.guild_id, HELPER)
    assert await departures.review(world.channel_id) == [helpers.id]
    assert (await Search.get(id=anns.id)).status is SearchStatus.ACTIVE
    texts = [n.text for n in await Notice.all().order_by("id")]
    assert len(texts) == 2 and "Mo" in texts[0] and "Hal" in texts[1]
    assert all("/adopt" in t for t in texts)
    assert ("GET", f"/api/v10/channels/{world.channel_id}") in world.fake.calls


async def test_an_answer_without_the_servers_roles_decides_nothing(world: World) -> None:
    """A Discord that answers the server without its roles (@everyone missing): the
    permissions cannot be computed, so nobody is taken for gone; one the interaction just
    showed managing is believed."""
    world.guild["roles"] = [r for r in world.guild["roles"] if r["id"] != world.guild_id]
    check = DiscordManagers(world.client, world.guild_id, None, frozenset({HELPER}))
    assert await check.still_manages(MEMBER) is None
    assert await check.still_manages(HELPER) is True
    world.fake.leave(world.guild_id, MEMBER)
    assert await check.still_manages(MEMBER) is False  # 10007 is clear whatever the roles
