"""Telegram's flood limits, kept before we are told, and every 429 ``retry_after`` obeyed.

- 30 messages a second per bot, one a second per chat, 20 a minute per group, counted the
  way Telegram's servers count them (see ``_Window``), so a send is never refused for them;
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
from collections import deque
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
    # Sends to one private chat allowed within ``private_burst / per_private_chat_per_second``
    # seconds. Telegram documents one a second and only "may allow short bursts"; a 429
    # halts every send of the bot, so the default takes no burst.
    private_burst: int = 1
    per_group_per_minute: float = 20.0
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


class _Window:
    """At most ``count`` sends in any ``period`` seconds, as Telegram's servers count them.

    The server stamps a send somewhere between our request and its answer, so a send
    occupies the window from the moment it starts until ``period`` after its answer came
    back: a new send is let through only when fewer than ``count`` are in flight or were
    answered within the last ``period``. That holds under any network delay (bursts and
    evenly spaced slots do not: a request delayed in flight lands next to the following
    one), at the price of one round trip per window.
    """

    __slots__ = ("answered", "count", "in_flight", "period")

    def __init__(self, count: int, period: float) -> None:
        self.count = max(1, count)
        self.period = period
        self.in_flight = 0
        self.answered: deque[float] = deque()

    def wait_at(self, at: float) -> float:
        """Seconds until a send at ``at`` could start (an estimate while sends are in flight)."""
        while self.answered and self.answered[0] <= at - self.period:
            self.answered.popleft()
        if self.in_flight + len(self.answered) < self.count:
            return 0.0
        # The answer that must leave the window for a place to free up, if one must.
        must_leave = len(self.answered) + self.in_flight - self.count
        if must_leave < len(self.answered):
            return self.answered[must_leave] + self.period - at
        return _IN_FLIGHT_POLL_SECONDS  # only sends in flight: their answers free the place

    def idle(self, at: float) -> bool:
        return self.wait_at(at) == 0.0 and self.in_flight == 0 and not self.answered

    def start(self) -> None:
        self.in_flight += 1

    def finish(self, at: float) -> None:
        self.in_flight -= 1
        self.answered.append(at)


# How often a request whose window is full of unanswered sends looks again.
_IN_FLIGHT_POLL_SECONDS = 0.01


class TelegramRateLimiter(BaseRateLimiter[WaitLimit]):
    def __init__(self, limits: RateLimits | None = None) -> None:
        self.limits = limits or RateLimits()
        self._bot = _Window(round(self.limits.per_bot_per_second), 1.0)
        self._chats: dict[int | str, tuple[_Window, ...]] = {}
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
        chat_id = data.get("chat_id")
        for attempt in range(self.limits.max_retries + 1):
            windows = await self._take_turn(endpoint, chat_id, max_wait)
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
            finally:
                answered = time.monotonic()
                for window in windows:
                    window.finish(answered)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _take_turn(
        self, endpoint: str, chat_id: object, max_wait: float
    ) -> tuple[_Window, ...]:
        """Wait until every window of this request has room, then take a place in each."""
        latest = time.monotonic() + max_wait
        windows = self._chat_windows(endpoint, chat_id)
        if chat_id is not None:
            windows = (*windows, self._bot)
        while True:
            await self._wait_out_halt(latest)
            now = time.monotonic()
            wait = max((w.wait_at(now) for w in windows), default=0.0)
            if wait <= 0:
                for window in windows:
                    window.start()
                return windows
            if now + wait > latest:
                raise too_long(wait)
            # Others may take the place first: look again when it should be free.
            await asyncio.sleep(wait)

    async def _wait_out_halt(self, latest: float) -> None:
        while (halt := self._halted_until - time.monotonic()) > 0:
            if time.monotonic() + halt > latest:
                raise too_long(halt)
            await asyncio.sleep(halt)

    def send_wait(self, chat_id: int | str) -> float:
        """Seconds until a new message to ``chat_id`` could go without waiting, so a worker
        can serve other chats meanwhile instead of sleeping in this chat's turn."""
        now = time.monotonic()
        windows = self._chats.get(_chat_key(chat_id), ())
        return max(0.0, self._halted_until - now, *(w.wait_at(now) for w in windows))

    def _chat_windows(self, endpoint: str, chat_id: object) -> tuple[_Window, ...]:
        if chat_id is None:
            return ()
        key = _chat_key(chat_id)
        group = isinstance(key, str) or key < 0
        if not group and endpoint not in _SENDS:
            return ()
        if key not in self._chats:
            if len(self._chats) > 10_000:
                self._forget_idle()
            limits = self.limits
            burst = max(1, limits.private_burst)
            per_chat = _Window(burst, burst / limits.per_private_chat_per_second)
            # A group is held to both: one a second like any chat, and 20 a minute.
            self._chats[key] = (
                (per_chat, _Window(round(limits.per_group_per_minute), 60.0))
                if group
                else (per_chat,)
            )
        return self._chats[key]

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for key, windows in list(self._chats.items()):
            if all(w.idle(now) for w in windows):
                del self._chats[key]


def _chat_key(chat_id: object) -> int | str:
    key: int | str = str(chat_id)
    with contextlib.suppress(ValueError):
        key = int(str(chat_id))
    return key
