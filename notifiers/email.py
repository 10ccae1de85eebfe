"""What SendGrid and SMTP email share: rendering, the rate limit, the two kinds of send."""

from __future__ import annotations

import logging
import re
from email.utils import parseaddr

from core.enums import Channel
from core.errors import ConfigurationError, DeliveryError
from core.ports import AlertMessage, DeliveryResult
from notifiers.rendering import EmailContent, Links, alert_email, code_email
from notifiers.throttle import Throttle

logger = logging.getLogger(__name__)


_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")


def redact_addresses(text: str) -> str:
    """A provider's message without the email addresses it echoes (it ends up in logs)."""
    return _ADDRESS.sub("<address>", text)


def sender_address(sender: str) -> str:
    """The bare address of EMAIL_FROM (``Name <a@b.c>`` or ``a@b.c``); fails fast if bad."""
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise ConfigurationError(f"EMAIL_FROM must be an email address, got {sender!r}")
    return address


class EmailNotifier:
    """Base of the email adapters; subclasses implement ``_deliver`` for their transport."""

    channel = Channel.EMAIL.value
    provider = "email"

    def __init__(self, sender: str, links: Links, throttle: Throttle) -> None:
        self.sender = sender
        self.sender_address = sender_address(sender)
        self.links = links
        self.throttle = throttle

    async def send(self, alert: AlertMessage) -> DeliveryResult:
        to = alert.target.address
        if not to:
            raise DeliveryError("no verified email address for this account", permanent=True)
        await self.throttle.acquire()
        result = await self._deliver(to, alert_email(alert, self.links), alert.alert_id)
        logger.info("alert %s emailed via %s", alert.alert_id, self.provider)
        return result

    async def send_code(self, address: str, code: str, ttl_minutes: int) -> None:
        await self.throttle.acquire()
        await self._deliver(address, code_email(code, ttl_minutes), None)

    async def _deliver(
        self, to: str, content: EmailContent, alert_id: int | None
    ) -> DeliveryResult:
        raise NotImplementedError
