"""A Notifier that records what it delivered and fails on demand (cosmicpython-style fake)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from core.errors import DeliveryError
from core.ports import AlertMessage, DeliveryResult, NoticeMessage


@dataclass
class RecordingNotifier:
    channel: str = "console"
    sent: list[AlertMessage] = field(default_factory=list)
    notices: list[NoticeMessage] = field(default_factory=list)
    failures_left: int = 0
    permanent: bool = False

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        if self.failures_left:
            self.failures_left -= 1
            raise DeliveryError("provider is down", permanent=self.permanent)
        self.sent.append(alert)
        return DeliveryResult(provider_message_id=str(alert.alert_id))

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        self.notices.append(notice)
        return DeliveryResult(provider_message_id=f"notice-{notice.notice_id}")


@dataclass
class SlowNotifier(RecordingNotifier):
    """Holds every send (alert or notice) until ``release()``: a send slower than the lease.

    ``failures_left`` then fails the held sends transiently (or permanently), one each.
    """

    held: int = 0
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def _hold(self) -> None:
        async with self._arrived:
            self.held += 1
            self._arrived.notify_all()
        await self._gate.wait()

    async def wait_held(self, count: int) -> None:
        """Until ``count`` sends are waiting."""
        async with self._arrived:
            await self._arrived.wait_for(lambda: self.held >= count)

    def release(self) -> None:
        self._gate.set()

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        await self._hold()
        return await super().send(alert)

    async def send_notice(self, notice: NoticeMessage) -> DeliveryResult:
        await self._hold()
        if self.failures_left:
            self.failures_left -= 1
            raise DeliveryError("provider is down", permanent=self.permanent)
        return await super().send_notice(notice)
