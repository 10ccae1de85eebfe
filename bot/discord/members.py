"""Does a channel search's creator still manage the server? Discord's answer, without the
privileged Server Members intent (issue 12).

GUILD_MEMBER_REMOVE would need that intent, which the bot does not ask for. Instead the bot
asks Discord's REST API, which needs no intent: ``GET /guilds/{guild}/members/{user}``
(404 10007 *Unknown Member*: they left, were removed, or deleted their Discord account) and
``GET /guilds/{guild}`` (its owner and roles), from which the member's server-wide
permissions are computed as Discord does: the @everyone role's, OR each of their roles',
everything for the owner or an Administrator. A creator who kept their membership but lost
Manage Server (and is not in the role chosen with /managerrole) no longer manages either.

It asks when someone uses the bot in the channel (at most once a minute per channel and
process) and on a slow round over every channel with running searches
(``DISCORD_MEMBER_CHECK_SECONDS``), in the one process that registers the commands. What
follows from the answer (pause, tell the channel once, /adopt) is core.adoption's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import aiohttp
import discord

from core import adoption
from core.clock import Clock
from core.enums import Platform
from core.manager_roles import manager_role

logger = logging.getLogger(__name__)

UNKNOWN_MEMBER = 10007
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
CHAT_EVERY_SECONDS = 60.0  # an interaction reviews its channel at most this often


def guild_permissions(guild: dict[str, Any], member: dict[str, Any]) -> int | None:
    """The member's server-wide permissions (Discord's "base permissions"); None when the
    server's answer lacks what they are computed from (its roles, @everyone among them)."""
    user_id = str((member.get("user") or {}).get("id") or "")
    everything = (1 << 53) - 1
    if user_id and user_id == str(guild.get("owner_id")):
        return everything
    try:
        roles = {str(r["id"]): int(r.get("permissions") or 0) for r in guild.get("roles") or []}
    except (KeyError, TypeError, ValueError):
        return None
    everyone = roles.get(str(guild.get("id")))  # @everyone's id is the server's
    if everyone is None:
        return None
    permissions = everyone
    for role_id in member.get("roles") or []:
        permissions |= roles.get(str(role_id), 0)
    return everything if permissions & ADMINISTRATOR else permissions


class DiscordManagers:
    """core.adoption's ManagerCheck for one server, through Discord's REST API."""

    def __init__(
        self,
        client: discord.Client,
        guild_id: str,
        role: str | None,
        managers: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.guild_id = guild_id
        self.role = role
        # Users an interaction just showed managing (Discord computed their permissions at
        # that moment): believed without asking again.
        self.managers = managers
        self._guild: dict[str, Any] | None = None

    async def still_manages(self, platform_user_id: str) -> bool | None:
        if platform_user_id in self.managers:
            return True
        http = self.client.http
        try:
            member: dict[str, Any] = dict(
                await http.get_member(int(self.guild_id), int(platform_user_id))
            )
            if self._guild is None:
                self._guild = dict(await http.get_guild(int(self.guild_id), with_counts=False))
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_MEMBER:
                return False
            logger.info("discord guild %s: %s (not deciding)", self.guild_id, exc)
            return None
        except (discord.DiscordException, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # 403 Missing Access, a rate limit, an outage: unsure, so nothing is decided.
            logger.info("discord member %s of %s: %s", platform_user_id, self.guild_id, exc)
            return None
        if self.role is not None and self.role in [str(r) for r in member.get("roles") or []]:
            return True
        permissions = guild_permissions(self._guild, member)
        if permissions is None:  # an answer without the server's roles: not deciding
            return None
        return bool(permissions & MANAGE_GUILD)


class Departures:
    """Reviews Discord channels for creators who left (core.adoption.review)."""

    def __init__(self, client: discord.Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self._guild_of: dict[str, str] = {}  # channel id → server id (never changes)
        self._reviewed: dict[str, float] = {}  # channel id → when (monotonic), this process

    async def on_use(self, channel_id: str, guild_id: str, manager: str | None = None) -> None:
        """Someone used the bot in this channel: review it, at most once a minute.
        ``manager``: the user, when the interaction showed them managing the server."""
        last = self._reviewed.get(channel_id)
        if last is not None and time.monotonic() - last < CHAT_EVERY_SECONDS:
            return
        self._guild_of[channel_id] = guild_id
        await self.review(channel_id, frozenset({manager} if manager else ()))

    async def review(self, channel_id: str, managers: frozenset[str] = frozenset()) -> list[int]:
        self._reviewed[channel_id] = time.monotonic()
        try:
            guild_id = await self._guild(channel_id)
            if guild_id is None:
                return []
            role = await manager_role(Platform.DISCORD, guild_id)
            check = DiscordManagers(self.client, guild_id, role, managers)
            return await adoption.review(Platform.DISCORD, channel_id, check, self.clock())
        except Exception:  # a review must never break the interaction or the loop
            logger.exception("discord: reviewing channel %s failed", channel_id)
            return []

    async def run(self, every_seconds: float, stopping: asyncio.Event) -> None:
        """The slow round over every channel with running searches."""
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every_seconds)
            if stopping.is_set():
                return
            for channel_id in await adoption.chats_to_review(Platform.DISCORD):
                if stopping.is_set():
                    return
                await self.review(channel_id)

    async def _guild(self, channel_id: str) -> str | None:
        if channel_id not in self._guild_of:
            try:
                channel = await self.client.http.get_channel(int(channel_id))
            except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as exc:
                logger.info("discord channel %s: %s", channel_id, exc)
                return None
            guild_id = channel.get("guild_id")
            if guild_id is None:
                return None
            self._guild_of[channel_id] = str(guild_id)
        return self._guild_of[channel_id]
