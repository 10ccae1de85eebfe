"""Discord end to end: the real `python -m bot run` against the fake Discord and a sandbox.

A server manager sets up a channel search through /newsearch's form and buttons; a sandbox
listing arrives as an embed with Open / Save / Hide; Save shows in /saved; a member who is
not a manager is refused; a forged custom_id is refused; a 429 on the alert still delivers
it exactly once; a deleted channel pauses its search; after a restart the old alert's
buttons still work. The token never appears in the output.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scrapers import SandboxConfig, running_sandbox
from tests.e2e.process import CliProcess, check_now, free_port, sqlite_rows
from tests.fakes.discord_api import (
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    TOKEN,
    FakeDiscord,
    Sent,
    api_url,
    rate_limited,
    running_fake_discord,
)

pytestmark = pytest.mark.slow

ANN = FakeDiscord.user(3001, "Ann")  # manages the server
EVE = FakeDiscord.user(3002, "Eve")  # a member
ADMIN = MEMBER_PERMISSIONS | MANAGE_GUILD


@dataclass
class Service:
    fake: FakeDiscord
    sandbox_url: str
    database: Path
    tmp_path: Path
    process: CliProcess | None = None
    drain: asyncio.Task[None] | None = None
    last_check: float = 0.0

    @property
    def output(self) -> str:
        return self.process.output if self.process else ""

    async def output_has(self, text: str, within: float) -> None:
        for _ in range(int(within * 10)):
            if text in self.output:
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not in the output:\n{self.output}")

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        return sqlite_rows(self.database, statement, *args)

    async def check_now(self) -> None:
        """Make every search due, and wait until the runner has checked them."""
        self.last_check = await check_now(self.database, self.last_check)

    async def start(self, **extra: str) -> None:
        env = {
            "DATABASE_URL": f"sqlite://{self.database}",
            "SANDBOX_URL": self.sandbox_url,
            "WEB_PORT": str(free_port()),
            "DISCORD_BOT_TOKEN": TOKEN,
            "DISCORD_API_URL": api_url(self.fake),
            "DISCORD_GATEWAY_URL": self.fake.ws_url,
            "LOG_LEVEL": "DEBUG",
            "FETCH_SHARE_SECONDS": "1",
            **extra,
        }
        self.process = CliProcess("run", env=env, cwd=str(self.tmp_path))
        await self.process.start()
        self.drain = asyncio.create_task(_drain(self.process))
        await self.output_has("discord: ready", within=30)

    async def stop(self) -> None:
        assert self.process is not None
        try:
            if self.drain is not None:
                self.drain.cancel()
            code = await self.process.stop(signal.SIGTERM)
            print(self.process.output)
            assert code == 0
            assert "Stopped cleanly." in self.process.output
            assert TOKEN not in self.process.output
            for interaction in self.fake.interactions.values():  # even at DEBUG
                assert interaction.token not in self.process.output
        finally:
            await self.process.kill()


async def _drain(process: CliProcess) -> None:
    assert process.proc and process.proc.stdout
    while chunk := await process.proc.stdout.read(65536):
        process.output += chunk.decode(errors="replace")


@pytest.fixture
async def sandbox_url() -> AsyncIterator[str]:
    async with running_sandbox(SandboxConfig(listings_per_minute=1)) as url:
        yield url


async def _reply(fake: FakeDiscord, interaction: Any, text: str) -> Sent:
    """The followup of ``interaction`` that says ``text``."""

    def find() -> Sent | None:
        return next((s for s in reversed(interaction.followups) if text in s.text), None)

    try:
        found: Sent = await fake.wait_for(find, within=15)
    except TimeoutError:
        seen = "\n---\n".join(s.text for s in interaction.followups)
        raise AssertionError(f"no followup with {text!r}; followups:\n{seen}") from None
    return found


async def _press(fake: FakeDiscord, user: dict[str, Any], sent: Sent, label: str,
                 expect: str, permissions: int = ADMIN) -> Sent:  # fmt: skip
    item = sent.button(label)
    values = [item["_option"]] if "_option" in item else None
    interaction = await fake.press(user, sent, item["custom_id"], values=values,
                                   permissions=permissions)  # fmt: skip
    await fake.answered(interaction, within=3)
    assert interaction.responses[0]["type"] == 6  # deferred within Discord's 3 s
    return await _reply(fake, interaction, expect)


@pytest.mark.timeout(150)
async def test_a_manager_sets_up_a_channel_search_and_alerts_work_across_a_restart(
    tmp_path: Path, sandbox_url: str
) -> None:
    async with running_fake_discord() as fake:
        guild = fake.add_guild("Bikes", owner=ANN)
        channel_id = guild["channels"][0]["id"]
        service = Service(fake, sandbox_url, tmp_path / "run.sqlite3", tmp_path)
        await service.start()
        try:
            await fake.wait_for(lambda: fake.command_puts, within=20)
            names = {c["name"] for c in fake.commands["global"]}
            assert names >= {"newsearch", "searches", "saved", "pause", "help", "cancel"}
            assert not fake.identifies[0].get("intents", 0) & ((1 << 1) | (1 << 8) | (1 << 15))
            await _refused_to_members(fake, channel_id)
            await _wizard(fake, channel_id)
            await service.output_has("first check", within=20)
            service.last_check = time.monotonic()
            alert, _ = await _alert(service, channel_id)
            await _save_and_saved(fake, channel_id, alert)
            await _forged(service, fake, alert)
        finally:
            await service.stop()
        puts = fake.command_puts
        await service.start()  # a restart: the old alert's buttons still work
        try:
            hidden = await _press(fake, ANN, alert, "Hide", "Hidden")
            assert hidden.ephemeral
            assert alert.button("Unhide")
            assert fake.command_puts == puts  # the definitions did not change: not re-sent
        finally:
            await service.stop()


async def _refused_to_members(fake: FakeDiscord, channel_id: str) -> None:
    asked = await fake.answered(await fake.command(EVE, channel_id, "newsearch"), within=3)
    assert asked.modal is None
    assert "admins" in asked.original.text if asked.original else False


async def _wizard(
    fake: FakeDiscord, channel_id: str, user: dict[str, Any] = ANN, permissions: int = ADMIN
) -> None:
    opened = await fake.answered(
        await fake.command(user, channel_id, "newsearch", permissions=permissions)
    )
    assert opened.modal is not None and opened.responses[0]["type"] == 9
    answers = {"name": "Road bikes", "keywords": "bike", "price": "100-300", "location": ""}
    submitted = await fake.submit(user, channel_id, opened.modal, answers, permissions=permissions)
    await fake.answered(submitted, within=3)
    menu = await _reply(fake, submitted, "Which marketplaces?")
    assert menu.ephemeral
    for label, then in (("Sandbox", "Which currency"), ("GBP", "New or used?"),
                        ("Any", "How often"), ("Every", "Where shall alerts go?"),
                        ("This chat only", "Your search")):  # fmt: skip
        menu = await _press(fake, user, menu, label, then, permissions)
    assert "Road bikes" in menu.text and "£100.00 – £300.00" in menu.text
    await _press(fake, user, menu, "Confirm", "is live", permissions)


async def _alert(service: Service, channel_id: str) -> tuple[Sent, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        listing = {"title": "Carbon road bike, 56cm", "price": "210", "location": "Leeds"}
        async with http.post(f"{service.sandbox_url}/api/listings", json=listing) as response:
            item = await response.json()
    await service.check_now()
    alert = await service.fake.message_with("Carbon road bike", within=20, channel_id=channel_id)
    embed = alert.data["embeds"][0]
    assert embed["url"] == item["url"] and embed["footer"]["text"].endswith("Road bikes")
    assert "£210.00" in alert.text and "Leeds" in alert.text and "<t:" in alert.text
    assert alert.data["allowed_mentions"] == {"parse": []}
    assert alert.button("Open")["url"] == item["url"]
    return alert, item


async def _save_and_saved(fake: FakeDiscord, channel_id: str, alert: Sent) -> None:
    saved = await _press(fake, ANN, alert, "Save", "your own /saved")
    assert saved.ephemeral
    assert alert.button("Save")  # personal (issue 12): the channel's message is unchanged
    listed = await fake.command(ANN, channel_id, "saved")
    page = await _reply(fake, listed, "Carbon road bike")
    assert page.ephemeral
    hide = await fake.press(EVE, alert, alert.button("Hide")["custom_id"])
    refused = await _reply(fake, hide, "admins")
    assert refused.ephemeral and alert.button("Hide")


async def _forged(service: Service, fake: FakeDiscord, alert: Sent) -> None:
    """Eve, in her DMs, presses a button whose custom_id names the server's alert."""
    match_id = service.sql("SELECT id FROM match")[0][0]
    dm = fake.dm_channel(EVE)
    forged = Sent({**alert.data, "id": fake.snowflake(), "channel_id": dm}, "channel")
    press = await fake.press(EVE, forged, f"mm:a:{match_id}:h")
    await _reply(fake, press, "You have no ")
    assert service.sql("SELECT status FROM match")[0][0] == "new"
    await service.output_has("refused: discord user 3002", within=10)


@pytest.mark.timeout(120)
async def test_a_429_delivers_once_and_a_deleted_channel_pauses_its_search(
    tmp_path: Path, sandbox_url: str
) -> None:
    async with running_fake_discord() as fake:
        guild = fake.add_guild("Bikes", owner=ANN)
        channel_id = guild["channels"][0]["id"]
        service = Service(fake, sandbox_url, tmp_path / "run.sqlite3", tmp_path)
        await service.start(DISCORD_SHARD_COUNT="2", DISCORD_SHARD_IDS="0,1")
        try:
            await fake.wait_for(lambda: fake.command_puts and len(fake.connections) == 2, 20)
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
            await fake.drop_connections()  # a gateway hiccup: the shards resume their sessions
            await fake.wait_for(lambda: len(fake.connections) == 2, within=20)
            assert len(fake.resumes) == 2 and len(fake.identifies) == 2
            await _wizard(fake, channel_id)  # served by the guild's shard
            await service.output_has("first check", within=20)
            service.last_check = time.monotonic()
            fake.fail_next(channel_id, rate_limited(0.5))
            await _alert(service, channel_id)
            await asyncio.sleep(1.5)
            alerts = [m for m in fake.messages if "Carbon road bike" in m.text]
            assert len(alerts) == 1
            assert fake.faults[channel_id] == []  # the 429 was answered
            await service.output_has("We are being rate limited", within=5)

            fake.delete_channel(channel_id)
            async with aiohttp.ClientSession() as http:
                listing = {"title": "Steel road bike", "price": "150", "location": "Leeds"}
                await http.post(f"{service.sandbox_url}/api/listings", json=listing)
            await service.check_now()
            for _ in range(100):
                if service.sql("SELECT status FROM search")[0][0] == "paused":
                    break
                await asyncio.sleep(0.1)
            assert service.sql("SELECT status FROM search")[0][0] == "paused"
            assert service.sql("SELECT active FROM destination WHERE chat_id = ?", channel_id)[0][
                0
            ] in (0, False)
        finally:
            await service.stop()


@pytest.mark.timeout(120)
async def test_a_creator_who_left_is_noticed_and_another_admin_adopts(
    tmp_path: Path, sandbox_url: str
) -> None:
    """Issue 12: no privileged intent, so no GUILD_MEMBER_REMOVE: the bot's round asks
    Discord for the creator (GET /guilds/{guild}/members/{user}, 10007 once they left)."""
    bob = FakeDiscord.user(3003, "Bob")  # a moderator: Manage Server through a role
    async with running_fake_discord() as fake:
        guild = fake.add_guild("Bikes", owner=ANN)
        mods = fake.add_role(guild, "Mods", permissions=MANAGE_GUILD)
        fake.set_member_roles(guild["id"], bob["id"], [mods])
        channel_id = guild["channels"][0]["id"]
        service = Service(fake, sandbox_url, tmp_path / "run.sqlite3", tmp_path)
        await service.start(DISCORD_MEMBER_CHECK_SECONDS="1")
        try:
            await fake.wait_for(lambda: fake.command_puts, within=20)
            await _wizard(fake, channel_id, bob, fake.permissions_of(guild["id"], bob["id"]))
            await asyncio.sleep(2.5)  # rounds go by: Bob still manages the server
            assert service.sql("SELECT status FROM search") == [("active",)]

            fake.leave(guild["id"], bob["id"])
            notice = await fake.message_with("/adopt", within=15, channel_id=channel_id)
            assert "Bob" in notice.text and notice.data["allowed_mentions"] == {"parse": []}
            assert service.sql("SELECT status, paused_reason FROM search") == [
                ("paused", "orphaned")
            ]
            await asyncio.sleep(2.5)  # told once, however many rounds
            assert len([m for m in fake.messages if "/adopt" in m.text]) == 1

            eve = await fake.command(EVE, channel_id, "adopt")
            assert (await _reply(fake, eve, "admins")).ephemeral
            adopted = await fake.command(ANN, channel_id, "adopt", permissions=ADMIN)
            assert (await _reply(fake, adopted, "You took over 1 search")).ephemeral
            owner = service.sql(
                "SELECT i.platform_user_id, s.status FROM search s"
                " JOIN chat_identity i ON i.account_id = s.account_id"
            )
            assert owner == [(ANN["id"], "active")]
        finally:
            await service.stop()
