"""A small pool of workers that handle the inbox: one update of one chat at a time each.

Shared by the chat front-ends (Telegram, Discord), which must not import each other.

One loop claims work (core.inbox) while a worker slot is free and hands each claim to its
own task. A chat whose send rate is used up is passed over until it has a slot again, so no
worker sleeps in one chat's turn while other chats wait. On stop, handlers in flight get a
short grace; the rest are cancelled and their updates put back, pending, for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.clock import Clock
from core.inbox import Claim, Inbox

logger = logging.getLogger(__name__)

Handle = Callable[[Claim], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    workers: int = 8
    # A handler still running after this is stopped and its update given up (no retry: it
    # would most likely hang again). Shorter than the inbox lease.
    handler_timeout_seconds: float = 90.0
    # How often an idle pool looks for work that other processes stored.
    idle_seconds: float = 0.5


class InboxWorkers:
    def __init__(
        self,
        inbox: Inbox,
        handle: Handle,
        clock: Clock,
        *,
        options: WorkerOptions | None = None,
        skip: Callable[[str], bool] | None = None,
    ) -> None:
        self.inbox = inbox
        self.handle = handle
        self.clock = clock
        self.options = options or WorkerOptions()
        self.skip = skip
        self._wake = asyncio.Event()
        self._running: dict[str, tuple[Claim, asyncio.Task[None]]] = {}
        self._slots = asyncio.Semaphore(self.options.workers)

    def wake(self) -> None:
        """New updates are in: look for work now."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and start handlers until cancelled."""
        while True:
            await self._slots.acquire()
            self._wake.clear()  # before looking: an update stored meanwhile wakes us again
            try:
                claim = await self.inbox.claim(
                    self.clock(), exclude=list(self._running), skip=self.skip
                )
            except BaseException:
                self._slots.release()
                raise
            if claim is None:
                self._slots.release()
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation
                # that arrives just as the event is set, and the stop would never come.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.options.idle_seconds):
                        await self._wake.wait()
                continue
            task = asyncio.create_task(self._handle(claim), name=f"inbox {claim.chat_key}")
            self._running[claim.chat_key] = (claim, task)

    async def _handle(self, claim: Claim) -> None:
        failed = False
        try:
            try:
                async with asyncio.timeout(self.options.handler_timeout_seconds):
                    await self.handle(claim)
            except TimeoutError:
                logger.error("inbox: update %s took too long; given up", claim.update_id)
                failed = True
            except Exception:  # one bad update must not stop the pool: logged, given up
                logger.exception("inbox: update %s could not be handled", claim.update_id)
                failed = True
            await self.inbox.finish(claim, self.clock(), failed=failed)
        finally:
            self._running.pop(claim.chat_key, None)
            self._slots.release()
            self._wake.set()  # this chat may have more, and a slot is free

    async def stop(self, loop_task: asyncio.Task[None], grace_seconds: float) -> None:
        """Stop claiming; let handlers finish within ``grace_seconds``; cancel the rest and
        put their updates back."""
        loop_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop_task
        running = dict(self._running)
        tasks = [task for _, task in running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        unfinished = [claim for claim, task in running.values() if not task.done()]
        for _, task in running.values():
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for claim in unfinished:
            await self.inbox.release(claim)
        if unfinished:
            logger.info("inbox: %d updates put back for the next start", len(unfinished))
