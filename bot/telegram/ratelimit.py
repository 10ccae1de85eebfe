"""Telegram's flood limits, kept before we are told, and every 429 ``retry_after`` obeyed.

- about 30 messages a second per bot, one a second per private chat (short bursts pass),
  20 a minute per group;
- a 429 halts every request for ``retry_after``; a request that may wait that long retries,
  one that may not (an alert with a dispatcher behind it) fails fast with RetryAfter so the
  caller can retry later without holding a lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
# Requests that post a new message into a chat (edits and answers are not paced per chat).
_SENDS = frozenset(
    {"sendMessage", "sendPhoto", "sendMediaGroup", "sendDocument", "copyMessage", "forwardMessage"}
)
# Requests never held back: receiving updates and setting up.
_FREE = frozenset({"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo"})


@dataclass(frozen=True, slots=True)
class RateLimits:
    per_bot_per_second: float = 30.0
    per_private_chat_per_second: float = 1.0
    private_burst: int = 3
    per_group_per_minute: float = 20.0
    group_burst: int = 5
    # How long a request may wait for its turn (or a retry_after) before failing fast.
    max_wait_seconds: float = 30.0
    max_retries: int = 5


@dataclass(frozen=True, slots=True)
class WaitLimit:
    """Per-call override of ``max_wait_seconds`` (``rate_limit_args=WaitLimit(…)``)."""

    max_wait_seconds: float


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` as seconds, whichever type this PTB version gives."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def too_long(seconds: float) -> RetryAfter:
    """A RetryAfter of our own making (PTB warns about its int form while building one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return RetryAfter(max(1, round(seconds)))


class _Gcra:
    """A generic cell rate: ``rate`` per second on average, up to ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (max(1, burst) - 1) * self.interval
        self.tat = 0.0  # theoretical arrival time of the next request

    def wait_at(self, at: float) -> float:
        """Seconds a request at ``at`` would wait for its slot (nothing is reserved)."""
        return max(0.0, self.tat - self.tolerance - at)

    def reserve(self, at: float, latest: float) -> float:
        """The first free slot from ``at``, reserved; RetryAfter if it is after ``latest``."""
        tat = max(self.tat, at)
        slot = max(at, tat - self.tolerance)
        if slot > latest:
            raise too_long(slot - at)
        self.tat = tat + self.interval
        return slot


class TelegramRateLimiter(BaseRateLimiter[WaitLimit]):
    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._bot = _Gcra(self.limits.per_bot_per_second, int(self.limits.per_bot_per_second))
        self._chats: dict[int | str, _Gcra] = {}
        self._halted_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: WaitLimit | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint in _FREE:
            return await callback(*args, **kwargs)
        max_wait = (
            rate_limit_args.max_wait_seconds
            if rate_limit_args is not None
            else self.limits.max_wait_seconds
        )
        for attempt in range(self.limits.max_retries + 1):
            await self._take_turn(endpoint, data.get("chat_id"), max_wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc)
                self._halted_until = max(self._halted_until, time.monotonic() + delay + 0.1)
                logger.info(
                    "Telegram asked to wait %.0f s (%s, try %d)", delay, endpoint, attempt + 1
                )
                if attempt == self.limits.max_retries or delay > max_wait:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _take_turn(self, endpoint: str, chat_id: object, max_wait: float) -> None:
        latest = time.monotonic() + max_wait
        while True:
            await self._wait_out_halt(latest)
            now = time.monotonic()
            slot = now
            chat = self._chat_limiter(endpoint, chat_id)
            if chat is not None:
                slot = chat.reserve(slot, latest)
            if chat_id is not None:
                slot = self._bot.reserve(slot, latest)
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._halted_until <= time.monotonic():
                return
            # A 429 came while we waited: that slot is void; queue again after the halt.

    async def _wait_out_halt(self, latest: float) -> None:
        while (halt := self._halted_until - time.monotonic()) > 0:
            if time.monotonic() + halt > latest:
                raise too_long(halt)
            await asyncio.sleep(halt)

    def send_wait(self, chat_id: int | str) -> float:
        """Seconds until a new message to ``chat_id`` could go without waiting, so a worker
        can serve other chats meanwhile instead of sleeping in this chat's turn."""
        key: int | str = str(chat_id)
        with contextlib.suppress(ValueError):
            key = int(str(chat_id))
        chat = self._chats.get(key)
        now = time.monotonic()
        waits = [self._halted_until - now, chat.wait_at(now) if chat is not None else 0.0]
        return max(0.0, *waits)

    def _chat_limiter(self, endpoint: str, chat_id: object) -> _Gcra | None:
        if chat_id is None:
            return None
        key: int | str = str(chat_id)
        with contextlib.suppress(ValueError):
            key = int(str(chat_id))
        group = isinstance(key, str) or key < 0
        if not group and endpoint not in _SENDS:
            return None
        if key not in self._chats:
            if len(self._chats) > 10_000:
                self._forget_idle()
            limits = self.limits
            self._chats[key] = (
                _Gcra(limits.per_group_per_minute / 60, limits.group_burst)
                if group
                else _Gcra(limits.per_private_chat_per_second, limits.private_burst)
            )
        return self._chats[key]

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for key, limiter in list(self._chats.items()):
            if limiter.tat < now:
                del self._chats[key]
