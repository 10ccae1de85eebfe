"""Updates in: webhook bodies checked, and a polling loop that confirms only what is stored.

Both write every update to the inbox (core.inbox) before Telegram is told it arrived: a
webhook answers 200 after the row is committed; polling moves its getUpdates offset past an
update only after storing it, so a stop at any moment loses nothing Telegram let go of.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from core.errors import ConfigurationError
from core.inbox import IncomingUpdate

logger = logging.getLogger(__name__)

MAX_UPDATE_ID = 2**63 - 1


class BadUpdate(ValueError):
    """A webhook body that is not a Telegram update."""


def chat_key(update: Update) -> str:
    """The chat an update belongs to (its updates are handled one at a time, in order)."""
    if update.effective_chat is not None:
        return str(update.effective_chat.id)
    if update.effective_user is not None:
        return f"user:{update.effective_user.id}"
    return "none"


def incoming(update: Update, payload: dict[str, Any]) -> IncomingUpdate:
    return IncomingUpdate(update.update_id, chat_key(update)[:64], payload)


def parse_body(raw: bytes, bot: Bot) -> IncomingUpdate:
    """The update in a webhook body; BadUpdate for anything else (any JSON shape, any bytes)."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not UTF-8 / not JSON / nested too deep
        raise BadUpdate("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise BadUpdate("the body is not a JSON object")
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        raise BadUpdate("update_id is missing or not a whole number")
    try:
        update = Update.de_json(data, bot)
    # PTB's parsers fail with whatever a wrongly shaped field makes them raise.
    except Exception as exc:
        raise BadUpdate("the body is not a Telegram update") from exc
    return incoming(update, data)


Store = Callable[[Sequence[IncomingUpdate]], Awaitable[None]]
HasRoom = Callable[[], Awaitable[bool]]


class Poller:
    """getUpdates in a loop; the offset confirms only updates ``store`` has committed."""

    def __init__(
        self,
        bot: Bot,
        store: Store,
        has_room: HasRoom,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
        full_wait_seconds: float = 1.0,
    ) -> None:
        self.bot = bot
        self.store = store
        self.has_room = has_room
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.full_wait_seconds = full_wait_seconds
        self._offset: int | None = None
        self._failures = 0

    async def run(self) -> None:
        await self._call(lambda: self.bot.delete_webhook(drop_pending_updates=False))
        while True:
            if not await self.has_room():
                # The inbox is at its cap: leave updates with Telegram until there is room.
                await asyncio.sleep(self.full_wait_seconds)
                continue
            updates = await self._call(self._fetch)
            if updates:
                await self.store([incoming(u, u.to_dict()) for u in updates])
                self._offset = updates[-1].update_id + 1

    async def _fetch(self) -> tuple[Update, ...]:
        return await self.bot.get_updates(
            offset=self._offset,
            timeout=self.timeout,
            limit=100,
            allowed_updates=self.allowed_updates,
        )

    async def _call(self, request: Callable[[], Awaitable[Any]]) -> Any:
        """``request()``, retried with a growing pause while Telegram cannot be reached."""
        while True:
            try:
                result = await request()
            except InvalidToken as exc:
                raise ConfigurationError(
                    "TELEGRAM_BOT_TOKEN: Telegram refused this token; check it with @BotFather"
                ) from exc
            except TelegramError as exc:
                self._failures += 1
                delay = min(30.0, 0.5 * 2 ** min(self._failures, 6))
                logger.warning("telegram polling: %s; retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            self._failures = 0
            return result
