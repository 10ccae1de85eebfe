"""The Discord front-end: a discord.py client in the process's event loop.

Every interaction is answered within Discord's 3 seconds, before it waits for anything: a
modal as the first response (/newsearch), else a defer. Then it is stored in the durable
inbox (core.inbox, platform "discord") and the inbox workers hand it on, one at a time per
channel, in any process, to ``DiscordChats`` which runs the ChatSession and answers with
followups through the interaction's webhook (valid for 15 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import aiohttp
import discord
from aiohttp import web
from discord import app_commands

from bot.conversation import ChatServices
from bot.conversation.actions import Act
from bot.conversation.errors import UNEXPECTED, user_text
from bot.discord.chats import DiscordChats, InteractionJob, rights_for
from bot.discord.client import SECRET_COMMANDS, MonitorClient, NewSearchForm
from bot.discord.config import DiscordConfig, point_discord_py
from bot.discord.notifier import DiscordNotifier
from bot.discord.render import burst_matches, cut, parse_custom_id
from bot.inbox_workers import InboxWorkers
from core import accounts
from core.access import DISCORD_MANAGERS_ONLY
from core.enums import Platform
from core.errors import ConfigurationError
from core.inbox import Inbox, IncomingUpdate
from core.ports import Notifier

logger = logging.getLogger(__name__)

BUSY = "I'm very busy right now: please try again in a minute."


class DiscordFrontend:
    """The ChatFrontend for Discord."""

    name = "discord"

    def __init__(self, config: DiscordConfig, services: ChatServices) -> None:
        config.check()
        point_discord_py(config.api_url, config.gateway_url)
        self.config = config
        self.services = services
        self.clock = services.clock
        self._ready = asyncio.Event()
        self.client = MonitorClient(config, self)
        self._notifier = DiscordNotifier(self.client, self._ready, services.clock)
        self.inbox = Inbox(Platform.DISCORD, config.inbox)
        self.chats = DiscordChats(services, self.client)
        self.workers = InboxWorkers(self.inbox, self.chats.handle, self.clock)
        self._stop_requested = asyncio.Event()
        self._synced = False

    @property
    def notifier(self) -> Notifier:
        return self._notifier

    def add_web_routes(self, app: web.Application) -> None:
        """Interactions come over the gateway: nothing to mount."""

    def request_stop(self) -> None:
        self._stop_requested.set()

    async def run(self) -> None:
        loops: list[asyncio.Task[None]] = []
        stop = asyncio.create_task(self._stop_requested.wait(), name="discord stop")
        try:
            await self._login()
            loops.append(asyncio.create_task(self.workers.run(), name="discord workers"))
            loops.append(asyncio.create_task(self._connect(), name="discord gateway"))
            if self.config.syncs_commands:  # one process makes the round of creators
                every = self.config.member_check_seconds
                watch = self.chats.departures.run(every, self._stop_requested)
                loops.append(asyncio.create_task(watch, name="discord departures"))
            done, _ = await asyncio.wait([*loops, stop], return_when=asyncio.FIRST_COMPLETED)
            for task in done - {stop}:
                task.result()
        finally:
            stop.cancel()
            self._ready.clear()
            if loops:
                for loop in loops[1:]:
                    loop.cancel()
                await asyncio.gather(*loops[1:], return_exceptions=True)
                await self.workers.stop(loops[0], self.config.stop_grace_seconds)
            with contextlib.suppress(Exception):
                await self.client.close()

    async def run_sending_only(self) -> None:
        """Log in for REST delivery only: no gateway, no interactions (`--only dispatcher`)."""
        try:
            await self._login()
            self._ready.set()
            await self._stop_requested.wait()
        finally:
            self._ready.clear()
            with contextlib.suppress(Exception):
                await self.client.close()

    async def _login(self) -> None:
        for attempt in range(1, self.config.start_retries + 1):
            try:
                await self.client.login(self.config.token)
                return
            except discord.LoginFailure as exc:
                raise ConfigurationError(
                    "DISCORD_BOT_TOKEN: Discord refused this token; reset it in the "
                    "Developer Portal's Bot page"
                ) from exc
            except (aiohttp.ClientError, discord.DiscordServerError, OSError) as exc:
                delay = min(30.0, 2.0**attempt)
                logger.warning("discord unreachable (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
        raise ConfigurationError("DISCORD_API_URL: Discord could not be reached")

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except discord.PrivilegedIntentsRequired as exc:  # not ours to ask for: a bug
            raise ConfigurationError(f"Discord refused the intents: {exc}") from exc

    # --- Intake: answered at once, stored, handled in the chat's turn ----------------------
    def ready(self) -> None:
        self._ready.set()
        logger.info("discord: ready, logged in as %s", self.client.user)
        if not self._synced and self.config.syncs_commands:
            self._synced = True
            asyncio.get_running_loop().create_task(self._sync(), name="discord sync")

    async def _sync(self) -> None:
        try:
            await self.client.sync_commands()
        except discord.HTTPException as exc:
            logger.error("discord: could not register the slash commands: %s", exc)

    async def command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        try:
            await self._command(interaction, name, args)
        except Exception as exc:
            await self.failed(interaction, exc)

    async def _command(self, interaction: discord.Interaction, name: str, args: str) -> None:
        shared = interaction.guild_id is not None
        if name == "newsearch":
            if shared and not await self._manager(interaction):
                await interaction.response.send_message(DISCORD_MANAGERS_ONLY, ephemeral=True)
                return
            await interaction.response.send_modal(NewSearchForm())  # must be the first answer
            return
        secret = name in SECRET_COMMANDS
        await interaction.response.defer(ephemeral=shared or secret, thinking=True)
        await self._store(interaction, {"kind": "command", "name": name, "args": args})

    async def pressed(self, interaction: discord.Interaction, custom_id: str) -> None:
        try:
            action = parse_custom_id(custom_id)
            if action is not None and action.act is Act.NEW_SEARCH:  # the form, as /newsearch
                await self._command(interaction, "newsearch", "")
                return
            await interaction.response.defer()  # acknowledged; the message stays as it is
            data: dict[str, Any] = dict(interaction.data or {})
            values = list(data.get("values") or [])
            # A burst (several alerts in one message): its buttons are numbered, one pair per
            # alert, so a press redraws them all (bot/discord/chats.py): their match ids, in
            # order, are read from the message pressed.
            pressed = {"kind": "press", "custom_id": custom_id, "values": values}
            await self._store(interaction, {**pressed, "burst": _burst(interaction)})
        except Exception as exc:
            await self.failed(interaction, exc)

    async def submitted(self, interaction: discord.Interaction) -> None:
        try:
            shared = interaction.guild_id is not None
            await interaction.response.defer(ephemeral=shared, thinking=True)
            fields: dict[str, str] = {}
            data: dict[str, Any] = dict(interaction.data or {})
            for row in data.get("components") or []:
                for item in row.get("components") or []:
                    fields[str(item.get("custom_id"))] = cut(str(item.get("value") or ""), 500)
            await self._store(interaction, {"kind": "form", "fields": fields})
        except Exception as exc:
            await self.failed(interaction, exc)

    async def autocomplete(
        self, interaction: discord.Interaction, typed: str
    ) -> list[app_commands.Choice[int]]:
        return await self.chats.suggest(_job(interaction, {"kind": "autocomplete"}), typed)

    async def _manager(self, interaction: discord.Interaction) -> bool:
        """Whether the presser manages this server's searches (one quick read, well within
        the 3 s: the form is opened only for managers)."""
        job = _job(interaction, {})
        account = await accounts.identify(Platform.DISCORD, job.user_id, job.user_name)
        return (await rights_for(job, account)).is_manager

    async def _store(self, interaction: discord.Interaction, extra: dict[str, Any]) -> None:
        job = _job(interaction, extra)
        update = IncomingUpdate(interaction.id, job.channel_id[:64], job.to_json())
        accepted = await self.inbox.accept([update], self.clock())
        if accepted.stored:
            self.workers.wake()
        elif accepted.full or accepted.dropped:
            await interaction.followup.send(BUSY, ephemeral=True)

    async def failed(self, interaction: discord.Interaction | None, error: BaseException) -> None:
        """The one error handler of the gateway side: logged with its traceback; the user
        is told in words when the interaction can still be answered."""
        logger.error("discord interaction failed", exc_info=error)
        if interaction is None:
            return
        text = user_text(error if isinstance(error, Exception) else Exception()).text or UNEXPECTED
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(cut(text, 2000), ephemeral=True)
            else:
                await interaction.response.send_message(cut(text, 2000), ephemeral=True)


def _burst(interaction: discord.Interaction) -> list[int]:
    """The match ids of a pressed burst message's buttons ([] for anything else)."""
    message = interaction.message
    if message is None or len(message.embeds) < 2:
        return []
    ids = [
        str(child.custom_id)
        for row in message.components
        if isinstance(row, discord.ActionRow)
        for child in row.children
        if isinstance(child, discord.Button) and child.custom_id
    ]
    return burst_matches(ids)


def _job(interaction: discord.Interaction, extra: dict[str, Any]) -> InteractionJob:
    user = interaction.user
    channel = interaction.channel
    title = getattr(channel, "name", None) or ""
    return InteractionJob(
        interaction_id=interaction.id,
        application_id=interaction.application_id,
        token=interaction.token,
        channel_id=str(interaction.channel_id),
        guild_id=str(interaction.guild_id) if interaction.guild_id else None,
        user_id=str(user.id),
        user_name=user.display_name,
        title=title,
        permissions=interaction.permissions.value,
        data=extra,
        roles=[str(r.id) for r in user.roles] if isinstance(user, discord.Member) else [],
    )
