"""A Notifier that records what it delivered and fails on demand (cosmicpython-style fake)."""

from __future__ import annotations

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
