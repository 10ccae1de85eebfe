"""Alerts and notices to Discord channels and DMs, through Discord's REST API only.

No gateway is needed to send (any dispatcher process can deliver): the client has logged in
(``GET /users/@me``) and posts with ``POST /channels/{id}/messages``. discord.py waits out
short 429s itself; a wait over ``max_ratelimit_timeout`` raises ``RateLimited`` and the
alert goes back to the outbox. A chat that is gone or closed to us makes the destination
inactive and pauses its searches; Missing Permissions pauses the one search; the owners are
told once, in their DMs. Nothing that cannot succeed is retried.

A burst for one channel (several alerts due together) goes as one message of up to 10
embeds (``send_many``, the port's BatchNotifier): a channel takes about 5 messages per 5 s,
so ten alerts cost one of them. The message is all or nothing: a 429 or any failure
returns every alert of it to the outbox, and each is delivered exactly once later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
import discord

from bot.discord.render import (
    BURST_LIMIT,
    RawView,
    alert_components,
    alert_embed,
    burst_components,
    burst_embed,
    notice_text,
)
from core.chat_failures import owner_of, owners_in_chat, pause_search, tell_owners
from core.clock import Clock, utcnow
from core.destinations import deactivate_chat
from core.enums import Platform
from core.errors import DeliveryError
from core.ports import AlertMessage, DeliveryResult, NoticeMessage

logger = logging.getLogger(__name__)

READY_WAIT_SECONDS = 10.0
# Discord's error codes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
UNKNOWN_CHANNEL = 10003
MISSING_ACCESS = 50001
CANNOT_DM = 50007
MISSING_PERMISSIONS = 50013
GONE = {UNKNOWN_CHANNEL, MISSING_ACCESS, CANNOT_DM}
NO_MENTIONS = discord.AllowedMentions.none()

GONE_TEXT = (
    "⚠ I can no longer post in a Discord channel one of your searches uses (it was deleted, "
    "or I lost access), so I paused its searches. Fix it and resume them with /searches."
)
PERMISSIONS_TEXT = (
    "⚠ I lack a permission in the channel of search #{id} (I need View Channel, Send "
    "Messages and Embed Links), so I paused it. A server manager can fix the channel's "
    "permissions and resume it with /resume."
)


class DiscordNotifier:
    channel = "discord"
    batch_limit = BURST_LIMIT

    def __init__(self, client: discord.Client, ready: asyncio.Event, clock: Clock = utcnow):
        self.client = client
        self.ready = ready
        self.clock = clock

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        embed = discord.Embed.from_dict(alert_embed(alert, self.clock()))
        rows = alert_components(
            alert.match_id, alert.listing.url, alert.match_status, alert.verdict is not None
        )
        return await self._guarded(
            alert.target.chat_id,
            alert.search_id,
            lambda channel: channel.send(
                embed=embed,
                view=RawView(rows),
                allowed_mentions=NO_MENTIONS,
                silent=alert.silent,
            ),
        )

    async def send_many(self, alerts: Sequence[AlertMessage]) -> list[DeliveryResult]:
        """Up to 10 alerts for one chat as one message: numbered embeds, numbered buttons."""
        now = self.clock()
        embeds = [
            discord.Embed.from_dict(burst_embed(alert_embed(alert, now), number))
            for number, alert in enumerate(alerts, start=1)
        ]
        rows = burst_components([(a.match_id, a.match_status) for a in alerts])
        first = alerts[0]
        result = await self._guarded(
            first.target.chat_id,
            first.search_id if len({a.search_id for a in alerts}) == 1 else None,
            lambda channel: channel.send(
                embeds=embeds,
                view=RawView(rows),
                allowed_mentions=NO_MENTIONS,
                silent=all(a.silent for a in alerts),
            ),
        )
        return [result for _ in alerts]

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        text = notice_text(notice.text)
        return await self._guarded(
            notice.target.chat_id,
            None,
            lambda channel: channel.send(text, allowed_mentions=NO_MENTIONS),
        )

    async def _guarded(
        self,
        chat_id: str,
        search_id: int | None,
        deliver: Callable[[discord.PartialMessageable], Awaitable[discord.Message]],
    ) -> DeliveryResult:
        await self._wait_until_ready()
        channel = self.client.get_partial_messageable(int(chat_id))
        try:
            message = await deliver(channel)
        except discord.RateLimited as exc:
            raise DeliveryError(f"Discord rate limit: retry in {exc.retry_after:.0f} s") from exc
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._refused(chat_id, search_id, exc)
            raise DeliveryError(f"Discord refused: {exc.code} {exc.text}", permanent=True) from exc
        except discord.DiscordServerError as exc:
            raise DeliveryError(f"Discord error: {exc.status}") from exc
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise DeliveryError(f"Discord error: {exc.status}") from exc
            raise DeliveryError(
                f"Discord rejected the message: {exc.code} {exc.text}", permanent=True
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Discord unreachable: {exc}") from exc
        return DeliveryResult(provider_message_id=f"{chat_id}:{message.id}")

    async def _refused(
        self, chat_id: str, search_id: int | None, exc: discord.HTTPException
    ) -> None:
        now = self.clock()
        if exc.code == MISSING_PERMISSIONS and search_id is not None:
            if await pause_search(search_id, f"Discord: {exc.text}"):
                text = PERMISSIONS_TEXT.format(id=search_id)
                await tell_owners(
                    Platform.DISCORD, await owner_of(search_id), f"dperm:{search_id}", text, now
                )
            return
        if exc.code in GONE or exc.code == MISSING_PERMISSIONS:
            owners = await owners_in_chat(Platform.DISCORD, chat_id)
            if await deactivate_chat(Platform.DISCORD, chat_id, f"{exc.code} {exc.text}"):
                await tell_owners(Platform.DISCORD, owners, f"dgone:{chat_id}", GONE_TEXT, now)

    async def _wait_until_ready(self) -> None:
        try:
            await asyncio.wait_for(self.ready.wait(), READY_WAIT_SECONDS)
        except TimeoutError as exc:
            raise DeliveryError("the Discord bot is not logged in yet") from exc
